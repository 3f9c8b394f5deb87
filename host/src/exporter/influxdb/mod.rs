//! The `influxdb` exporter: metrics, logs and spans leave weir as
//! InfluxDB line protocol, mapped as the Collector's `influxdb` exporter
//! (otel2influx) maps them, to InfluxDB 1.x, 2.x or 3, or to any store
//! that takes line protocol (VictoriaMetrics' `/write`).
//!
//! [`config`] holds the settings and chooses the write API; [`metrics`]
//! and [`records`] map a batch to lines, written by [`line`] (escaping,
//! number formats) into one buffer that [`encode`] cuts into payloads and
//! compresses; [`service`] POSTs them and reads the answers.

mod config;
mod encode;
mod line;
mod metrics;
mod records;
mod service;

pub use config::InfluxDbExporter;
#[cfg(test)]
pub(crate) use encode::tests;
pub(crate) use service::InfluxDbSink;
