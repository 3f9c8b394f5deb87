//! Contract tests: what the exporter sends, captured by a local HTTP
//! server and checked against VictoriaLogs' documented ingestion format
//! (path, query arguments, headers, encoding, body), and what it makes of
//! the store's answers.

use std::collections::HashMap;
use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use reqwest::StatusCode;

use super::*;
use crate::exporter::otlphttp::request::tests::{logs, read_back};

/// A request as the capture server received it.
#[derive(Debug)]
struct Received {
    path: String,
    query: HashMap<String, String>,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    /// The body as VictoriaLogs reads it: decompressed by
    /// `Content-Encoding`.
    fn plain_body(&self) -> Vec<u8> {
        match self.header("content-encoding") {
            None => self.body.clone(),
            Some("gzip") => {
                let mut out = Vec::new();
                flate2::read::GzDecoder::new(&self.body[..])
                    .read_to_end(&mut out)
                    .expect("valid gzip");
                out
            }
            Some("zstd") => zstd::stream::decode_all(&self.body[..]).expect("valid zstd"),
            Some(other) => panic!("unexpected Content-Encoding {other}"),
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

/// Serves on 127.0.0.1:0, answering every request with `answer()`;
/// returns the base URL and what arrived.
fn serve(
    runtime: &tokio::runtime::Runtime,
    answer: impl Fn() -> Response + Clone + Send + Sync + 'static,
) -> (String, Arc<Mutex<Vec<Received>>>) {
    let received = Arc::new(Mutex::new(Vec::new()));
    let log = received.clone();
    let app = axum::Router::new().fallback(move |request: axum::extract::Request| {
        let (log, answer) = (log.clone(), answer.clone());
        async move {
            let (parts, body) = request.into_parts();
            let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
            let query = parts
                .uri
                .query()
                .map(|q| {
                    Url::parse(&format!("http://capture/?{q}"))
                        .unwrap()
                        .query_pairs()
                        .into_owned()
                        .collect()
                })
                .unwrap_or_default();
            log.lock().unwrap().push(Received {
                path: parts.uri.path().to_string(),
                query,
                headers: parts.headers,
                body: body.to_vec(),
            });
            answer()
        }
    });
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    runtime.spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), received)
}

/// VictoriaLogs answers a successful insert with an empty 200.
fn ok() -> Response {
    StatusCode::OK.into_response()
}

fn settings(yaml: &str) -> VictoriaLogsExporter {
    let settings: VictoriaLogsExporter = serde_norway::from_str(yaml).unwrap();
    settings.validate().unwrap();
    settings
}

fn sink(runtime: &tokio::runtime::Runtime, settings: VictoriaLogsExporter) -> VictoriaLogsSink {
    VictoriaLogsSink::new("victorialogs/test", settings, runtime.handle().clone()).unwrap()
}

fn send(yaml: &str, batch: &Batch) -> Received {
    let rt = runtime();
    let (url, received) = serve(&rt, ok);
    let settings = settings(&format!("endpoint: {url}\n{yaml}"));
    sink(&rt, settings).export(batch).unwrap();
    let mut received = received.lock().unwrap();
    assert_eq!(received.len(), 1, "one request per batch");
    received.remove(0)
}

#[test]
fn otlp_mode_posts_gzipped_protobuf_with_the_stream_fields_header() {
    let batch = logs(25);
    let request = send("", &batch);
    assert_eq!(request.path, "/insert/opentelemetry/v1/logs");
    assert!(request.query.is_empty(), "{:?}", request.query);
    // VictoriaLogs refuses JSON on this path: protobuf only.
    assert_eq!(
        request.header("content-type"),
        Some("application/x-protobuf")
    );
    assert_eq!(request.header("content-encoding"), Some("gzip"));
    assert_eq!(
        request.header("vl-stream-fields"),
        Some(
            "service.namespace,service.name,deployment.environment.name,deployment.environment,\
             host.name,k8s.namespace.name,k8s.container.name"
        )
    );
    for absent in ["accountid", "projectid", "vl-msg-field", "vl-time-field"] {
        assert_eq!(request.header(absent), None, "{absent}");
    }
    let back = read_back(
        Signal::Logs,
        &request.body,
        "application/x-protobuf",
        Some("gzip"),
    );
    assert_eq!(back, batch, "the store decodes the records sent");
}

#[test]
fn otlp_mode_sends_tenant_message_fields_and_extra_headers() {
    let batch = logs(3);
    let request = send(
        "account_id: 42
project_id: 7
stream_fields: [service.name, k8s.cluster.name]
msg_field: [message, msg]
compression: none
headers: {Authorization: Bearer t0ken, VL-Ignore-Fields: 'password,secret'}",
        &batch,
    );
    assert_eq!(request.header("AccountID"), Some("42"));
    assert_eq!(request.header("ProjectID"), Some("7"));
    assert_eq!(
        request.header("VL-Stream-Fields"),
        Some("service.name,k8s.cluster.name")
    );
    assert_eq!(request.header("VL-Msg-Field"), Some("message,msg"));
    assert_eq!(request.header("authorization"), Some("Bearer t0ken"));
    assert_eq!(request.header("vl-ignore-fields"), Some("password,secret"));
    assert_eq!(request.header("content-encoding"), None);
    assert_eq!(
        request.body,
        batch.encode(),
        "uncompressed: the batch's bytes"
    );
}

#[test]
fn an_empty_stream_field_list_leaves_the_choice_to_victorialogs() {
    let request = send("stream_fields: []", &logs(1));
    assert_eq!(request.header("vl-stream-fields"), None);
    let request = send("mode: jsonline\nstream_fields: []", &logs(1));
    assert!(!request.query.contains_key("_stream_fields"));
}

#[test]
fn jsonline_mode_posts_one_json_object_per_record_with_the_query_arguments() {
    let batch = logs(40);
    let request = send(
        "mode: jsonline\naccount_id: 3\nproject_id: 4\nstream_fields: [service.name, host.name]",
        &batch,
    );
    assert_eq!(request.path, "/insert/jsonline");
    let query = |key: &str| request.query.get(key).map(String::as_str);
    assert_eq!(query("_msg_field"), Some("_msg"));
    assert_eq!(query("_time_field"), Some("_time"));
    assert_eq!(query("_stream_fields"), Some("service.name,host.name"));
    assert_eq!(request.query.len(), 3, "{:?}", request.query);
    assert_eq!(
        request.header("content-type"),
        Some("application/stream+json")
    );
    assert_eq!(request.header("content-encoding"), Some("gzip"));
    assert_eq!(request.header("accountid"), Some("3"));
    assert_eq!(request.header("projectid"), Some("4"));
    assert_eq!(
        request.header("vl-stream-fields"),
        None,
        "jsonline sends its settings as query arguments"
    );

    let body = String::from_utf8(request.plain_body()).unwrap();
    let lines: Vec<serde_json::Value> = body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 40, "one line per record");
    for (i, line) in lines.iter().enumerate() {
        let object = line.as_object().unwrap();
        assert_eq!(object["_msg"], format!("record {i}"));
        assert_eq!(
            object["_time"],
            format!("2023-11-14T22:13:20.{:09}Z", i),
            "logs(n) stamps record i at 1.7e18 + i ns"
        );
        assert_eq!(object["severity_number"], "9");
        assert_eq!(object["i"], i.to_string());
        assert!(
            object.values().all(|v| v.is_string()),
            "VictoriaLogs fields are strings: {line}"
        );
    }
}

#[test]
fn jsonline_mode_compresses_as_asked() {
    let batch = logs(5);
    let request = send(
        "mode: jsonline\ncompression: zstd\ntime_format: unix_nano",
        &batch,
    );
    assert_eq!(request.header("content-encoding"), Some("zstd"));
    let body = String::from_utf8(request.plain_body()).unwrap();
    let first: serde_json::Value = serde_json::from_str(body.lines().next().unwrap()).unwrap();
    assert_eq!(first["_time"], "1700000000000000000");
    let request = send("mode: jsonline\ncompression: none", &batch);
    assert_eq!(request.header("content-encoding"), None);
    assert_eq!(request.body.iter().filter(|&&b| b == b'\n').count(), 5);
}

fn answered(answer: impl Fn() -> Response + Clone + Send + Sync + 'static) -> ExportError {
    let rt = runtime();
    let (url, _) = serve(&rt, answer);
    sink(&rt, settings(&format!("endpoint: {url}\ntimeout: 5s")))
        .export(&logs(2))
        .unwrap_err()
}

#[test]
fn a_400_is_permanent_with_the_stores_reason() {
    let error = answered(|| {
        (
            StatusCode::BAD_REQUEST,
            "remoteAddr: \"127.0.0.1:5555\"; requestURI: /insert/opentelemetry/v1/logs; \
             cannot parse common params from request: cannot parse AccountID\n",
        )
            .into_response()
    });
    let ExportError::Permanent(reason) = error else {
        panic!("expected permanent, got {error:?}");
    };
    assert!(
        reason.contains("/insert/opentelemetry/v1/logs answered 400 Bad Request: remoteAddr:"),
        "{reason}"
    );
    assert!(reason.ends_with("cannot parse AccountID"), "{reason}");
}

#[test]
fn a_503_or_429_is_retried_after_the_stores_delay() {
    let error = answered(|| {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            [(reqwest::header::RETRY_AFTER, "3")],
            "the storage is in read-only mode",
        )
            .into_response()
    });
    let ExportError::Retryable {
        reason,
        retry_after,
    } = error
    else {
        panic!("expected retryable, got {error:?}");
    };
    assert_eq!(retry_after, Some(Duration::from_secs(3)));
    assert!(reason.ends_with("read-only mode"), "{reason}");
    let error = answered(|| StatusCode::TOO_MANY_REQUESTS.into_response());
    assert!(error.is_retryable(), "{error:?}");
}

#[test]
fn a_store_that_is_down_is_retried() {
    let rt = runtime();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let settings = settings(&format!("endpoint: http://127.0.0.1:{port}"));
    let error = sink(&rt, settings).export(&logs(1)).unwrap_err();
    assert!(error.is_retryable(), "{error:?}");
}

#[test]
fn other_signals_are_refused_without_sending() {
    let rt = runtime();
    let (url, received) = serve(&rt, ok);
    let traces: Batch = crate::otlp::ExportTraceServiceRequest::default().into();
    let error = sink(&rt, settings(&format!("endpoint: {url}")))
        .export(&traces)
        .unwrap_err();
    assert_eq!(
        error,
        ExportError::Permanent("victorialogs takes logs only, not traces".into())
    );
    assert!(received.lock().unwrap().is_empty());
}
