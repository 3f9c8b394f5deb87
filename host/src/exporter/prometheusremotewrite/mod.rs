//! The `prometheusremotewrite` exporter: metrics leave weir as
//! Prometheus remote write 1.0 requests, as the Collector's exporter of
//! that name sends them, to Prometheus, Mimir, Thanos, Cortex or
//! VictoriaMetrics.
//!
//! [`config`] holds the settings; [`names`] and [`series`] translate
//! OTLP metrics into series as the Collector's translator does; [`proto`]
//! declares the protobuf messages and makes snappy-compressed bodies of
//! bounded size; [`service`] POSTs them with remote write's headers.

mod config;
mod names;
mod proto;
mod series;
mod service;

pub use config::{PrometheusRemoteWriteExporter, RemoteWriteOptions};
#[cfg(test)]
pub(crate) use proto::WriteRequest;
pub(crate) use service::{RemoteWriteSink, RemoteWriteTarget};
