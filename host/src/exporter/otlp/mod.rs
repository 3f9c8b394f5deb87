//! The `otlp` exporter: batches leave weir as OTLP/gRPC export calls, as
//! the OpenTelemetry Collector's `otlp` exporter sends them, to a
//! Collector, another weir, Jaeger, or any store with an OTLP/gRPC
//! endpoint.
//!
//! [`config`] holds the user's settings; [`service`] keeps one lazily
//! connected HTTP/2 channel (over TLS by [`connect`], unless
//! `tls.insecure`), sends each batch's export request on it
//! (gzip or zstd compressed, with the configured metadata and deadline)
//! and reads the answer, logging a partial success — the request is the
//! batch's bytes as they are (`otlp::grpc_client`), not re-encoded;
//! [`status`] turns a
//! failed call into a retryable failure (with the server's `RetryInfo`
//! delay) or a permanent one, as the OTLP specification sorts gRPC codes.

mod config;
mod connect;
mod service;
mod status;
#[cfg(test)]
mod tls_tests;

pub use config::OtlpExporter;
pub(crate) use service::OtlpSink;
