//! What the `kafka` exporter and the `kafka` receiver share: the
//! connection keys of the Collector's Kafka components (`brokers`,
//! `client_id`, `tls`, `auth`) and the one place that turns them into a
//! librdkafka configuration, plus the client context that sends
//! librdkafka's own log lines to weir's log.
//!
//! librdkafka (through the `rdkafka` crate) is the client: it is the
//! reference implementation of the protocol, batches and compresses on
//! its own threads, and gives the idempotent producer and the cooperative
//! consumer group weir's guarantees rest on.

mod auth;
mod connection;
mod context;

pub use auth::Auth;
#[cfg(test)]
pub use auth::Sasl;
pub use connection::{Connection, client_config};
pub use context::LoggingContext;

/// How a message's payload is written, for the exporter and the
/// receiver alike.
#[derive(Clone, Copy, Debug, Default, serde::Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    /// An OTLP `Export*ServiceRequest` in protobuf.
    #[default]
    OtlpProto,
    /// The same in OTLP/JSON.
    OtlpJson,
}

/// Serde default of `brokers`: the Collector's.
pub fn default_brokers() -> Vec<String> {
    vec!["localhost:9092".to_string()]
}

/// Serde default of `client_id`.
pub fn default_client_id() -> String {
    "weir".to_string()
}
