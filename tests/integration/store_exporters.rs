//! The store exporters on the exporter base (issue 16): `jaeger` is the
//! `otlp` exporter for traces, so spans reach a second weir's OTLP/gRPC
//! receiver unchanged; `victorialogs`, on the HTTP base every store
//! exporter shares, loses nothing while its store is down for 30 s under
//! load or answers bursts of 500, and dead-letters a batch the store
//! refuses with a 400 — with the store's reason — while the rest flows.
//! `weir validate` refuses either exporter in a pipeline of a signal its
//! store does not hold, naming the exporter.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use prost::Message;
use reqwest::blocking::Client;
use weir::otlp::{Batch, ExportLogsServiceRequest, Signal};
use weir_tests::batches;

use crate::daemon_support::Daemon;
use crate::otlp_forwarding::{post, spans_in, wait_for, written};
use crate::store_support::{Behaviour, POISON, REFUSAL, Store, numbered, poison};
use crate::support::run_weir;

#[test]
fn spans_sent_through_the_jaeger_exporter_arrive_unchanged() {
    // The far end stands in for Jaeger's OTLP/gRPC port (4317).
    let mut far = Daemon::with_file_exporter();
    let mut edge = Daemon::start(
        "  batch:\n    timeout: 20ms",
        &format!(
            "  jaeger:\n    endpoint: {}\n    tls:\n      insecure: true",
            far.grpc
        ),
        "    traces:\n      receivers: [otlp]\n      processors: [batch]\n      exporters: [jaeger]",
    );
    let sent = batches::spans(40);
    assert!(
        post(&Client::new(), &edge, Signal::Traces, sent.encode_to_vec()),
        "edge log:\n{}",
        edge.log()
    );
    let got = wait_for(&far, &edge, Signal::Traces, 40);
    let arrived = spans_in(&got);
    assert_eq!(arrived.len(), 40, "no span twice");
    assert_eq!(
        arrived,
        spans_in(&[Batch::from(sent)]),
        "every span arrives with its resource, scope, ids, times, attributes and status"
    );
    let exported =
        edge.metric("weir_exporter_sent_records_total{exporter=\"jaeger\",signal=\"traces\"}");
    assert!(edge.stop().success(), "edge log:\n{}", edge.log());
    assert!(far.stop().success());
    assert_eq!(exported, Some(40.0));
    assert!(written(&far, Signal::Logs).is_empty());
}

#[test]
fn validate_refuses_a_store_exporter_in_a_pipeline_of_another_signal() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "jaeger",
            "endpoint: jaeger:4317",
            "logs",
            "exporters.jaeger: pipeline `logs` sends it logs, but a jaeger exporter takes \
             traces only: use it in traces pipelines",
        ),
        (
            "victorialogs/vl",
            "endpoint: http://victorialogs:9428",
            "metrics",
            "exporters.victorialogs/vl: pipeline `metrics` sends it metrics, but a \
             victorialogs exporter takes logs only: use it in logs pipelines",
        ),
    ];
    for (id, settings, signal, message) in cases {
        let config = dir.path().join("weir.yaml");
        std::fs::write(
            &config,
            format!(
                "receivers:\n  otlp:\n    protocols:\n      grpc:\n\
                 exporters:\n  {id}:\n    {settings}\n\
                 service:\n  pipelines:\n    {signal}:\n      receivers: [otlp]\n      \
                 exporters: [{id}]\n"
            ),
        )
        .unwrap();
        let output = run_weir(&[
            "validate",
            "--skip-plugins",
            "--config",
            config.to_str().unwrap(),
        ]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{id} in {signal}: {stderr}");
        assert!(stderr.contains(message), "{id} in {signal}: {stderr}");
    }
}

/// An edge weir: OTLP/HTTP in, logs to the `victorialogs` exporter in
/// `mode` pointed at `store`, dead letters to files under `{dir}/dead`.
/// No batch processor: each request is one batch, so a refused request
/// takes no other records with it.
fn edge(store: &Store, mode: &str) -> Daemon {
    let config = format!(
        "receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:{{http_port}}
exporters:
  victorialogs:
    endpoint: {}
    mode: {mode}
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
      exporters: [victorialogs]
      dead_letter: [file/dead]
",
        store.url()
    );
    Daemon::from_config(tempfile::tempdir().expect("temp dir"), &config)
}

/// Sends `request` to `edge` until it is acknowledged, as an OTLP client
/// does with `503` / `Retry-After`; returns how many attempts were not.
fn send_until_accepted(client: &Client, edge: &Daemon, request: &ExportLogsServiceRequest) -> u32 {
    let body = request.encode_to_vec();
    let deadline = Instant::now() + Duration::from_secs(180);
    let mut refused = 0;
    loop {
        let answer = client
            .post(format!("{}/v1/logs", edge.http))
            .header("Content-Type", "application/x-protobuf")
            .timeout(Duration::from_secs(90))
            .body(body.clone())
            .send();
        match answer {
            Ok(answer) if answer.status() == 200 => return refused,
            Ok(answer) => assert!(
                answer.status() == 503,
                "only 503 means retry later, got {}: {}",
                answer.status(),
                answer.text().unwrap_or_default()
            ),
            Err(e) => panic!("weir did not answer: {e}; its log:\n{}", edge.log()),
        }
        refused += 1;
        assert!(
            Instant::now() < deadline,
            "a request was not acknowledged in 180 s; weir's log:\n{}",
            edge.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

const RETRIES: &str = "weir_exporter_retries_total{exporter=\"victorialogs\",signal=\"logs\"}";

#[test]
fn a_store_down_for_30_s_under_load_loses_nothing() {
    const SENDERS: usize = 4;
    const PER_REQUEST: u64 = 50;
    let mut store = Store::start(Behaviour::Accept);
    let mut edge = edge(&store, "otlp");
    let edge_ref = &edge;
    let next = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    let told_to_retry = AtomicU64::new(0);
    std::thread::scope(|scope| {
        for _ in 0..SENDERS {
            scope.spawn(|| {
                let client = Client::new();
                while !stop.load(Ordering::Relaxed) {
                    let first = next.fetch_add(PER_REQUEST, Ordering::Relaxed);
                    let refused =
                        send_until_accepted(&client, edge_ref, &numbered(first, PER_REQUEST));
                    told_to_retry.fetch_add(u64::from(refused), Ordering::Relaxed);
                }
            });
        }
        let before = wait_for_records(&store, 500);
        store.down();
        std::thread::sleep(Duration::from_secs(30));
        store.up();
        // Load goes on after the store is back, then stops; each sender
        // finishes its request (retrying until acknowledged).
        wait_for_records(&store, before + 500);
        stop.store(true, Ordering::Relaxed);
    });
    let sent = next.load(Ordering::Relaxed);
    let seen = store.wait_for_all(sent, || edge.log());
    let retries = edge.metric(RETRIES).unwrap_or(0.0);
    let log = edge.log();
    assert!(edge.stop().success(), "weir's log:\n{log}");
    let duplicates: u32 = seen.values().map(|n| n - 1).sum();
    println!(
        "store down 30 s under load: {sent} records acknowledged and all delivered \
         ({duplicates} duplicates); {retries} export retries; senders told to retry {} times",
        told_to_retry.load(Ordering::Relaxed)
    );
    assert_eq!(seen.len() as u64, sent, "only the numbers sent arrived");
    assert!(
        retries >= 1.0,
        "the exporter retried while the store was down"
    );
    assert!(
        log.contains("refused"),
        "the outage shows as a refused connection in weir's log:\n{log}"
    );
}

/// Waits (bounded) until the store has accepted at least `n` distinct
/// records; returns how many it has.
fn wait_for_records(store: &Store, n: usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let count = store.seen().len();
        if count >= n {
            return count;
        }
        assert!(
            Instant::now() < deadline,
            "the store took {count} of {n} records in 60 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn bursts_of_500_are_retried_until_every_record_arrives() {
    // Two of every five requests fail: a store under pressure. The JSON
    // lines path, so that the daemon's `jsonline` mode is covered too.
    let store = Store::start(Behaviour::Bursts { fail: 2, pass: 3 });
    let mut edge = edge(&store, "jsonline");
    let told_to_retry = AtomicU64::new(0);
    std::thread::scope(|scope| {
        for sender in 0..2u64 {
            let (edge, told_to_retry) = (&edge, &told_to_retry);
            scope.spawn(move || {
                let client = Client::new();
                for i in 0..10u64 {
                    let first = (sender * 10 + i) * 50;
                    let refused = send_until_accepted(&client, edge, &numbered(first, 50));
                    told_to_retry.fetch_add(u64::from(refused), Ordering::Relaxed);
                }
            });
        }
    });
    let seen = store.wait_for_all(1000, || edge.log());
    let retries = edge.metric(RETRIES).unwrap_or(0.0);
    let failed = edge.metric(
        "weir_exporter_send_failed_records_total{exporter=\"victorialogs\",signal=\"logs\",kind=\"permanent\"}",
    );
    let log = edge.log();
    assert!(edge.stop().success(), "weir's log:\n{log}");
    assert_eq!(seen.len(), 1000);
    if told_to_retry.load(Ordering::Relaxed) == 0 {
        // (A sender told to retry sends its records again: duplicates.)
        assert!(seen.values().all(|&n| n == 1), "a 500 is not a delivery");
    }
    assert!(
        store.answers(500) >= 8,
        "500s answered: {}",
        store.answers(500)
    );
    assert_eq!(
        retries,
        f64::from(store.answers(500)),
        "each 500 retried once"
    );
    assert_eq!(failed, None, "nothing given up");
    assert!(
        log.contains("500 Internal Server Error: cannot flush data"),
        "the store's reason is logged with each retry:\n{log}"
    );
    assert!(!std::fs::exists(edge.dir().join("dead/logs/logs.jsonl")).unwrap());
}

#[test]
fn a_refused_batch_is_dead_lettered_with_the_stores_reason_and_the_rest_flows() {
    let store = Store::start(Behaviour::RefusePoison);
    let mut edge = edge(&store, "otlp");
    let client = Client::new();
    for i in 0..5 {
        assert_eq!(
            send_until_accepted(&client, &edge, &numbered(i * 50, 50)),
            0
        );
    }
    // A refusal for good goes to the dead letters, not back to the sender.
    assert_eq!(send_until_accepted(&client, &edge, &poison()), 0);
    for i in 5..10 {
        assert_eq!(
            send_until_accepted(&client, &edge, &numbered(i * 50, 50)),
            0
        );
    }
    let seen = store.wait_for_all(500, || edge.log());
    let failed = edge.metric(
        "weir_exporter_send_failed_records_total{exporter=\"victorialogs\",signal=\"logs\",kind=\"permanent\"}",
    );
    let retries = edge.metric(RETRIES);
    let log = edge.log();
    assert!(edge.stop().success(), "weir's log:\n{log}");
    assert_eq!(seen.len(), 500, "every other record arrived");
    assert_eq!(store.answers(400), 1, "the refused batch was not retried");
    assert_eq!(failed, Some(1.0));
    assert_eq!(retries, None);
    let refusal = log
        .lines()
        .find(|l| l.contains("export refused for good"))
        .unwrap_or_else(|| panic!("no refusal logged:\n{log}"));
    assert!(
        refusal.contains("/insert/opentelemetry/v1/logs answered 400 Bad Request")
            && refusal.contains(REFUSAL.split_once("field").unwrap().0)
            && refusal.contains("is not allowed here"),
        "the store's answer and reason are in the log: {refusal}"
    );
    let dead = std::fs::read_to_string(edge.dir().join("dead/logs/logs.jsonl"))
        .expect("the dead-letter file");
    let letters: Vec<Batch> = dead
        .lines()
        .map(|l| Batch::from_json_as(Signal::Logs, l).expect("OTLP/JSON"))
        .collect();
    assert_eq!(letters.len(), 1);
    assert_eq!(
        letters[0],
        Batch::from(poison()),
        "the refused batch, whole"
    );
    assert!(dead.contains(POISON));
}

#[test]
fn the_stores_example_is_a_valid_configuration() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/phase2-stores.yaml"
    );
    let dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_weir-under-test"))
        .args(["validate", "--config", path])
        .env("KAFKA_BROKERS", "kafka-1:9092")
        .env("INFLUX_TOKEN", "t0ken")
        .env("WEIR_CACHE_DIR", dir.path().join("cache"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "examples/phase2-stores.yaml: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}
