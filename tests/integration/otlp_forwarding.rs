//! weir → weir over OTLP/gRPC (issue 14): an edge weir ("A") receives
//! OTLP/HTTP and forwards with its `otlp` exporter to a second weir ("B")
//! that writes files. What A acknowledged must reach B's files intact —
//! resources, attributes, trace and span ids — including when B starts
//! only after A has acknowledged the records.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use prost::Message;
use reqwest::blocking::Client;
use weir::otlp::common::InstrumentationScope;
use weir::otlp::logs::LogRecord;
use weir::otlp::resource::Resource;
use weir::otlp::trace::Span;
use weir::otlp::{Batch, ExportLogsServiceRequest, ExportTraceServiceRequest, Payload, Signal};
use weir_tests::batches::{self, int_attr};

use crate::daemon_support::{Daemon, json_attr};

/// The destination: a weir that writes every signal to files.
fn destination() -> Daemon {
    Daemon::with_file_exporter()
}

/// The edge: logs and traces in, the `otlp` exporter out to `to`'s
/// OTLP/gRPC port, in plaintext.
fn edge(to: &Daemon) -> Daemon {
    Daemon::start(
        "  batch:\n    timeout: 20ms",
        &format!(
            "  otlp/b:\n    endpoint: {}\n    tls:\n      insecure: true",
            to.grpc
        ),
        "    logs:\n      receivers: [otlp]\n      processors: [batch]\n      exporters: [otlp/b]\n\
         \x20   traces:\n      receivers: [otlp]\n      processors: [batch]\n      exporters: [otlp/b]",
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
fn post(client: &Client, to: &Daemon, signal: Signal, body: Vec<u8>) -> bool {
    client
        .post(format!("{}/v1/{signal}", to.http))
        .header("Content-Type", "application/x-protobuf")
        .timeout(Duration::from_secs(10))
        .body(body)
        .send()
        .is_ok_and(|r| r.status() == 200)
}

/// What `destination` wrote for `signal`, read back as batches.
fn written(destination: &Daemon, signal: Signal) -> Vec<Batch> {
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
fn spans_in(batches: &[Batch]) -> Vec<(Resource, InstrumentationScope, Span)> {
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
fn wait_for(destination: &Daemon, edge: &Daemon, signal: Signal, n: usize) -> Vec<Batch> {
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
