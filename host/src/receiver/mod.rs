//! Receivers: where data enters weir. `otlp` serves OTLP over gRPC and
//! HTTP; the Kafka consumer will join it here.

pub mod otlp;
