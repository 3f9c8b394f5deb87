//! The `otlphttp` exporter to `https://` endpoints, against an axum
//! server on 127.0.0.1 behind rustls, with certificates made for each
//! test: trusted by `ca_file`, untrusted, unverified, and with a server
//! that demands a client certificate.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::response::IntoResponse;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use super::config::OtlpHttpExporter;
use super::request::tests::{logs, read_back};
use super::service::tests::{Received, app, runtime, sink};
use crate::exporter::ExportError;
use crate::exporter::tls::TlsSettings;
use crate::exporter::tls::testing::Pki;
use crate::otlp::Signal;

/// Accepts TCP connections and completes their TLS handshakes one by
/// one; a failed handshake is dropped, as a server drops it.
struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((tcp, addr)) = self.tcp.accept().await else {
                continue;
            };
            if let Ok(tls) = self.acceptor.accept(tcp).await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.tcp.local_addr()
    }
}

/// An OTLP/HTTP server on 127.0.0.1:0 with `pki`'s server certificate,
/// demanding a client certificate if `mutual`, answering 200 to all;
/// returns its port and what arrived.
fn serve_tls(
    rt: &tokio::runtime::Runtime,
    pki: &Pki,
    mutual: bool,
) -> (u16, Arc<Mutex<Vec<Received>>>) {
    let (app, received) = app(|| "".into_response());
    let tcp = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let port = tcp.local_addr().unwrap().port();
    let listener = TlsListener {
        tcp,
        acceptor: TlsAcceptor::from(pki.server_config(b"http/1.1", mutual)),
    };
    rt.spawn(async move { axum::serve(listener, app).await });
    (port, received)
}

fn settings(endpoint: String, tls: TlsSettings) -> OtlpHttpExporter {
    OtlpHttpExporter {
        endpoint: Some(endpoint),
        tls,
        timeout: Duration::from_secs(5),
        ..Default::default()
    }
}

/// Sends a batch of 3 logs; says how it went.
fn export(rt: &tokio::runtime::Runtime, settings: OtlpHttpExporter) -> Result<(), ExportError> {
    settings.validate().expect("valid settings");
    sink(rt, settings).export(&logs(3))
}

#[test]
fn with_the_ca_file_the_batch_arrives_over_https() {
    let rt = runtime();
    let pki = Pki::new();
    let (port, received) = serve_tls(&rt, &pki, false);
    export(
        &rt,
        settings(format!("https://localhost:{port}"), pki.trusting()),
    )
    .unwrap();
    export(
        &rt,
        settings(format!("https://127.0.0.1:{port}"), pki.trusting()),
    )
    .unwrap();
    let received = received.lock().unwrap();
    assert_eq!(received.len(), 2);
    let request = &received[0];
    assert_eq!(request.path, "/v1/logs");
    let back = read_back(
        Signal::Logs,
        &request.body,
        "application/x-protobuf",
        Some("gzip"),
    );
    assert_eq!(back, logs(3), "the records arrive intact");
}

#[test]
fn an_untrusted_certificate_fails_retryably_and_says_why() {
    let rt = runtime();
    let pki = Pki::new();
    let (port, received) = serve_tls(&rt, &pki, false);
    let other = Pki::new();
    let err = export(
        &rt,
        settings(format!("https://127.0.0.1:{port}"), other.trusting()),
    )
    .unwrap_err();
    // Retryable, as in the Collector: a certificate being renewed or
    // replaced heals without weir changing.
    let ExportError::Retryable { reason, .. } = &err else {
        panic!("expected retryable, got {err:?}");
    };
    assert!(
        reason.contains(&format!("127.0.0.1:{port}"))
            && reason.contains("invalid peer certificate: UnknownIssuer"),
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
    export(&rt, settings(format!("https://127.0.0.1:{port}"), tls)).unwrap();
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
    let url = format!("https://127.0.0.1:{port}");
    export(&rt, settings(url.clone(), named("localhost"))).unwrap();
    let err = export(&rt, settings(url, named("collector.example"))).unwrap_err();
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
    let url = format!("https://localhost:{port}");
    export(&rt, settings(url.clone(), pki.with_client_cert())).unwrap();
    assert_eq!(received.lock().unwrap().len(), 1);

    let err = export(&rt, settings(url, pki.trusting())).unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
    // With TLS 1.3 the server checks the client's certificate after the
    // client has finished its handshake: the client reads the server's
    // alert, or, when the server has closed first (a loaded machine),
    // finds the connection gone before its request went out.
    let message = err.to_string();
    assert!(
        message.ends_with("received fatal alert: CertificateRequired")
            || message.contains("connection was not ready"),
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
    let err = settings("https://localhost:4318".into(), tls)
        .validate()
        .unwrap_err();
    assert_eq!(err.field, "tls.ca_file");
    assert!(err.message.starts_with("cannot read `"), "{err}");
    assert!(err.message.contains("missing.pem"), "{err}");
}
