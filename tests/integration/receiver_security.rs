//! The OTLP receivers behind TLS and a bearer token: the Python SDK over
//! HTTPS and gRPC-with-TLS, weir's own `otlp` exporter as a client with
//! and without the token and a client certificate, plaintext against a
//! TLS port, and a certificate replaced on disk while weir runs. Only
//! what an authorised client sent may reach the exporters; every refusal
//! is counted by its reason.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};

use crate::daemon_support::Daemon;
use crate::python_client::python;

const TOKEN: &str = "s3cret-token";

/// A CA with a server certificate (`localhost`, `127.0.0.1`) and a client
/// certificate it signed, as PEM files in `dir` named `<prefix>ca.pem`,
/// `<prefix>server.pem` / `.key`, `<prefix>client.pem` / `.key`.
fn make_pki(dir: &Path, prefix: &str) {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    // What OpenSSL's strict verification (urllib3 2 turns it on, so the
    // Python SDK's HTTP exporter) asks of a CA and its leaves.
    ca_params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, format!("weir test CA {prefix}"));
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let write =
        |name: &str, text: String| std::fs::write(dir.join(format!("{prefix}{name}")), text);
    write("ca.pem", ca.pem()).unwrap();
    for (name, sans) in [
        (
            "server",
            vec!["localhost".to_string(), "127.0.0.1".to_string()],
        ),
        ("client", vec!["weir-client".to_string()]),
    ] {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(sans).unwrap();
        params.use_authority_key_identifier_extension = true;
        let cert = params.signed_by(&key, &ca).unwrap();
        write(&format!("{name}.pem"), cert.pem()).unwrap();
        write(&format!("{name}.key"), key.serialize_pem()).unwrap();
    }
}

/// A weir whose OTLP receivers require TLS (mutual if `mutual`) and the
/// token, writing what it accepts to files.
fn secured(mutual: bool) -> Daemon {
    let dir = tempfile::tempdir().unwrap();
    make_pki(dir.path(), "");
    let client_ca = if mutual {
        ", client_ca_file: {dir}/ca.pem"
    } else {
        ""
    };
    let tls = format!("{{cert_file: {{dir}}/server.pem, key_file: {{dir}}/server.key{client_ca}}}");
    Daemon::from_config(
        dir,
        &format!(
            "extensions:\n  bearertokenauth:\n    token: {TOKEN}\n\
             receivers:\n  otlp:\n    protocols:\n\
             \x20     grpc:\n        endpoint: 127.0.0.1:{{grpc_port}}\n        tls: {tls}\n\
             \x20       auth: {{authenticator: bearertokenauth}}\n\
             \x20     http:\n        endpoint: 127.0.0.1:{{http_port}}\n        tls: {tls}\n\
             \x20       auth: {{authenticator: bearertokenauth}}\n\
             exporters:\n  file:\n    path: {{data}}\n\
             service:\n  extensions: [bearertokenauth]\n\
             \x20 telemetry:\n    address: 127.0.0.1:{{telemetry_port}}\n  pipelines:\n\
             \x20   logs:\n      receivers: [otlp]\n      exporters: [file]\n"
        ),
    )
}

fn https(endpoint: &str) -> String {
    endpoint.replace("http://", "https://")
}

/// An HTTPS client trusting `ca` (and presenting `identity`, a
/// certificate and key file, if given).
fn client(ca: &Path, identity: Option<(PathBuf, PathBuf)>) -> reqwest::blocking::Client {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots);
    let mut config = match identity {
        Some((cert, key)) => builder
            .with_client_auth_cert(
                CertificateDer::pem_file_iter(cert)
                    .unwrap()
                    .map(Result::unwrap)
                    .collect(),
                PrivateKeyDer::from_pem_file(key).unwrap(),
            )
            .unwrap(),
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    reqwest::blocking::Client::builder()
        .tls_backend_preconfigured(config)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// One log record saying `body`, as OTLP/JSON.
fn log_json(body: &str) -> String {
    format!(
        r#"{{"resourceLogs":[{{"scopeLogs":[{{"logRecords":[{{"body":{{"stringValue":"{body}"}}}}]}}]}}]}}"#
    )
}

/// POSTs one log to `daemon` over HTTPS with `token`; the status, or the
/// transport error.
fn post(
    client: &reqwest::blocking::Client,
    daemon: &Daemon,
    body: &str,
    token: Option<&str>,
) -> Result<(u16, String), String> {
    let mut request = client
        .post(format!("{}/v1/logs", https(&daemon.http)))
        .header("content-type", "application/json")
        .body(log_json(body));
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let response = request.send().map_err(|e| format!("{e:?}"))?;
    let status = response.status().as_u16();
    Ok((status, response.text().unwrap_or_default()))
}

fn bodies(daemon: &Daemon) -> Vec<String> {
    daemon
        .log_records()
        .iter()
        .filter_map(|r| r["body"]["stringValue"].as_str().map(str::to_string))
        .collect()
}

fn refused(daemon: &Daemon, transport: &str, reason: &str) -> f64 {
    daemon
        .metric(&format!(
            "weir_receiver_refused_requests_total{{receiver=\"otlp\",transport=\"{transport}\",reason=\"{reason}\"}}"
        ))
        .unwrap_or(0.0)
}

#[test]
fn over_https_only_requests_with_the_token_get_in() {
    let mut daemon = secured(false);
    let ca = daemon.dir().join("ca.pem");
    let client = client(&ca, None);

    assert_eq!(
        post(&client, &daemon, "with the token", Some(TOKEN))
            .unwrap()
            .0,
        200,
        "{}",
        daemon.log()
    );
    let (status, body) = post(&client, &daemon, "no token", None).unwrap();
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("authentication required"), "{body}");
    let (status, body) = post(&client, &daemon, "wrong token", Some("guess")).unwrap();
    assert_eq!(status, 401, "{body}");
    assert!(!body.contains(TOKEN), "the answer never echoes a token");

    // Plain HTTP to the TLS port is refused at the handshake.
    let plain = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let answer = plain
        .post(format!("{}/v1/logs", daemon.http))
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {TOKEN}"))
        .body(log_json("plaintext"))
        .send();
    assert!(
        answer.is_err() || !answer.unwrap().status().is_success(),
        "a plaintext request must not be served"
    );

    assert_eq!(refused(&daemon, "http", "missing_token"), 1.0);
    assert_eq!(refused(&daemon, "http", "wrong_token"), 1.0);
    daemon.stop();
    assert_eq!(bodies(&daemon), vec!["with the token".to_string()]);
}

/// Runs the Python SDK's send_otlp.py with `extra` arguments; whether
/// every export succeeded, and its error output.
fn python_send(protocol: &str, endpoint: &str, extra: &[&str]) -> (bool, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("python/send_otlp.py");
    let out = Command::new(python())
        .arg(script)
        .args(["--protocol", protocol, "--endpoint", endpoint])
        .args(["--signal", "logs", "--run-id", protocol, "--count", "5"])
        .args(extra)
        // The SDK's HTTP exporter hands its CA file to a requests Session,
        // and requests lets these variables override a Session's CA
        // (requests issue 3829): with either set, it trusts the system's
        // roots instead of the test's CA.
        .env_remove("REQUESTS_CA_BUNDLE")
        .env_remove("CURL_CA_BUNDLE")
        .output()
        .expect("run send_otlp.py");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// The Python SDK, over gRPC with TLS and over HTTPS: with the token its
/// records get in, without it the export fails and is counted.
#[test]
fn the_python_sdk_over_tls_with_the_token_gets_in_and_without_it_does_not() {
    let mut daemon = secured(false);
    let ca = daemon.dir().join("ca.pem").display().to_string();
    for (protocol, endpoint) in [("grpc", https(&daemon.grpc)), ("http", https(&daemon.http))] {
        let (ok, err) = python_send(protocol, &endpoint, &["--ca-file", &ca, "--token", TOKEN]);
        assert!(ok, "{protocol} with the token: {err}\n{}", daemon.log());
        let (ok, _) = python_send(protocol, &endpoint, &["--ca-file", &ca]);
        assert!(!ok, "{protocol} without a token the export must fail");
        assert_eq!(
            refused(&daemon, protocol, "missing_token"),
            1.0,
            "{protocol}"
        );
    }
    daemon.stop();
    let records = daemon.log_records();
    assert_eq!(
        records.len(),
        10,
        "the 5 records sent with the token, twice"
    );
}

/// A weir forwarding logs over OTLP/gRPC to `to`, with `tls` settings for
/// its exporter and the token if `with_token`; retries are short so a
/// refusal shows at once. Its directory has `to`'s CA and client
/// certificate, or, if `stranger`, a client certificate another CA signed.
fn forwarder(to: &Daemon, tls: &str, with_token: bool, stranger: bool) -> Daemon {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(to.dir().join("ca.pem"), dir.path().join("ca.pem")).unwrap();
    let from = if stranger {
        make_pki(dir.path(), "other-");
        dir.path().join("other-")
    } else {
        to.dir().join("")
    };
    for name in ["client.pem", "client.key"] {
        let mut source = from.clone().into_os_string();
        source.push(name);
        std::fs::copy(source, dir.path().join(name)).unwrap();
    }
    let (extension, auth, listed) = if with_token {
        (
            format!("extensions:\n  bearertokenauth/out:\n    token: {TOKEN}\n"),
            "    auth: {authenticator: bearertokenauth/out}\n",
            "  extensions: [bearertokenauth/out]\n",
        )
    } else {
        (String::new(), "", "")
    };
    Daemon::from_config(
        dir,
        &format!(
            "{extension}receivers:\n  otlp:\n    protocols:\n      http:\n        endpoint: 127.0.0.1:{{http_port}}\n\
             exporters:\n  otlp:\n    endpoint: {}\n    tls: {tls}\n{auth}\
             \x20   retry_on_failure: {{initial_interval: 100ms, max_elapsed_time: 1s}}\n\
             service:\n{listed}  telemetry:\n    address: 127.0.0.1:{{telemetry_port}}\n  pipelines:\n\
             \x20   logs:\n      receivers: [otlp]\n      exporters: [otlp]\n",
            https(&to.grpc)
        ),
    )
}

fn forward(via: &Daemon, body: &str) -> u16 {
    reqwest::blocking::Client::new()
        .post(format!("{}/v1/logs", via.http))
        .header("content-type", "application/json")
        .body(log_json(body))
        .send()
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

#[test]
fn mutual_tls_admits_only_clients_with_a_certificate_from_the_client_ca() {
    let mut daemon = secured(true);
    let certified =
        "{ca_file: {dir}/ca.pem, cert_file: {dir}/client.pem, key_file: {dir}/client.key}";
    let with_cert = forwarder(&daemon, certified, true, false);
    assert_eq!(forward(&with_cert, "certified"), 200, "{}", with_cert.log());

    let without_cert = forwarder(&daemon, "{ca_file: {dir}/ca.pem}", true, false);
    assert_ne!(forward(&without_cert, "no certificate"), 200);

    let stranger = forwarder(&daemon, certified, true, true);
    assert_ne!(forward(&stranger, "another CA's certificate"), 200);

    let without_token = forwarder(&daemon, certified, false, false);
    assert_ne!(forward(&without_token, "certificate, no token"), 200);
    assert!(
        refused(&daemon, "grpc", "missing_token") >= 1.0,
        "{}",
        daemon.log()
    );

    daemon.stop();
    assert_eq!(bodies(&daemon), vec!["certified".to_string()]);
}

#[test]
fn a_certificate_replaced_on_disk_is_served_to_the_next_connection() {
    let daemon = secured(false);
    let dir = daemon.dir().to_path_buf();
    let old = client(&dir.join("ca.pem"), None);
    assert_eq!(post(&old, &daemon, "before", Some(TOKEN)).unwrap().0, 200);

    // The new pair, written as a rotation does: certificate, then key.
    make_pki(&dir, "new-");
    std::fs::copy(dir.join("new-server.pem"), dir.join("server.pem")).unwrap();
    std::fs::copy(dir.join("new-server.key"), dir.join("server.key")).unwrap();

    let new = client(&dir.join("new-ca.pem"), None);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match post(&new, &daemon, "after", Some(TOKEN)) {
            Ok((200, _)) => break,
            other => assert!(
                Instant::now() < deadline,
                "the new certificate was not served: {other:?}\n{}",
                daemon.log()
            ),
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    // A client trusting only the old CA no longer gets in (a new client:
    // no connection is reused).
    let old = client(&dir.join("ca.pem"), None);
    assert!(post(&old, &daemon, "old trust", Some(TOKEN)).is_err());
    assert!(daemon.log().contains("reloaded"), "{}", daemon.log());
}
