//! The data model: OpenTelemetry's OTLP types and weir's batch around them.
//!
//! Everything else in weir takes the OTLP messages from here rather than
//! from `opentelemetry-proto`. The gRPC service stubs (the clients and
//! servers `opentelemetry-proto` generates) are not re-exported here yet,
//! and are still imported from it directly where a client or server is
//! built.
//!
//! A [`Batch`] is one OTLP export request of one signal; plugins see it
//! through the accessors in [`batch`], and outcomes carve it up with
//! [`Batch::retain`] and [`Batch::extract`].

mod batch;
mod columns;
pub(crate) mod grpc_client;
mod index;
mod json;
mod merge;
mod records;
mod select;
mod signal;
pub mod wire;

pub use batch::{Batch, Payload};
pub use columns::find_attribute;
pub use json::{any_value_from_json, any_value_to_json};
pub use records::{DataPoint, DataPointMut};
pub use signal::Signal;
pub use wire::AttributeOwner;

pub use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
pub use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
pub use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
pub use opentelemetry_proto::tonic::common::v1 as common;
pub use opentelemetry_proto::tonic::logs::v1 as logs;
pub use opentelemetry_proto::tonic::metrics::v1 as metrics;
pub use opentelemetry_proto::tonic::resource::v1 as resource;
pub use opentelemetry_proto::tonic::trace::v1 as trace;

/// Errors reading or writing OTLP data.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The protobuf bytes are not a valid export request of the signal,
    /// as the validating byte pass found them.
    #[error("malformed OTLP protobuf {signal} request: {source}")]
    Wire {
        signal: Signal,
        #[source]
        source: wire::Error,
    },
    /// The JSON is not a valid OTLP/JSON export request of the signal.
    #[error("malformed OTLP/JSON {signal} request: {source}")]
    Json {
        signal: Signal,
        #[source]
        source: serde_json::Error,
    },
    /// The JSON names no signal (no `resourceLogs`, `resourceMetrics` or
    /// `resourceSpans` key), so its signal cannot be told.
    #[error(
        "cannot tell the signal of this OTLP/JSON: expected a top-level \
         `resourceLogs`, `resourceMetrics` or `resourceSpans` key"
    )]
    UnknownSignal,
}

/// Result alias for this module.
pub type Result<T, E = Error> = std::result::Result<T, E>;
