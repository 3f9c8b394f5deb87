//! The `otlp` receiver: OTLP/gRPC and OTLP/HTTP servers that decode
//! requests and hand them to the receiver's [`Intake`], which submits them
//! to the pipelines that list this receiver and answers once the records
//! are exported.
//!
//! [`config`] holds the user's settings; [`start`] binds a listener per
//! enabled protocol and spawns its server: [`grpc`] (tonic) and [`http`]
//! (axum), each of which only reads requests and encodes answers, with
//! [`body`] reading HTTP bodies within their size limit. Both hand
//! protobuf requests to [`request`], so that gRPC and HTTP share the
//! validation and the batch (gRPC through [`grpc_codec`], which leaves the
//! message as bytes).

mod body;
mod config;
mod grpc;
mod grpc_codec;
mod http;
mod request;

use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::{Intake, Server, SignalInputs};
use crate::telemetry::metrics::Metrics;

pub use config::OtlpReceiver;

/// Starts receiver `id`'s servers: binds every enabled protocol's
/// listener first, so a port in use fails the start before anything
/// serves, then spawns the servers.
pub async fn start(
    id: &str,
    settings: &OtlpReceiver,
    inputs: SignalInputs,
    metrics: Arc<Metrics>,
    shutdown: CancellationToken,
) -> anyhow::Result<Vec<Server>> {
    let grpc = match &settings.protocols.grpc {
        Some(grpc) => Some((grpc, bind(&grpc.endpoint, id, "grpc").await?)),
        None => None,
    };
    let http = match &settings.protocols.http {
        Some(http) => Some((http, bind(&http.endpoint, id, "http").await?)),
        None => None,
    };

    let mut servers = Vec::new();
    if let Some((protocol, listener)) = grpc {
        let intake = Arc::new(Intake::new(id, "grpc", inputs.clone(), metrics.clone()));
        let max_message = (protocol.max_recv_msg_size_mib << 20) as usize;
        tracing::info!(receiver = %id, endpoint = %protocol.endpoint, "OTLP/gRPC listening");
        servers.push(tokio::spawn(grpc::serve(
            listener,
            intake,
            max_message,
            shutdown.clone(),
        )));
    }
    if let Some((protocol, listener)) = http {
        let intake = Intake::new(id, "http", inputs, metrics);
        tracing::info!(receiver = %id, endpoint = %protocol.endpoint, "OTLP/HTTP listening");
        servers.push(tokio::spawn(http::serve(
            listener,
            intake,
            protocol.max_request_body_size,
            shutdown,
        )));
    }
    Ok(servers)
}

async fn bind(endpoint: &str, id: &str, protocol: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(endpoint).await.with_context(|| {
        format!("receivers.{id}.protocols.{protocol}: cannot listen on {endpoint}")
    })
}
