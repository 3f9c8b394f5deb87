//! The `otlp` receiver: OTLP/gRPC and OTLP/HTTP servers that decode
//! requests, hand them to the pipelines that list this receiver, and answer
//! once the records are exported.

pub mod body;
pub mod grpc;
pub mod http;
pub mod submit;
