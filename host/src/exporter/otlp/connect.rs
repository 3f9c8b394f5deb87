//! The connection under the `otlp` exporter's gRPC channel when it uses
//! TLS: TCP to the endpoint, then a rustls handshake with the client
//! configuration that [`TlsSettings`](crate::exporter::tls::TlsSettings)
//! builds for both network exporters, offering `h2`.
//!
//! tonic's own TLS (its `tls-*` features) takes CA certificates, an
//! identity and a verifier, but builds its rustls configuration itself;
//! connecting here keeps one TLS builder for `otlp` and `otlphttp`, and
//! tonic's TLS features out of the build. The channel's URI is
//! `https://…` so that requests carry `:scheme https`; tonic, built
//! without those features, hands the connection to HTTP/2 as it is.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::Uri;
use hyper_util::rt::TokioIo;
use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

/// Connects to the host and port of the URI it is called with, over TLS.
#[derive(Clone)]
pub(super) struct TlsConnector {
    tls: tokio_rustls::TlsConnector,
    /// `tls.server_name_override`: the name sent (SNI) and checked,
    /// instead of the URI's host.
    server_name: Option<ServerName<'static>>,
}

impl TlsConnector {
    pub(super) fn new(mut config: ClientConfig, server_name: Option<ServerName<'static>>) -> Self {
        config.alpn_protocols = vec![b"h2".to_vec()];
        TlsConnector {
            tls: tokio_rustls::TlsConnector::from(std::sync::Arc::new(config)),
            server_name,
        }
    }
}

type Connecting = Pin<Box<dyn Future<Output = io::Result<TokioIo<TlsStream<TcpStream>>>> + Send>>;

impl tower::Service<Uri> for TlsConnector {
    type Response = TokioIo<TlsStream<TcpStream>>;
    type Error = io::Error;
    type Future = Connecting;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Connecting {
        let tls = self.tls.clone();
        let server_name = self.server_name.clone();
        Box::pin(async move {
            let host = uri
                .host()
                .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no host"))?;
            // An IPv6 literal comes in brackets.
            let host = host.trim_start_matches('[').trim_end_matches(']');
            let port = uri.port_u16().unwrap_or(443);
            let tcp = TcpStream::connect((host, port)).await?;
            tcp.set_nodelay(true)?;
            let name = match server_name {
                Some(name) => name,
                None => ServerName::try_from(host.to_string()).map_err(|_| {
                    io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!("`{host}` is not a DNS name or an IP address"),
                    )
                })?,
            };
            let stream = tls.connect(name, tcp).await.map_err(|e| {
                // The channel's error names the endpoint already.
                io::Error::new(e.kind(), format!("TLS handshake failed: {e}"))
            })?;
            Ok(TokioIo::new(stream))
        })
    }
}
