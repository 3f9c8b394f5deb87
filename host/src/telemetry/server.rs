//! The HTTP endpoint about weir itself: `/metrics` (Prometheus text),
//! `/healthz` (the process is up) and `/readyz` (it accepts data: 503
//! before start-up completes and while shutting down, so a load balancer
//! stops sending before the receivers close) and `/plugins` (every
//! plugin's serving version, counters and last reload failure, as JSON).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;

use super::metrics::Metrics;
use crate::reload::StatusBoard;

/// Shared state of the endpoint.
pub struct Health {
    /// The metrics to render.
    pub metrics: Arc<Metrics>,
    /// Whether weir accepts data.
    pub ready: AtomicBool,
    /// The plugins' status.
    pub plugins: StatusBoard,
}

/// The router serving `/metrics`, `/healthz`, `/readyz` and `/plugins`.
pub fn router(health: Arc<Health>) -> axum::Router {
    axum::Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(ready))
        .route("/plugins", get(plugins))
        .with_state(health)
}

async fn metrics(State(health): State<Arc<Health>>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        health.metrics.render(),
    )
}

async fn ready(State(health): State<Arc<Health>>) -> impl IntoResponse {
    if health.ready.load(Ordering::Relaxed) {
        (StatusCode::OK, "ready\n")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready\n")
    }
}

async fn plugins(State(health): State<Arc<Health>>) -> impl IntoResponse {
    axum::Json(health.plugins.snapshot())
}
