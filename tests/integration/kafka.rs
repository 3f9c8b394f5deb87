//! Kafka between the phases, against a real broker (tansu): phase 1
//! (OTLP → `kafka` exporter) and phase 2 (`kafka` receiver → exporters)
//! carry logs, metrics and spans intact; messages built as the Collector
//! builds them are consumed, and what weir produces is what the
//! Collector's receiver reads; a message that cannot be decoded goes to
//! the dead-letter topic and consumption goes on. Groups of several
//! members, and partitions paused and resumed, are tested in
//! `kafka_faults` on librdkafka's mock cluster: tansu 0.6 assigns a
//! second group member no partitions, and answers the fetches of a
//! partition resumed after a pause with no messages.

use std::collections::HashMap;
use std::time::Duration;

use rdkafka::Message;
use rdkafka::message::Headers;
use weir::otlp::{Batch, Payload, Signal};

use crate::daemon_support::Daemon;
use crate::kafka_support::*;

const LOGS: &str = r#"{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"checkout"}}]},
  "scopeLogs":[{"scope":{"name":"app","version":"1.2"},"logRecords":[
    {"timeUnixNano":"1700000000000000001","severityNumber":9,"severityText":"INFO","body":{"stringValue":"order placed"},
     "attributes":[{"key":"order.id","value":{"intValue":"42"}}],"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708"},
    {"timeUnixNano":"1700000000000000002","severityNumber":17,"body":{"kvlistValue":{"values":[{"key":"k","value":{"doubleValue":1.5}}]}}}]}]}]}"#;

const METRICS: &str = r#"{"resourceMetrics":[{"resource":{"attributes":[{"key":"host.name","value":{"stringValue":"h1"}}]},
  "scopeMetrics":[{"scope":{"name":"meter"},"metrics":[
    {"name":"queue.depth","unit":"1","gauge":{"dataPoints":[{"timeUnixNano":"1700000000000000000","asInt":"7"}]}},
    {"name":"requests","unit":"1","sum":{"aggregationTemporality":2,"isMonotonic":true,"dataPoints":[
      {"startTimeUnixNano":"1","timeUnixNano":"1700000000000000000","asDouble":12.5,"attributes":[{"key":"route","value":{"stringValue":"/a"}}]}]}},
    {"name":"latency","unit":"s","histogram":{"aggregationTemporality":2,"dataPoints":[
      {"timeUnixNano":"1700000000000000000","count":"3","sum":0.6,"bucketCounts":["1","2"],"explicitBounds":[0.1]}]}}]}]}]}"#;

const SPANS: &str = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"frontend"}}]},
  "scopeSpans":[{"scope":{"name":"tracer"},"spans":[
    {"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708","name":"GET /","kind":2,
     "startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000100000000"},
    {"traceId":"a1a2a3a4a5a6a7a8a9aaabacadaeafb0","spanId":"1112131415161718","name":"POST /pay","kind":2,
     "startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000200000000"},
    {"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"2122232425262728","parentSpanId":"0102030405060708","name":"db",
     "startTimeUnixNano":"1700000000010000000","endTimeUnixNano":"1700000000050000000"}]}]}]}"#;

fn batch(signal: Signal, json: &str) -> Batch {
    Batch::from_json_as(signal, json).unwrap()
}

/// Topics for one test: `<prefix>_logs`, `_metrics`, `_spans`.
struct Topics {
    logs: String,
    metrics: String,
    spans: String,
}

impl Topics {
    fn new(brokers: &str, partitions: i32) -> Topics {
        let prefix = unique("weir_test");
        let topics = Topics {
            logs: format!("{prefix}_logs"),
            metrics: format!("{prefix}_metrics"),
            spans: format!("{prefix}_spans"),
        };
        create_topics(
            brokers,
            &[&topics.logs, &topics.metrics, &topics.spans],
            partitions,
        );
        topics
    }

    /// The per-signal blocks of a `kafka` exporter or receiver.
    fn yaml(&self, key: &str) -> String {
        let value = |t: &str| {
            if key == "topics" {
                format!("[{t}]")
            } else {
                t.to_string()
            }
        };
        format!(
            "    logs: {{{key}: {}}}\n    metrics: {{{key}: {}}}\n    traces: {{{key}: {}}}\n",
            value(&self.logs),
            value(&self.metrics),
            value(&self.spans)
        )
    }
}

/// Phase 1: OTLP in, every signal to the `kafka` exporter.
fn phase1(brokers: &str, topics: &Topics, extra: &str) -> Daemon {
    Daemon::from_config(
        tempfile::tempdir().unwrap(),
        &format!(
            "receivers:\n  otlp:\n    protocols:\n      http:\n        endpoint: 127.0.0.1:{{http_port}}\n\
             exporters:\n  kafka:\n    brokers: [{brokers}]\n{}{extra}\n\
             service:\n  telemetry:\n    address: 127.0.0.1:{{telemetry_port}}\n  pipelines:\n\
             \x20   logs:\n      receivers: [otlp]\n      exporters: [kafka]\n\
             \x20   metrics:\n      receivers: [otlp]\n      exporters: [kafka]\n\
             \x20   traces:\n      receivers: [otlp]\n      exporters: [kafka]\n",
            topics.yaml("topic")
        ),
    )
}

fn receiver(brokers: &str, topics: &Topics, extra: &str) -> String {
    format!(
        "    brokers: [{brokers}]\n    group_id: {}\n{}{extra}",
        unique("group"),
        topics.yaml("topics")
    )
}

#[test]
fn logs_metrics_and_spans_go_through_kafka_intact() {
    let brokers = brokers();
    let topics = Topics::new(&brokers, 3);
    let edge = phase1(&brokers, &topics, "    partition_traces_by_id: true\n");
    let far = phase2(
        &receiver(&brokers, &topics, ""),
        "  file:\n    path: {data}",
        "file",
    );
    for (signal, json) in [
        (Signal::Logs, LOGS),
        (Signal::Metrics, METRICS),
        (Signal::Traces, SPANS),
    ] {
        // A 200 means the records are in Kafka.
        assert_eq!(post(&edge, &batch(signal, json)), 200, "{}", edge.log());
    }
    for (signal, json) in [
        (Signal::Logs, LOGS),
        (Signal::Metrics, METRICS),
        (Signal::Traces, SPANS),
    ] {
        let sent = batch(signal, json);
        let got = wait_written(&far, signal, sent.len(), Duration::from_secs(60));
        assert_eq!(
            flatten(&got),
            flatten(&[sent]),
            "{signal} changed on the way through Kafka; phase 2 log:\n{}",
            far.log()
        );
    }
    assert!(
        metric_sum(&far, "weir_kafka_consumed_messages_total") >= 4.0,
        "three requests, the spans split in two traces"
    );
}

#[test]
fn weir_reads_what_the_collector_writes_and_writes_what_it_reads() {
    let brokers = brokers();
    let topics = Topics::new(&brokers, 2);
    // As the Collector's kafka exporter writes: the export request in
    // protobuf, no key, no headers.
    let collector_message = batch(Signal::Logs, LOGS).encode();
    produce(&brokers, &topics.logs, &[(None, collector_message)]);
    let far = phase2(
        &receiver(&brokers, &topics, ""),
        "  file:\n    path: {data}",
        "file",
    );
    let got = wait_written(&far, Signal::Logs, 2, Duration::from_secs(60));
    assert_eq!(flatten(&got), flatten(&[batch(Signal::Logs, LOGS)]));

    // What weir writes with partition_traces_by_id: one export request
    // per trace, keyed by the trace id in hex, as the Collector's
    // receiver reads them.
    let edge = phase1(&brokers, &topics, "    partition_traces_by_id: true\n");
    assert_eq!(post(&edge, &batch(Signal::Traces, SPANS)), 200);
    let messages = read_topic(&brokers, &topics.spans, 2, 2, Duration::from_secs(30));
    assert_eq!(messages.len(), 2, "one message per trace");
    let mut spans = Vec::new();
    for message in &messages {
        let part = decode(Signal::Traces, message);
        let key = std::str::from_utf8(message.key().expect("a key")).unwrap();
        let Payload::Traces(request) = part.payload() else {
            unreachable!()
        };
        for span in request
            .resource_spans
            .iter()
            .flat_map(|r| &r.scope_spans)
            .flat_map(|s| &s.spans)
        {
            assert_eq!(hex(&span.trace_id), key, "the key is the trace id");
        }
        spans.push(part);
    }
    assert_eq!(flatten(&spans), flatten(&[batch(Signal::Traces, SPANS)]));
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn an_undecodable_message_goes_to_the_dead_letter_topic_and_consumption_goes_on() {
    let brokers = brokers();
    let topics = Topics::new(&brokers, 1);
    let dead = unique("weir_test_dead");
    create_topics(&brokers, &[&dead], 1);
    produce(
        &brokers,
        &topics.logs,
        &[
            (None, numbered_logs("poison", 0, 1).encode().to_vec()),
            (Some("bad"), b"\x0a\xff\xff\xff not protobuf".to_vec()),
            (None, numbered_logs("poison", 1, 1).encode().to_vec()),
        ],
    );
    let far = phase2(
        &receiver(
            &brokers,
            &topics,
            &format!("    dead_letter_topic: {dead}\n"),
        ),
        "  file:\n    path: {data}",
        "file",
    );
    let got = wait_written(&far, Signal::Logs, 2, Duration::from_secs(60));
    let mut seen = numbers(&got);
    seen.sort();
    assert_eq!(seen, [0, 1], "both good messages, around the bad one");

    let letters = read_topic(&brokers, &dead, 1, 1, Duration::from_secs(30));
    assert_eq!(letters.len(), 1, "{}", far.log());
    let letter = &letters[0];
    assert_eq!(letter.key(), Some(&b"bad"[..]));
    assert_eq!(
        letter.payload(),
        Some(&b"\x0a\xff\xff\xff not protobuf"[..])
    );
    let headers: HashMap<String, String> = letter
        .headers()
        .expect("headers")
        .iter()
        .map(|h| {
            (
                h.key.to_string(),
                String::from_utf8_lossy(h.value.unwrap_or_default()).into_owned(),
            )
        })
        .collect();
    assert_eq!(headers["weir.origin.topic"], topics.logs);
    assert_eq!(headers["weir.origin.partition"], "0");
    assert_eq!(headers["weir.origin.offset"], "1");
    assert!(
        headers["weir.error"].contains("malformed OTLP protobuf logs request"),
        "{headers:?}"
    );
    assert_eq!(
        metric_sum(&far, "weir_kafka_dead_letter_messages_total"),
        1.0
    );
}

#[test]
fn the_two_phase_examples_are_valid_configurations() {
    let dir = tempfile::tempdir().unwrap();
    let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples");
    for name in ["phase1.yaml", "phase2.yaml"] {
        std::fs::copy(format!("{examples}/{name}"), dir.path().join(name)).unwrap();
    }
    std::fs::copy(
        weir_tests::guests::SEVERITY_FILTER,
        dir.path().join("severity_filter.wasm"),
    )
    .unwrap();
    for name in ["phase1.yaml", "phase2.yaml"] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_weir-under-test"))
            .args(["validate", "--config"])
            .arg(dir.path().join(name))
            .env("KAFKA_BROKERS", "kafka-1:9092")
            .env("WEIR_CACHE_DIR", dir.path().join("cache"))
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "examples/{name}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn shutdown_with_an_unreachable_broker_ends_within_its_timeouts() {
    // Nothing listens on port 1: every delivery fails until `timeout`.
    let mut edge = Daemon::from_config(
        tempfile::tempdir().unwrap(),
        "receivers:\n  otlp:\n    protocols:\n      http:\n        endpoint: 127.0.0.1:{http_port}\n\
         exporters:\n  kafka:\n    brokers: [127.0.0.1:1]\n    timeout: 2s\n\
         service:\n  telemetry:\n    address: 127.0.0.1:{telemetry_port}\n  pipelines:\n\
         \x20   logs:\n      receivers: [otlp]\n      exporters: [kafka]\n",
    );
    let sender = {
        let http = edge.http.clone();
        std::thread::spawn(move || {
            reqwest::blocking::Client::new()
                .post(format!("{http}/v1/logs"))
                .header("content-type", "application/x-protobuf")
                .body(numbered_logs("unreachable", 0, 5).encode().to_vec())
                .timeout(Duration::from_secs(60))
                .send()
                .map(|r| r.status().as_u16())
                .unwrap_or(0)
        })
    };
    std::thread::sleep(Duration::from_millis(500));
    // The export is stuck retrying; SIGTERM must still end weir (the
    // harness fails the test if it takes over 60 s), and the sender is
    // told to retry rather than that its records were taken.
    let status = edge.stop();
    assert!(status.success(), "{}", edge.log());
    let answer = sender.join().unwrap();
    assert_ne!(
        answer, 200,
        "records that never reached Kafka were acknowledged"
    );
}

#[test]
fn a_record_larger_than_a_message_goes_to_the_dead_letter_exporter_and_the_rest_to_kafka() {
    let brokers = brokers();
    let topics = Topics::new(&brokers, 1);
    let edge = Daemon::from_config(
        tempfile::tempdir().unwrap(),
        &format!(
            "receivers:\n  otlp:\n    protocols:\n      http:\n        endpoint: 127.0.0.1:{{http_port}}\n\
             exporters:\n  kafka:\n    brokers: [{brokers}]\n    producer: {{max_message_bytes: 2000}}\n{}\
             \x20 file/dead:\n    path: {{data}}\n\
             service:\n  telemetry:\n    address: 127.0.0.1:{{telemetry_port}}\n  pipelines:\n\
             \x20   logs:\n      receivers: [otlp]\n      exporters: [kafka]\n      dead_letter: [file/dead]\n",
            topics.yaml("topic")
        ),
    );
    let big = "x".repeat(5_000);
    let mut batch = numbered_logs("oversize", 0, 3);
    let Payload::Logs(request) = batch.payload_mut() else {
        unreachable!()
    };
    request.resource_logs[0].scope_logs[0].log_records[1]
        .attributes
        .push(weir::otlp::common::KeyValue {
            key: "blob".into(),
            value: Some(weir::otlp::common::AnyValue {
                value: Some(weir::otlp::common::any_value::Value::StringValue(big)),
            }),
            ..Default::default()
        });
    assert_eq!(post(&edge, &batch), 200, "{}", edge.log());
    let messages = read_topic(&brokers, &topics.logs, 1, 2, Duration::from_secs(30));
    let produced: Vec<Batch> = messages.iter().map(|m| decode(Signal::Logs, m)).collect();
    let mut in_kafka = numbers(&produced);
    in_kafka.sort();
    assert_eq!(in_kafka, [0, 2], "the records that fit went to Kafka");
    let dead = wait_written(&edge, Signal::Logs, 1, Duration::from_secs(30));
    assert_eq!(numbers(&dead), [1], "the oversize record is a dead letter");
    assert!(
        edge.log()
            .contains("larger than producer.max_message_bytes"),
        "{}",
        edge.log()
    );
}
