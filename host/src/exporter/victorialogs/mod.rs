//! The `victorialogs` exporter: log records leave weir for VictoriaLogs,
//! as OTLP/HTTP protobuf to its OpenTelemetry endpoint (the default) or as
//! JSON lines to `/insert/jsonline`, with the stream fields, tenant and
//! message settings VictoriaLogs reads from headers or query arguments.
//!
//! [`config`] holds the user's settings; [`jsonline`] turns a batch into
//! JSON lines (the OTLP body is the otlphttp exporter's); [`service`]
//! sends it on the HTTP exporters' shared client and reads the answer by
//! the stores' rule: 2xx delivered, 408 / 429 / 5xx retried, any other
//! 4xx refused for good with the store's reason.

mod config;
mod jsonline;
mod service;

pub use config::VictoriaLogsExporter;
pub(crate) use service::VictoriaLogsSink;
