//! The `otlphttp` exporter: batches leave weir as OTLP/HTTP export
//! requests, as the OpenTelemetry Collector's `otlphttp` exporter sends
//! them, to a Collector, another weir, or any store with an OTLP/HTTP
//! endpoint.
//!
//! [`config`] holds the user's settings; [`request`] turns a batch into a
//! body (protobuf or OTLP/JSON, gzip or zstd) with the headers that
//! describe it; [`service`] sends it on a client built once (TLS for
//! `https://` endpoints, configured by `tls`) and turns the
//! server's answer into success, a retryable failure (with the server's
//! `Retry-After`) or a permanent one, as the OTLP specification sorts them.

mod config;
pub(crate) mod request;
mod service;
#[cfg(test)]
mod tls_tests;

pub(crate) use config::Encoding;
pub use config::OtlpHttpExporter;
pub(crate) use service::OtlpHttpSink;
