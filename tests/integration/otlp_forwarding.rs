//! weir → weir (issue 14): an edge weir ("A") receives OTLP and forwards
//! with its `otlp` (gRPC) or `otlphttp` exporter to a second weir ("B")
//! that writes files. What A acknowledged must reach B's files intact —
//! resources, attributes, trace and span ids — whether it came from the
//! OpenTelemetry Python SDK or from raw requests, and including when B
//! starts only after A has acknowledged the records. When B is down and
//! A's queues fill, A answers 503, and the client's retry gets through
//! once B is back.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use prost::Message;
use reqwest::blocking::Client;
use serde_json::Value;
use weir::otlp::common::InstrumentationScope;
use weir::otlp::logs::LogRecord;
use weir::otlp::resource::Resource;
use weir::otlp::trace::Span;
use weir::otlp::{Batch, ExportLogsServiceRequest, ExportTraceServiceRequest, Payload, Signal};
use weir_tests::batches::{self, int_attr};

use crate::daemon_support::{Daemon, json_attr};
use crate::python_client::python;

/// The destination: a weir that writes every signal to files.
fn destination() -> Daemon {
    Daemon::with_file_exporter()
}

/// The edge: logs and traces in, the `otlp` exporter out to `to`'s
/// OTLP/gRPC port, in plaintext.
fn edge(to: &Daemon) -> Daemon {
    edge_with(
        "otlp/b",
        &format!("endpoint: {}\n    tls:\n      insecure: true", to.grpc),
    )
}

/// The edge with the `otlphttp` exporter to `to`'s OTLP/HTTP port.
fn http_edge(to: &Daemon) -> Daemon {
    edge_with("otlphttp/b", &format!("endpoint: {}", to.http))
}

/// An edge whose logs and traces pipelines export to exporter `id`,
/// configured with `settings` (YAML, indented under the exporter).
fn edge_with(id: &str, settings: &str) -> Daemon {
    Daemon::start(
        "  batch:\n    timeout: 20ms",
        &format!("  {id}:\n    {settings}"),
        &format!(
            "    logs:\n      receivers: [otlp]\n      processors: [batch]\n      exporters: [{id}]\n\
             \x20   traces:\n      receivers: [otlp]\n      processors: [batch]\n      exporters: [{id}]"
        ),
    )
}

/// The edge with a durable queue in front of the `otlp` exporter, as in
/// `durable_queue.rs`.
fn durable_edge(to: &Daemon) -> Daemon {
    let config = format!(
        "receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:{{http_port}}
processors:
  batch:
    timeout: 50ms
exporters:
  otlp/b:
    endpoint: {}
    tls:
      insecure: true
    sending_queue:
      storage: file_storage
      max_size_mib: 256
    retry_on_failure:
      initial_interval: 100ms
      max_interval: 1s
extensions:
  file_storage:
    directory: {{dir}}/queue
service:
  extensions: [file_storage]
  telemetry:
    address: 127.0.0.1:{{telemetry_port}}
  pipelines:
    logs:
      receivers: [otlp]
      processors: [batch]
      exporters: [otlp/b]
",
        to.grpc
    );
    Daemon::from_config(tempfile::tempdir().expect("temp dir"), &config)
}

/// Posts an OTLP/HTTP protobuf request; whether weir acknowledged it.
pub(crate) fn post(client: &Client, to: &Daemon, signal: Signal, body: Vec<u8>) -> bool {
    client
        .post(format!("{}/v1/{signal}", to.http))
        .header("Content-Type", "application/x-protobuf")
        .timeout(Duration::from_secs(10))
        .body(body)
        .send()
        .is_ok_and(|r| r.status() == 200)
}

/// What `destination` wrote for `signal`, read back as batches.
pub(crate) fn written(destination: &Daemon, signal: Signal) -> Vec<Batch> {
    destination
        .requests(signal)
        .iter()
        .map(|request| {
            Batch::from_json_as(signal, &request.to_string()).expect("B writes OTLP/JSON")
        })
        .collect()
}

/// Every log record with its resource and scope, ordered by time.
fn logs_in(batches: &[Batch]) -> Vec<(Resource, InstrumentationScope, LogRecord)> {
    let mut all = Vec::new();
    for batch in batches {
        let Payload::Logs(request) = batch.payload() else {
            panic!("not logs");
        };
        for rl in &request.resource_logs {
            for sl in &rl.scope_logs {
                for record in &sl.log_records {
                    let resource = rl.resource.clone().unwrap_or_default();
                    let scope = sl.scope.clone().unwrap_or_default();
                    all.push((resource, scope, record.clone()));
                }
            }
        }
    }
    all.sort_by_key(|(_, _, record)| record.time_unix_nano);
    all
}

/// Every span with its resource and scope, ordered by span id.
pub(crate) fn spans_in(batches: &[Batch]) -> Vec<(Resource, InstrumentationScope, Span)> {
    let mut all = Vec::new();
    for batch in batches {
        let Payload::Traces(request) = batch.payload() else {
            panic!("not traces");
        };
        for rs in &request.resource_spans {
            for ss in &rs.scope_spans {
                for span in &ss.spans {
                    let resource = rs.resource.clone().unwrap_or_default();
                    let scope = ss.scope.clone().unwrap_or_default();
                    all.push((resource, scope, span.clone()));
                }
            }
        }
    }
    all.sort_by(|a, b| a.2.span_id.cmp(&b.2.span_id));
    all
}

/// Waits (bounded) until `destination` has written `n` records of
/// `signal`; returns what it wrote.
pub(crate) fn wait_for(
    destination: &Daemon,
    edge: &Daemon,
    signal: Signal,
    n: usize,
) -> Vec<Batch> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let batches = written(destination, signal);
        let count: usize = batches.iter().map(Batch::len).sum();
        if count >= n {
            return batches;
        }
        assert!(
            Instant::now() < deadline,
            "{count} of {n} {signal} records reached B in 60 s; edge log:\n{}\nB's log:\n{}",
            edge.log(),
            destination.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn records_sent_to_the_edge_arrive_at_the_far_weir_intact() {
    let mut b = destination();
    let mut a = edge(&b);
    let client = Client::new();

    // Three requests of logs (two services each) and one of spans.
    let sent_logs: Vec<ExportLogsServiceRequest> = (0..3)
        .map(|i| batches::logs_from((i * 40..i * 40 + 40).map(batches::log_record).collect()))
        .collect();
    for request in &sent_logs {
        assert!(
            post(&client, &a, Signal::Logs, request.encode_to_vec()),
            "edge log:\n{}",
            a.log()
        );
    }
    let sent_spans: ExportTraceServiceRequest = batches::spans(25);
    assert!(post(
        &client,
        &a,
        Signal::Traces,
        sent_spans.encode_to_vec()
    ));

    let sent: Vec<Batch> = sent_logs.into_iter().map(Batch::from).collect();
    let got = wait_for(&b, &a, Signal::Logs, 120);
    let (expected, arrived) = (logs_in(&sent), logs_in(&got));
    assert_eq!(arrived.len(), 120, "no record twice");
    assert_eq!(
        arrived, expected,
        "every log record arrives with its resource, scope, attributes and ids"
    );
    let record = &arrived[7].2;
    assert_eq!(record.trace_id.len(), 16);
    assert_eq!(record.span_id, 8u64.to_be_bytes());

    let got = wait_for(&b, &a, Signal::Traces, 25);
    assert_eq!(
        spans_in(&got),
        spans_in(&[Batch::from(sent_spans)]),
        "every span arrives intact"
    );

    assert!(a.stop().success(), "edge log:\n{}", a.log());
    assert!(b.stop().success());
}

/// A logs request of `n` records numbered from `first` (attribute `seq`).
fn numbered(first: u64, n: u64) -> Vec<u8> {
    let mut request = batches::logs(n as usize);
    let records = request
        .resource_logs
        .iter_mut()
        .flat_map(|rl| &mut rl.scope_logs)
        .flat_map(|sl| &mut sl.log_records);
    for (record, seq) in records.zip(first..) {
        record.attributes.push(int_attr("seq", seq as i64));
    }
    request.encode_to_vec()
}

/// How many times each record number reached `destination`'s files.
fn delivered(destination: &Daemon) -> HashMap<u64, u32> {
    let mut seen = HashMap::new();
    for record in destination.log_records() {
        let Some(value) = json_attr(&record, "seq") else {
            continue;
        };
        let seq = match &value["intValue"] {
            serde_json::Value::String(s) => s.parse().expect("intValue"),
            other => other.as_u64().expect("intValue"),
        };
        *seen.entry(seq).or_default() += 1;
    }
    seen
}

#[test]
fn when_the_far_end_starts_late_the_edge_retries_and_nothing_is_lost() {
    // B's ports are chosen, then B goes away before A starts.
    let mut b = destination();
    assert!(b.stop().success());
    let mut a = durable_edge(&b);
    let client = Client::new();
    for i in 0..10 {
        assert!(
            post(&client, &a, Signal::Logs, numbered(i * 50, 50)),
            "request {i} should be acknowledged while B is down; edge log:\n{}",
            a.log()
        );
    }
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(delivered(&b).len(), 0);

    b.restart();
    let deadline = Instant::now() + Duration::from_secs(60);
    let seen = loop {
        let seen = delivered(&b);
        if seen.len() == 500 {
            break seen;
        }
        assert!(
            Instant::now() < deadline,
            "{} of 500 acknowledged records reached B in 60 s; edge log:\n{}",
            seen.len(),
            a.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let log = a.log();
    assert!(a.stop().success(), "edge log:\n{log}");
    assert!(b.stop().success());
    assert!((0..500).all(|seq| seen.contains_key(&seq)));
    let duplicates: u32 = seen.values().map(|n| n - 1).sum();
    println!("B started late: 500 acknowledged records all delivered, {duplicates} duplicates");
    assert!(
        log.contains("refused"),
        "the edge should have met a refused connection while B was down; edge log:\n{log}"
    );
}

/// Sends 10 records of `signal` with the Python SDK over `protocol` to
/// `endpoint`, tagged with the resource attribute `test.run_id`; returns
/// the script's summary. The SDK exporters fail the script on any
/// refused export, so success means the edge answered 200 to all.
fn sdk_send(python: &str, protocol: &str, endpoint: &str, signal: &str, run_id: &str) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("python/send_otlp.py");
    let out = Command::new(python)
        .arg(script)
        .args(["--protocol", protocol, "--endpoint", endpoint])
        .args(["--signal", signal, "--run-id", run_id, "--count", "10"])
        .output()
        .expect("run send_otlp.py");
    assert!(
        out.status.success(),
        "the Python SDK could not export {signal} over {protocol} to the edge:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(out.stdout.trim_ascii()).expect("send_otlp.py prints a JSON summary")
}

/// The records of run `run_id` in OTLP/JSON `requests`, each with its
/// resource and scope; `keys` are the three levels, e.g. `resourceLogs`,
/// `scopeLogs`, `logRecords`.
fn of_run(requests: &[Value], run_id: &str, keys: [&str; 3]) -> Vec<(Value, Value, Value)> {
    let [a, b, c] = keys;
    let mut found = Vec::new();
    for entry in requests
        .iter()
        .flat_map(|r| r[a].as_array().into_iter().flatten())
    {
        let resource = &entry["resource"];
        if json_attr(resource, "test.run_id").and_then(|v| v["stringValue"].as_str())
            != Some(run_id)
        {
            continue;
        }
        for scope in entry[b].as_array().into_iter().flatten() {
            for record in scope[c].as_array().into_iter().flatten() {
                found.push((resource.clone(), scope["scope"].clone(), record.clone()));
            }
        }
    }
    found
}

/// The string value of attribute `key`, or `None`.
fn str_attr<'a>(record: &'a Value, key: &str) -> Option<&'a str> {
    json_attr(record, key)?["stringValue"].as_str()
}

/// Checks that the 10 log records the SDK sent in run `run` reached
/// `requests` once each with body, severity, attributes, resource and
/// scope as `send_otlp.py` made them.
fn check_sdk_logs(requests: &[Value], run: &str) {
    let mut logs = of_run(requests, run, ["resourceLogs", "scopeLogs", "logRecords"]);
    assert_eq!(logs.len(), 10, "{run}: every log record once");
    logs.sort_by_key(|(_, _, r)| {
        let index = &json_attr(r, "test.index").unwrap()["intValue"];
        index.as_str().unwrap().parse::<u64>().unwrap()
    });
    for (i, (resource, scope, record)) in logs.iter().enumerate() {
        assert_eq!(str_attr(resource, "service.name"), Some("weir-python-test"));
        assert_eq!(scope["name"], "weir-test", "{run}: scope");
        assert_eq!(
            record["body"]["stringValue"],
            format!("log {i} of run {run}")
        );
        assert_eq!(
            json_attr(record, "test.index").unwrap()["intValue"],
            i.to_string()
        );
        assert_eq!(str_attr(record, "user.email"), Some("jane@example.com"));
        assert_eq!(
            record["severityNumber"],
            [9, 13, 17][i % 3],
            "{run}: log {i}"
        );
        assert_eq!(record["severityText"], ["INFO", "WARN", "ERROR"][i % 3]);
    }
}

/// Checks that the SDK's trace of run `run` (a parent and 9 children)
/// reached `requests` once each, with its trace id, parent links, names
/// and attributes.
fn check_sdk_spans(requests: &[Value], run: &str, summary: &Value) {
    let spans = of_run(requests, run, ["resourceSpans", "scopeSpans", "spans"]);
    assert_eq!(spans.len(), 10, "{run}: every span once");
    let parent = spans
        .iter()
        .map(|(_, _, s)| s)
        .find(|s| s["name"] == "parent")
        .expect("the parent span");
    let mut names = Vec::new();
    for (resource, scope, span) in &spans {
        assert_eq!(str_attr(resource, "service.name"), Some("weir-python-test"));
        assert_eq!(scope["name"], "weir-test");
        assert_eq!(span["traceId"], summary["trace_id"], "{run}: one trace");
        assert_eq!(span["spanId"].as_str().unwrap().len(), 16);
        let (start, end) = (&span["startTimeUnixNano"], &span["endTimeUnixNano"]);
        let (start, end): (u64, u64) = (
            start.as_str().unwrap().parse().unwrap(),
            end.as_str().unwrap().parse().unwrap(),
        );
        assert!(start > 0 && start <= end, "{run}: times {start}..{end}");
        if span["name"] != "parent" {
            assert_eq!(
                span["parentSpanId"], parent["spanId"],
                "{run}: child of parent"
            );
            let index = json_attr(span, "test.index").unwrap()["intValue"].clone();
            assert_eq!(span["name"], format!("span-{}", index.as_str().unwrap()));
        }
        names.push(span["name"].as_str().unwrap().to_string());
    }
    names.sort();
    let mut expected: Vec<String> = (0..9).map(|i| format!("span-{i}")).collect();
    expected.push("parent".into());
    expected.sort();
    assert_eq!(names, expected, "{run}: span names");
}

#[test]
fn the_python_sdk_through_otlp_and_otlphttp_edges_arrives_intact() {
    let python = python();
    let mut b = destination();
    let mut grpc_edge = edge(&b);
    let mut http_edge = http_edge(&b);

    // The SDK speaks gRPC to the `otlp` edge and HTTP to the `otlphttp`
    // one, so both receivers and both exporters are on the way.
    let runs = [
        ("via-otlp", "grpc", grpc_edge.grpc.clone()),
        ("via-otlphttp", "http", http_edge.http.clone()),
    ];
    let mut summaries = Vec::new();
    for (run, protocol, endpoint) in &runs {
        let logs = sdk_send(&python, protocol, endpoint, "logs", run);
        assert_eq!(logs["logs"], 10);
        summaries.push(sdk_send(&python, protocol, endpoint, "traces", run));
    }

    for edge in [&mut grpc_edge, &mut http_edge] {
        let log = edge.log();
        assert!(edge.stop().success(), "edge log:\n{log}");
    }
    assert!(b.stop().success(), "B's log:\n{}", b.log());
    let (logs, traces) = (b.requests(Signal::Logs), b.requests(Signal::Traces));
    for ((run, _, _), summary) in runs.iter().zip(&summaries) {
        check_sdk_logs(&logs, run);
        check_sdk_spans(&traces, run, summary);
    }
}

/// An edge that fills at once while B is down: `otlphttp` with one
/// consumer and a one-batch sending queue, a pipeline queue of one
/// request, and quick retries.
fn small_queue_edge(to: &Daemon) -> Daemon {
    let config = format!(
        "receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:{{http_port}}
exporters:
  otlphttp/b:
    endpoint: {}
    sending_queue: {{queue_size: 1, num_consumers: 1}}
    retry_on_failure: {{initial_interval: 100ms, max_interval: 200ms}}
service:
  telemetry:
    address: 127.0.0.1:{{telemetry_port}}
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [otlphttp/b]
      queue_size: 1
",
        to.http
    );
    Daemon::from_config(tempfile::tempdir().expect("temp dir"), &config)
}

/// A request of 10 log records numbered from `first`, and the edge's
/// answer: status, `Retry-After`, body as text.
fn post_numbered(client: &Client, to: &Daemon, first: u64) -> (u16, Option<String>, String) {
    let answer = client
        .post(format!("{}/v1/logs", to.http))
        .header("Content-Type", "application/x-protobuf")
        .timeout(Duration::from_secs(60))
        .body(numbered(first, 10))
        .send()
        .expect("the edge answers");
    let status = answer.status().as_u16();
    let retry_after = answer
        .headers()
        .get("Retry-After")
        .map(|v| v.to_str().unwrap().to_string());
    let body = String::from_utf8_lossy(&answer.bytes().unwrap()).into_owned();
    (status, retry_after, body)
}

#[test]
fn a_full_sending_queue_answers_503_and_the_clients_retry_gets_through_later() {
    // B's ports are chosen, then B goes away: the edge's one consumer
    // retries the first batch while everything behind it queues.
    let mut b = destination();
    assert!(b.stop().success());
    let mut a = small_queue_edge(&b);

    // Between the receiver and B a request can wait in the pipeline
    // queue, the forwarder, the work queue (two per worker), the workers
    // (one per core), the sending queue and the consumer: a few per core.
    // More senders than that, each waiting for its answer, must find the
    // pipeline queue full.
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let senders = 3 * cores + 8;
    let stop = AtomicBool::new(false);
    let accepted = Mutex::new(Vec::new());
    let refused = Mutex::new(Vec::new());
    let started = Instant::now();
    std::thread::scope(|scope| {
        for sender in 0..senders as u64 {
            let (a, stop, accepted, refused) = (&a, &stop, &accepted, &refused);
            scope.spawn(move || {
                let client = Client::new();
                for n in 0.. {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let first = (sender * 10_000 + n) * 10;
                    let (status, retry_after, body) = post_numbered(&client, a, first);
                    match status {
                        200 => accepted.lock().unwrap().push(first),
                        503 => {
                            refused.lock().unwrap().push((first, retry_after, body));
                            stop.store(true, Ordering::SeqCst);
                        }
                        other => panic!("request {first}: unexpected {other}: {body}"),
                    }
                }
            });
        }
        while refused.lock().unwrap().is_empty() {
            if started.elapsed() > Duration::from_secs(20) {
                stop.store(true, Ordering::SeqCst);
                panic!(
                    "{senders} senders got no 503 from the edge in 20 s while B was down \
                     ({} requests accepted); edge log:\n{}",
                    accepted.lock().unwrap().len(),
                    a.log()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        // The senders still waiting get their answers once B is back.
        b.restart();
    });
    let refused = refused.into_inner().unwrap();
    let mut accepted = accepted.into_inner().unwrap();
    println!(
        "{} requests accepted and {} refused with 503 after {:.1} s",
        accepted.len(),
        refused.len(),
        started.elapsed().as_secs_f64()
    );
    let overloaded = a.metric(
        r#"weir_receiver_refused_requests_total{receiver="otlp",transport="http",reason="overloaded"}"#,
    );
    assert_eq!(
        overloaded,
        Some(refused.len() as f64),
        "refused as overloaded"
    );
    for (first, retry_after, body) in &refused {
        assert_eq!(
            retry_after.as_deref(),
            Some("1"),
            "request {first}: Retry-After"
        );
        assert!(body.contains("overloaded"), "request {first}: {body}");
    }

    // The client retries each refused request after its Retry-After.
    std::thread::sleep(Duration::from_secs(1));
    let client = Client::new();
    for (first, _, _) in &refused {
        let (status, _, body) = post_numbered(&client, &a, *first);
        assert_eq!(status, 200, "the retry of request {first}: {body}");
        accepted.push(*first);
    }

    // Every acknowledged request's records reached B once, the retried
    // ones included: a 503 took nothing in.
    let expected: Vec<u64> = accepted
        .iter()
        .flat_map(|&first| first..first + 10)
        .collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    let seen = loop {
        let seen = delivered(&b);
        if seen.len() >= expected.len() {
            break seen;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {} acknowledged records reached B in 30 s; edge log:\n{}",
            seen.len(),
            expected.len(),
            a.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(a.stop().success(), "edge log:\n{}", a.log());
    assert!(b.stop().success());
    for seq in &expected {
        assert_eq!(seen.get(seq), Some(&1), "record {seq} reached B once");
    }
    assert_eq!(seen.len(), expected.len(), "nothing B got was refused");
}
