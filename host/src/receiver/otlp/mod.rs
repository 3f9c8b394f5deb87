//! The `otlp` receiver: OTLP/gRPC and OTLP/HTTP servers that decode
//! requests and hand them to the receiver's [`Intake`], which submits them
//! to the pipelines that list this receiver and answers once the records
//! are exported.
//!
//! [`config`] holds the user's settings; [`start`] binds a listener per
//! enabled protocol and spawns its server: [`grpc`] (on `h2` directly) and
//! [`http`] (axum), each of which only reads requests and encodes answers,
//! with [`body`] decompressing within the size limit. Both hand protobuf
//! requests to [`request`] as bytes, so that gRPC and HTTP share the
//! validation and the batch.

pub(crate) mod body;
mod config;
mod grpc;
mod http;
mod request;

use std::sync::Arc;

use anyhow::Context;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use tokio_stream::StreamExt;
use tokio_stream::wrappers::{ReceiverStream, TcpListenerStream};

use super::tls::{self, ServerTlsSettings};
use super::{Intake, Server, SignalInputs};
use crate::auth::tokens_for as auth_tokens;
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
        let tls = reloading(id, "grpc", protocol.tls.as_ref(), b"h2")?;
        let auth = auth_tokens(protocol.auth.as_ref())?;
        tracing::info!(
            receiver = %id, endpoint = %protocol.endpoint, tls = tls.is_some(), "OTLP/gRPC listening"
        );
        servers.push(match tls {
            Some(tls) => tokio::spawn(grpc::serve(
                ReceiverStream::new(tls::incoming(listener, tls, shutdown.clone()))
                    .map(Ok::<_, std::io::Error>),
                intake,
                max_message,
                auth,
                shutdown.clone(),
            )),
            None => tokio::spawn(grpc::serve(
                TcpListenerStream::new(listener).map(|tcp| tcp.map(no_delay)),
                intake,
                max_message,
                auth,
                shutdown.clone(),
            )),
        });
    }
    if let Some((protocol, listener)) = http {
        let intake = Intake::new(id, "http", inputs, metrics);
        let tls = reloading(id, "http", protocol.tls.as_ref(), b"http/1.1")?;
        let auth = auth_tokens(protocol.auth.as_ref())?;
        tracing::info!(
            receiver = %id, endpoint = %protocol.endpoint, tls = tls.is_some(), "OTLP/HTTP listening"
        );
        let max_body = protocol.max_request_body_size;
        servers.push(match tls {
            Some(tls) => {
                let local = listener.local_addr()?;
                let connections = tls::incoming(listener, tls, shutdown.clone());
                let listener = tls::TlsListener { connections, local };
                tokio::spawn(http::serve(listener, intake, max_body, auth, shutdown))
            }
            None => tokio::spawn(http::serve(listener, intake, max_body, auth, shutdown)),
        });
    }
    Ok(servers)
}

/// A gRPC connection without Nagle's algorithm, as grpc-go and tonic's
/// own listener serve: h2 writes window updates as the request arrives and
/// the answer after, and with Nagle the answer waited for the client's
/// delayed ACK of the updates (p99 latency 46 ms in `bench-e2e.sh`).
fn no_delay(tcp: TcpStream) -> TcpStream {
    if let Err(error) = tcp.set_nodelay(true) {
        tracing::debug!(%error, "OTLP/gRPC: cannot set TCP_NODELAY");
    }
    tcp
}

/// The TLS configuration of a protocol with a `tls` block, offering
/// `alpn`.
fn reloading(
    id: &str,
    protocol: &str,
    settings: Option<&ServerTlsSettings>,
    alpn: &[u8],
) -> anyhow::Result<Option<Arc<tls::ReloadingConfig>>> {
    settings
        .map(|settings| {
            tls::ReloadingConfig::new(
                format!("receivers.{id}.protocols.{protocol}"),
                settings.clone(),
                vec![alpn.to_vec()],
            )
            .map(Arc::new)
        })
        .transpose()
}

async fn bind(endpoint: &str, id: &str, protocol: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(endpoint).await.with_context(|| {
        format!("receivers.{id}.protocols.{protocol}: cannot listen on {endpoint}")
    })
}
