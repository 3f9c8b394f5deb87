//! weir's telemetry about itself: metrics, and the HTTP endpoint that
//! serves them with health and readiness.

pub mod metrics;
pub mod server;
