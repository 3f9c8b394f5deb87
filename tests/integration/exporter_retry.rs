//! The exporter base with the in-memory queue (issue 14): a retryable
//! failure is retried while the sender waits, so a destination that comes
//! back in time costs the sender nothing; a permanent failure goes to the
//! pipeline's dead-letter exporters with the reason, not back to a sender
//! that would retry it for ever.

use std::time::Duration;

use prost::Message;
use reqwest::blocking::Client;
use weir_tests::batches;

use crate::daemon_support::Daemon;
use crate::durable_queue::destination;

/// An edge sending logs to `logs_endpoint` through `otlphttp`, with
/// dead letters going to files under `{dir}/dead`.
fn edge(logs_endpoint: &str) -> Daemon {
    edge_with(logs_endpoint, "      dead_letter: [file/dead]\n")
}

fn edge_with(logs_endpoint: &str, dead_letter: &str) -> Daemon {
    let config = format!(
        "receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:{{http_port}}
exporters:
  otlphttp/b:
    logs_endpoint: {logs_endpoint}
    retry_on_failure:
      initial_interval: 200ms
      max_interval: 1s
  file/dead:
    path: {{dir}}/dead
service:
  telemetry:
    address: 127.0.0.1:{{telemetry_port}}
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [otlphttp/b]
{dead_letter}"
    );
    Daemon::from_config(tempfile::tempdir().expect("temp dir"), &config)
}

fn send(to: &Daemon, n: usize) -> reqwest::blocking::Response {
    Client::new()
        .post(format!("{}/v1/logs", to.http))
        .header("Content-Type", "application/x-protobuf")
        .timeout(Duration::from_secs(60))
        .body(batches::logs(n).encode_to_vec())
        .send()
        .expect("weir answers")
}

#[test]
fn a_destination_that_returns_while_the_sender_waits_gets_the_records() {
    let mut b = destination();
    assert!(b.stop().success());
    let mut a = edge(&format!("{}/v1/logs", b.http));
    let restart = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(2));
        b.restart();
        b
    });
    let answer = send(&a, 7);
    let mut b = restart.join().unwrap();
    assert_eq!(answer.status(), 200, "edge log:\n{}", a.log());
    let retries = a.metric("weir_exporter_retries_total{exporter=\"otlphttp/b\",signal=\"logs\"}");
    assert!(a.stop().success());
    assert!(b.stop().success());
    assert_eq!(b.log_records().len(), 7);
    assert!(retries.unwrap_or(0.0) >= 1.0, "retries: {retries:?}");
}

#[test]
fn a_permanent_refusal_goes_to_the_dead_letters_not_back_to_the_sender() {
    let mut b = destination();
    // weir answers 404 for an unknown path: a permanent failure.
    let mut a = edge(&format!("{}/v1/nowhere", b.http));
    let answer = send(&a, 5);
    assert_eq!(answer.status(), 200, "edge log:\n{}", a.log());
    let failed = a.metric(
        "weir_exporter_send_failed_records_total{exporter=\"otlphttp/b\",signal=\"logs\",kind=\"permanent\"}",
    );
    let retries = a.metric("weir_exporter_retries_total{exporter=\"otlphttp/b\",signal=\"logs\"}");
    let log = a.log();
    assert!(a.stop().success());
    assert!(b.stop().success());
    assert_eq!(failed, Some(5.0), "edge log:\n{log}");
    assert_eq!(retries, None, "a permanent failure is not retried");
    assert!(log.contains("404"), "the reason names the status:\n{log}");
    let dead = std::fs::read_to_string(a.dir().join("dead/logs/logs.jsonl")).expect("dead letters");
    assert_eq!(dead.lines().count(), 1);
    assert!(b.log_records().is_empty());
}

#[test]
fn without_dead_letters_a_permanent_refusal_tells_the_sender_not_to_retry() {
    let mut b = destination();
    let mut a = edge_with(&format!("{}/v1/nowhere", b.http), "");
    let answer = send(&a, 3);
    let status = answer.status();
    let body = answer.text().unwrap_or_default();
    assert!(a.stop().success());
    assert!(b.stop().success());
    // 400, not 503: an OTLP client drops the request instead of retrying
    // it for ever.
    assert_eq!(status, 400, "{body}");
    assert!(
        body.contains("refused for good") && body.contains("404"),
        "{body}"
    );
}
