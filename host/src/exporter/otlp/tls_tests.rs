//! The `otlp` exporter over TLS, against a tonic server on 127.0.0.1
//! behind rustls, with certificates made for each test: trusted by
//! `ca_file`, untrusted, unverified, with a name override, and with a
//! server that demands a client certificate.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use super::config::OtlpExporter;
use super::service::tests::{Received, logs, ok, runtime, serve_incoming, sink};
use crate::exporter::ExportError;
use crate::exporter::tls::TlsSettings;
use crate::exporter::tls::testing::Pki;

/// A TLS connection as tonic's server takes it.
struct TlsIo(TlsStream<TcpStream>);

impl tonic::transport::server::Connected for TlsIo {
    type ConnectInfo = ();
    fn connect_info(&self) {}
}

impl AsyncRead for TlsIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_read(cx, buf)
    }
}

impl AsyncWrite for TlsIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_shutdown(cx)
    }
}

/// An OTLP/gRPC server on 127.0.0.1:0 with `pki`'s server certificate,
/// demanding a client certificate if `mutual`; returns its port and what
/// arrived. Failed handshakes are dropped, as a server drops them.
fn serve_tls(
    rt: &tokio::runtime::Runtime,
    pki: &Pki,
    mutual: bool,
) -> (u16, Arc<Mutex<Vec<Received>>>) {
    let acceptor = TlsAcceptor::from(pki.server_config(b"h2", mutual));
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = tokio::sync::mpsc::channel::<io::Result<TlsIo>>(4);
    rt.spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, tx) = (acceptor.clone(), tx.clone());
            tokio::spawn(async move {
                if let Ok(tls) = acceptor.accept(tcp).await {
                    let _ = tx.send(Ok(TlsIo(tls))).await;
                }
            });
        }
    });
    let incoming = tokio_stream::wrappers::ReceiverStream::new(rx);
    (port, serve_incoming(rt, incoming, ok))
}

fn settings(endpoint: String, tls: TlsSettings) -> OtlpExporter {
    OtlpExporter {
        endpoint: Some(endpoint),
        tls,
        timeout: Duration::from_secs(5),
        ..Default::default()
    }
}

/// Sends a batch of 3 logs; says how it went.
fn export(rt: &tokio::runtime::Runtime, settings: OtlpExporter) -> Result<(), ExportError> {
    settings.validate().expect("valid settings");
    sink(rt, settings).export(&logs(3))
}

#[test]
fn with_the_ca_file_the_batch_arrives_over_tls() {
    let rt = runtime();
    let pki = Pki::new();
    let (port, received) = serve_tls(&rt, &pki, false);
    // By name, and by address (the certificate holds both).
    export(&rt, settings(format!("localhost:{port}"), pki.trusting())).unwrap();
    export(
        &rt,
        settings(format!("https://127.0.0.1:{port}"), pki.trusting()),
    )
    .unwrap();
    let received = received.lock().unwrap();
    assert_eq!(received.len(), 2);
    assert_eq!(received[0].batch, logs(3), "the records arrive intact");
}

#[test]
fn an_untrusted_certificate_fails_retryably_and_says_why() {
    let rt = runtime();
    let pki = Pki::new();
    let (port, received) = serve_tls(&rt, &pki, false);
    // Trusting another CA: the server's certificate is not one of its.
    let other = Pki::new();
    let err = export(&rt, settings(format!("127.0.0.1:{port}"), other.trusting())).unwrap_err();
    // Retryable, as in the Collector: a certificate being renewed or
    // replaced heals without weir changing.
    let ExportError::Retryable { reason, .. } = &err else {
        panic!("expected retryable, got {err:?}");
    };
    assert!(
        reason.ends_with(&format!(
            "127.0.0.1:{port}: TLS handshake failed: invalid peer certificate: UnknownIssuer"
        )),
        "{reason}"
    );
    assert!(received.lock().unwrap().is_empty());
}

#[test]
fn insecure_skip_verify_accepts_any_certificate() {
    let rt = runtime();
    let pki = Pki::new();
    let (port, received) = serve_tls(&rt, &pki, false);
    let tls = TlsSettings {
        insecure_skip_verify: true,
        ..TlsSettings::default()
    };
    export(&rt, settings(format!("127.0.0.1:{port}"), tls)).unwrap();
    assert_eq!(received.lock().unwrap().len(), 1);
}

#[test]
fn server_name_override_is_the_name_checked() {
    let rt = runtime();
    let pki = Pki::new();
    let (port, received) = serve_tls(&rt, &pki, false);
    let named = |name: &str| TlsSettings {
        server_name_override: Some(name.into()),
        ..pki.trusting()
    };
    export(
        &rt,
        settings(format!("127.0.0.1:{port}"), named("localhost")),
    )
    .unwrap();
    let err = export(
        &rt,
        settings(format!("127.0.0.1:{port}"), named("collector.example")),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("certificate not valid for name"),
        "{err}"
    );
    assert_eq!(received.lock().unwrap().len(), 1);
}

#[test]
fn mutual_tls_needs_the_client_certificate() {
    let rt = runtime();
    let pki = Pki::new();
    let (port, received) = serve_tls(&rt, &pki, true);
    export(
        &rt,
        settings(format!("localhost:{port}"), pki.with_client_cert()),
    )
    .unwrap();
    assert_eq!(received.lock().unwrap().len(), 1);

    let err = export(&rt, settings(format!("localhost:{port}"), pki.trusting())).unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
    assert!(
        err.to_string()
            .ends_with("received fatal alert: CertificateRequired"),
        "{err}"
    );
    assert_eq!(received.lock().unwrap().len(), 1, "nothing more arrived");
}

#[test]
fn a_missing_ca_file_is_a_configuration_error_naming_the_field() {
    let pki = Pki::new();
    let tls = TlsSettings {
        ca_file: Some(pki.path("missing.pem")),
        ..TlsSettings::default()
    };
    let err = settings("localhost:4317".into(), tls)
        .validate()
        .unwrap_err();
    assert_eq!(err.field, "tls.ca_file");
    assert!(err.message.starts_with("cannot read `"), "{err}");
    assert!(err.message.contains("missing.pem"), "{err}");
}
