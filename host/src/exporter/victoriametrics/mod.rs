//! The `victoriametrics` exporter: metrics to VictoriaMetrics with its
//! defaults (paths, tenants, protobuf only), on the sinks of the
//! `otlphttp` exporter (`mode: otlp`) and the `prometheusremotewrite`
//! exporter (`mode: remote_write`) rather than a transport of its own.
//! [`config`] holds the settings and makes the URL; [`sink`] builds the
//! sink of the chosen mode.

mod config;
mod sink;

pub use config::VictoriaMetricsExporter;
pub(crate) use sink::build;
