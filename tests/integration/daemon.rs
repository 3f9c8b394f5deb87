//! `weir run` end to end over OTLP/HTTP: what is accepted reaches the
//! files intact, bad input gets the right status and message while the
//! daemon keeps serving, plugins and routes apply, and SIGTERM loses
//! nothing that was acknowledged.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use prost::Message;
use reqwest::blocking::{Client, Response};
use weir::otlp::Signal;
use weir_tests::batches::{self, attr};
use weir_tests::guests;

use crate::daemon_support::{Daemon, json_attr};

const PROTOBUF: &str = "application/x-protobuf";
const JSON: &str = "application/json";

fn post(
    daemon: &Daemon,
    path: &str,
    content_type: &str,
    encoding: Option<&str>,
    body: Vec<u8>,
) -> Response {
    let mut request = Client::new()
        .post(format!("{}{path}", daemon.http))
        .header("Content-Type", content_type)
        .timeout(Duration::from_secs(30))
        .body(body);
    if let Some(encoding) = encoding {
        request = request.header("Content-Encoding", encoding);
    }
    request.send().expect("weir answers")
}

/// A logs request of `n` records tagged `test.request=<tag>`.
fn tagged_logs(n: usize, tag: &str) -> Vec<u8> {
    let mut req = batches::logs(n);
    for rl in &mut req.resource_logs {
        for sl in &mut rl.scope_logs {
            for r in &mut sl.log_records {
                r.attributes.push(attr("test.request", tag));
            }
        }
    }
    req.encode_to_vec()
}

fn good_request_is_accepted(daemon: &Daemon, tag: &str) {
    let r = post(daemon, "/v1/logs", PROTOBUF, None, tagged_logs(3, tag));
    assert_eq!(r.status(), 200, "a good request after bad input");
}

#[test]
fn accepted_records_reach_the_files_intact() {
    let mut daemon = Daemon::with_file_exporter();
    let logs = batches::logs(40);
    let r = post(&daemon, "/v1/logs", PROTOBUF, None, logs.encode_to_vec());
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], PROTOBUF);
    let spans: weir::otlp::Batch = batches::spans(5).into();
    let r = post(
        &daemon,
        "/v1/traces",
        JSON,
        None,
        serde_json::to_vec(&spans.to_json_value()).unwrap(),
    );
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().unwrap(), "{}");
    assert!(daemon.stop().success());

    let records = daemon.log_records();
    assert_eq!(records.len(), 40);
    let sent = &logs.resource_logs[0].scope_logs[0].log_records[3];
    let got = &records[3];
    assert_eq!(got["traceId"], hex(&sent.trace_id));
    assert_eq!(got["spanId"], hex(&sent.span_id));
    assert_eq!(got["severityNumber"], sent.severity_number);
    assert_eq!(json_attr(got, "tenant").unwrap()["stringValue"], "acme");
    assert_eq!(
        json_attr(got, "http.response.status_code").unwrap()["intValue"],
        "200"
    );
    let spans = daemon.spans();
    assert_eq!(spans.len(), 5);
    assert_eq!(spans[2]["name"], "GET /api/v1/orders/{id} #2");
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn compressed_bodies_are_accepted() {
    let mut daemon = Daemon::with_file_exporter();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&tagged_logs(4, "gzip")).unwrap();
    let r = post(
        &daemon,
        "/v1/logs",
        PROTOBUF,
        Some("gzip"),
        gz.finish().unwrap(),
    );
    assert_eq!(r.status(), 200);
    let z = zstd::encode_all(&tagged_logs(6, "zstd")[..], 3).unwrap();
    let r = post(&daemon, "/v1/logs", PROTOBUF, Some("zstd"), z);
    assert_eq!(r.status(), 200);
    daemon.stop();
    assert_eq!(daemon.log_records().len(), 10);
}

/// A request weir must refuse, and how.
struct BadRequest {
    name: &'static str,
    path: &'static str,
    content_type: &'static str,
    encoding: Option<&'static str>,
    body: Vec<u8>,
    status: u16,
    message: &'static str,
}

#[test]
fn bad_input_is_refused_with_a_reason_and_the_daemon_keeps_serving() {
    let mut daemon = Daemon::with_file_exporter();
    let bomb = {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&vec![0u8; 8 << 20]).unwrap();
        gz.finish().unwrap()
    };
    let bad = |name, path, content_type, encoding, body, status, message| BadRequest {
        name,
        path,
        content_type,
        encoding,
        body,
        status,
        message,
    };
    let cases = [
        bad(
            "malformed protobuf",
            "/v1/logs",
            PROTOBUF,
            None,
            vec![0x0a, 0xff, 0xff, 0x01],
            400,
            "malformed OTLP protobuf logs request",
        ),
        bad(
            "malformed JSON",
            "/v1/logs",
            JSON,
            None,
            b"{\"resourceLogs\": [".to_vec(),
            400,
            "malformed OTLP/JSON logs request",
        ),
        bad(
            "wrong content type",
            "/v1/logs",
            "text/plain",
            None,
            b"hello".to_vec(),
            415,
            "unsupported Content-Type",
        ),
        bad(
            "oversize body",
            "/v1/logs",
            PROTOBUF,
            None,
            vec![0u8; 2 << 20],
            413,
            "exceeds the limit of 1048576 bytes",
        ),
        bad(
            "gzip bomb",
            "/v1/logs",
            PROTOBUF,
            Some("gzip"),
            bomb,
            413,
            "exceeds the limit",
        ),
        bad(
            "corrupt gzip",
            "/v1/logs",
            PROTOBUF,
            Some("gzip"),
            b"not gzip".to_vec(),
            400,
            "cannot decompress",
        ),
        bad(
            "unknown encoding",
            "/v1/logs",
            PROTOBUF,
            Some("br"),
            b"x".to_vec(),
            415,
            "Content-Encoding",
        ),
        bad(
            "unknown path",
            "/v1/profiles",
            PROTOBUF,
            None,
            Vec::new(),
            404,
            "no such path /v1/profiles",
        ),
    ];
    for case in cases {
        let name = case.name;
        let r = post(
            &daemon,
            case.path,
            case.content_type,
            case.encoding,
            case.body,
        );
        assert_eq!(r.status(), case.status, "{name}");
        let text = String::from_utf8_lossy(&r.bytes().unwrap()).into_owned();
        assert!(text.contains(case.message), "{name}: {text}");
        good_request_is_accepted(&daemon, name);
    }
    // An empty request is valid OTLP: accepted, nothing written.
    let r = post(&daemon, "/v1/logs", PROTOBUF, None, Vec::new());
    assert_eq!(r.status(), 200, "empty request");

    let metrics = reqwest::blocking::get(format!("{}/metrics", daemon.telemetry))
        .unwrap()
        .text()
        .unwrap();
    assert!(metrics.contains(r#"weir_receiver_refused_requests_total{receiver="otlp",transport="http",reason="malformed"} 3"#), "{metrics}");
    assert!(daemon.stop().success());
    // Exactly the good requests' records arrived.
    assert_eq!(daemon.log_records().len(), 8 * 3);
}

#[test]
fn plugins_filter_and_route_inside_the_pipeline() {
    let processors = format!(
        "  batch:\n    timeout: 20ms\n\
         \x20 wasm/severity:\n    path: {}\n    config:\n      min_severity: WARN\n\
         \x20 wasm/tenants:\n    path: {}\n    config:\n      attribute: tenant\n      routes: {{acme: acme}}",
        guests::SEVERITY_FILTER,
        guests::ROUTE_BY_ATTRIBUTE
    );
    let mut daemon = Daemon::start(
        &processors,
        "  file:\n    path: {data}\n  file/acme:\n    path: {data}/acme",
        "    logs:\n      receivers: [otlp]\n      processors: [batch, wasm/severity, wasm/tenants]\n      exporters: [file]\n      routes:\n        acme: [file/acme]",
    );
    let r = post(
        &daemon,
        "/v1/logs",
        PROTOBUF,
        None,
        batches::logs(60).encode_to_vec(),
    );
    assert_eq!(r.status(), 200);
    assert!(daemon.stop().success());

    let main = daemon.log_records();
    let acme_dir = daemon.data().join("acme").join("logs");
    let acme: Vec<serde_json::Value> = std::fs::read_to_string(acme_dir.join("logs.jsonl"))
        .unwrap()
        .lines()
        .flat_map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["resourceLogs"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|rl| rl["scopeLogs"].as_array().unwrap().clone())
                .flat_map(|sl| sl["logRecords"].as_array().unwrap().clone())
                .collect::<Vec<_>>()
        })
        .collect();
    // 60 records, severities cycle over 6 values: 30 at WARN or above;
    // tenant acme is every third record.
    assert_eq!(main.len() + acme.len(), 30);
    for r in &acme {
        assert_eq!(json_attr(r, "tenant").unwrap()["stringValue"], "acme");
        assert!(r["severityNumber"].as_i64().unwrap() >= 13);
    }
    for r in &main {
        assert_eq!(json_attr(r, "tenant").unwrap()["stringValue"], "globex");
    }
    assert_eq!(acme.len(), 10);
}

#[test]
fn sigterm_under_load_loses_nothing_that_was_acknowledged() {
    let mut daemon = Daemon::with_file_exporter();
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop_at = Instant::now() + Duration::from_millis(700);
    let senders: Vec<_> = (0..4)
        .map(|t| {
            let url = format!("{}/v1/logs", daemon.http);
            let acknowledged = acknowledged.clone();
            std::thread::spawn(move || {
                let client = Client::new();
                // Keep sending through the shutdown, until refused.
                for i in 0.. {
                    let tag = format!("{t}-{i}");
                    let sent = client
                        .post(&url)
                        .header("Content-Type", PROTOBUF)
                        .timeout(Duration::from_secs(30))
                        .body(tagged_logs(20, &tag))
                        .send();
                    match sent {
                        Ok(r) if r.status() == 200 => acknowledged.lock().unwrap().push(tag),
                        _ => {
                            if Instant::now() > stop_at {
                                return;
                            }
                        }
                    }
                    if i > 100_000 {
                        return;
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(400));
    let status = daemon.stop();
    for s in senders {
        s.join().unwrap();
    }
    assert!(
        status.success(),
        "exit status {status:?}; log:\n{}",
        daemon.log()
    );

    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() > 5,
        "the load was real: {} requests",
        acknowledged.len()
    );
    let written: std::collections::HashMap<String, usize> =
        daemon
            .log_records()
            .iter()
            .fold(Default::default(), |mut m, r| {
                let tag = json_attr(r, "test.request").unwrap()["stringValue"]
                    .as_str()
                    .unwrap()
                    .to_string();
                *m.entry(tag).or_default() += 1;
                m
            });
    for tag in &acknowledged {
        assert_eq!(
            written.get(tag),
            Some(&20),
            "acknowledged request {tag} is in the files, whole"
        );
    }
}

#[test]
fn unused_signal_is_refused_by_name() {
    let mut daemon = Daemon::start(
        "  batch:",
        "  file:\n    path: {data}",
        "    logs:\n      receivers: [otlp]\n      exporters: [file]",
    );
    let spans: Vec<u8> = batches::spans(2).encode_to_vec();
    let r = post(&daemon, "/v1/traces", PROTOBUF, None, spans);
    assert_eq!(r.status(), 404);
    assert!(daemon.stop().success());
    assert!(daemon.requests(Signal::Traces).is_empty());
}

#[test]
fn plugins_dropped_into_the_plugin_directory_run_with_their_sidecar_config() {
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("plugins");
    std::fs::create_dir(&plugins).unwrap();
    std::fs::copy(guests::SEVERITY_FILTER, plugins.join("10-severity.wasm")).unwrap();
    std::fs::write(plugins.join("10-severity.yaml"), "min_severity: ERROR\n").unwrap();
    let mut daemon = Daemon::start_in(
        dir,
        "  batch:",
        "  file:\n    path: {data}",
        "    logs:\n      receivers: [otlp]\n      exporters: [file]",
        "  plugins:\n    directory: {dir}/plugins",
    );
    let r = post(
        &daemon,
        "/v1/logs",
        PROTOBUF,
        None,
        batches::logs(12).encode_to_vec(),
    );
    assert_eq!(r.status(), 200);
    assert!(daemon.stop().success());
    let severities: Vec<i64> = daemon
        .log_records()
        .iter()
        .map(|r| r["severityNumber"].as_i64().unwrap())
        .collect();
    assert_eq!(severities, [17, 21, 17, 21]);
}

/// A daemon whose logs pipeline (with `settings`, e.g. its queue sizes)
/// runs a plugin that loops until its 2 s deadline: both workers stay
/// busy while requests arrive.
fn stuck_pipeline(settings: &str) -> Daemon {
    let processors = format!(
        "  wasm/slow:\n    path: {}\n    config: {{action: loop}}\n    timeout: 2s",
        guests::MISBEHAVE
    );
    Daemon::start(
        &processors,
        "  null:",
        &format!(
            "    logs:\n      receivers: [otlp]\n      processors: [wasm/slow]\n      exporters: [null]\n{settings}"
        ),
    )
}

/// What one request was answered: status, `Retry-After`, body.
type Answer = (u16, Option<String>, String);

/// Sends every body at once, each on its own connection.
fn send_at_once(daemon: &Daemon, bodies: Vec<Vec<u8>>) -> Vec<std::thread::JoinHandle<Answer>> {
    let url = format!("{}/v1/logs", daemon.http);
    bodies
        .into_iter()
        .map(|body| {
            let url = url.clone();
            std::thread::spawn(move || {
                let r = Client::new()
                    .post(&url)
                    .header("Content-Type", PROTOBUF)
                    .timeout(Duration::from_secs(60))
                    .body(body)
                    .send()
                    .expect("weir answers");
                let retry_after = r
                    .headers()
                    .get("retry-after")
                    .map(|v| v.to_str().unwrap().to_string());
                (r.status().as_u16(), retry_after, r.text().unwrap())
            })
        })
        .collect()
}

/// Asserts that some answers are 503 "overloaded" with `Retry-After`,
/// and the rest 200.
fn assert_some_refused_as_overloaded(answers: &[Answer]) {
    let refused: Vec<_> = answers.iter().filter(|(s, _, _)| *s == 503).collect();
    assert!(
        !refused.is_empty(),
        "some requests are refused: {answers:?}"
    );
    for (_, retry_after, body) in &refused {
        assert_eq!(retry_after.as_deref(), Some("1"));
        assert!(body.contains("overloaded"), "{body}");
    }
    assert!(
        answers.iter().all(|(s, _, _)| *s == 200 || *s == 503),
        "{answers:?}"
    );
}

#[test]
fn a_pipeline_holding_its_queue_size_mib_answers_503_though_its_queue_has_room() {
    // Two workers stuck, a queue of 1,000 requests but of 1 MiB, and 16
    // senders of ~400 KB requests at once: the bytes must refuse them,
    // not the count.
    let mut daemon = stuck_pipeline("      queue_size: 1000\n      queue_size_mib: 1");
    let body = tagged_logs(1400, "big");
    assert!(
        (300_000..500_000).contains(&body.len()),
        "a request of ~400 KB, not {}",
        body.len()
    );
    let senders = send_at_once(&daemon, vec![body; 16]);
    let gauge = "weir_pipeline_queue_bytes{pipeline=\"logs\"}";
    let mut most = 0.0f64;
    while senders.iter().any(|s| !s.is_finished()) {
        most = most.max(daemon.metric(gauge).expect("the gauge is exported"));
        std::thread::sleep(Duration::from_millis(20));
    }
    let answers: Vec<_> = senders.into_iter().map(|t| t.join().unwrap()).collect();
    assert_some_refused_as_overloaded(&answers);
    assert!(most > 0.0, "the gauge saw the held requests");
    assert!(
        most <= (1 << 20) as f64,
        "the pipeline held {most} bytes, over its 1 MiB"
    );
    // A worker gives the bytes back just after the exporters' queues
    // take the records, which may be just after the answer.
    let deadline = Instant::now() + Duration::from_secs(10);
    while daemon.metric(gauge) != Some(0.0) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        daemon.metric(gauge),
        Some(0.0),
        "every byte is given back once the workers are done"
    );
    assert!(daemon.stop().success());
}

#[test]
fn a_full_queue_is_answered_with_503_and_retry_after() {
    // Two workers stuck and a queue of one request: the rest must be
    // refused, not queued.
    let mut daemon = stuck_pipeline("      queue_size: 1");
    let bodies = (0..16).map(|i| tagged_logs(2, &i.to_string())).collect();
    let senders = send_at_once(&daemon, bodies);
    let answers: Vec<_> = senders.into_iter().map(|t| t.join().unwrap()).collect();
    assert_some_refused_as_overloaded(&answers);
    assert!(daemon.stop().success());
}
