//! Kafka faults, on librdkafka's mock cluster (in this test process,
//! reached by weir over loopback): a broker that goes down under the
//! edge and comes back; a phase-2 exporter that fails, so nothing is
//! committed and the messages come again; partitions paused while an
//! exporter fails and resumed once it is back (the Collector receiver's
//! contrib #47118 never resumed them); a consumer group of two that
//! shares the partitions and loses nothing when a member is killed. These
//! are here rather than against tansu: tansu 0.6 gives a second group
//! member no partitions, and answers the fetches of a resumed partition
//! with no messages.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rdkafka::mocking::MockCluster;
use weir::otlp::Signal;

use crate::daemon_support::Daemon;
use crate::kafka_support::{
    decode, metric_sum, numbered_logs, numbers, phase2, post, produce, read_topic, sink,
    wait_numbered,
};

#[test]
fn with_the_broker_down_the_edge_answers_503_and_delivers_once_it_is_back() {
    let cluster = MockCluster::new(1).expect("mock cluster");
    let brokers = cluster.bootstrap_servers();
    cluster.create_topic("otlp_logs", 1, 1).expect("topic");
    let edge = Daemon::from_config(
        tempfile::tempdir().unwrap(),
        &format!(
            "receivers:\n  otlp:\n    protocols:\n      http:\n        endpoint: 127.0.0.1:{{http_port}}\n\
             exporters:\n  kafka:\n    brokers: [{brokers}]\n    timeout: 1s\n    retry_on_failure:\n\
             \x20     initial_interval: 100ms\n      max_interval: 200ms\n      max_elapsed_time: 1s\n\
             service:\n  telemetry:\n    address: 127.0.0.1:{{telemetry_port}}\n  pipelines:\n\
             \x20   logs:\n      receivers: [otlp]\n      exporters: [kafka]\n"
        ),
    );
    assert_eq!(
        post(&edge, &numbered_logs("down", 0, 10)),
        200,
        "{}",
        edge.log()
    );

    cluster.broker_down(1).expect("broker down");
    // The edge cannot get the records into Kafka: it says so, and the
    // sender keeps them to retry.
    let retried = numbered_logs("down", 10, 10);
    assert_eq!(post(&edge, &retried), 503, "{}", edge.log());

    cluster.broker_up(1).expect("broker up");
    // The sender's retry gets through once the broker is back.
    let deadline = Instant::now() + Duration::from_secs(60);
    while post(&edge, &retried) != 200 {
        assert!(Instant::now() < deadline, "{}", edge.log());
        std::thread::sleep(Duration::from_millis(200));
    }
    let messages = read_topic(&brokers, "otlp_logs", 1, 2, Duration::from_secs(30));
    let batches: Vec<_> = messages.iter().map(|m| decode(Signal::Logs, m)).collect();
    let mut seen = numbers(&batches);
    seen.sort();
    seen.dedup();
    assert_eq!(seen, (0..20).collect::<Vec<u64>>(), "{}", edge.log());
}

/// Phase 2 exporting over OTLP to `sink`, retrying briefly.
fn otlp_to(sink: &Daemon) -> String {
    format!(
        "  otlp:\n    endpoint: {}\n    tls: {{insecure: true}}\n    retry_on_failure:\n\
         \x20     initial_interval: 100ms\n      max_interval: 500ms\n      max_elapsed_time: 1s",
        sink.grpc
    )
}

/// A phase-2 member of `group` reading logs from `topic`.
fn member(brokers: &str, group: &str, topic: &str, sink: &Daemon) -> Daemon {
    phase2(
        &format!(
            "    brokers: [{brokers}]\n    group_id: {group}\n    session_timeout: 6s\n\
             \x20   heartbeat_interval: 1s\n    max_in_flight_messages: 4\n    logs: {{topics: [{topic}]}}\n\
             \x20   dead_letter_topic: \"\""
        ),
        &otlp_to(sink),
        "otlp",
    )
}

/// `total` numbered log records in messages of 10.
fn numbered_messages(total: u64) -> Vec<(Option<&'static str>, Vec<u8>)> {
    (0..total / 10)
        .map(|m| (None, numbered_logs("group", m * 10, 10).encode().to_vec()))
        .collect()
}

fn wait_until(what: &str, within: Duration, log: impl Fn() -> String, done: impl Fn() -> bool) {
    let deadline = Instant::now() + within;
    while !done() {
        assert!(
            Instant::now() < deadline,
            "{what} within {within:?}:\n{}",
            log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_failing_exporter_in_phase_two_means_no_commit_and_the_messages_come_again() {
    let cluster = MockCluster::new(1).expect("mock cluster");
    let brokers = cluster.bootstrap_servers();
    cluster.create_topic("logs_retry", 2, 1).expect("topic");
    let mut sink = sink();
    sink.stop();
    let total = 200;
    produce(&brokers, "logs_retry", &numbered_messages(total));
    let mut far = member(&brokers, "retry", "logs_retry", &sink);
    // The far end is down: exports fail and are tried again.
    wait_until(
        "a retry",
        Duration::from_secs(60),
        || far.log(),
        || metric_sum(&far, "weir_kafka_message_retries_total") >= 1.0,
    );
    // Killed while nothing could be exported: nothing was committed, so
    // everything comes again once it can go.
    far.kill();
    sink.restart();
    far.restart();
    let mut seen = wait_numbered(&sink, total, Duration::from_secs(90));
    seen.sort();
    seen.dedup();
    assert_eq!(seen, (0..total).collect::<Vec<_>>(), "{}", far.log());
}

/// Produces numbered log records to `topic` in messages of 10, a chunk
/// at a time, from a thread of its own until `stop` is set (or a minute
/// has passed); yields how many records it produced.
fn produce_until(
    brokers: String,
    topic: &'static str,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<u64> {
    std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut next = 0;
        while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
            let chunk: Vec<_> = (0..50)
                .map(|m| {
                    (
                        None,
                        numbered_logs("group", next + m * 10, 10).encode().to_vec(),
                    )
                })
                .collect();
            produce(&brokers, topic, &chunk);
            next += 500;
            std::thread::sleep(Duration::from_millis(50));
        }
        next
    })
}

#[test]
fn a_group_shares_the_partitions_and_a_killed_member_loses_nothing() {
    let cluster = MockCluster::new(1).expect("mock cluster");
    let brokers = cluster.bootstrap_servers();
    cluster.create_topic("logs_group", 3, 1).expect("topic");
    let sink = sink();
    // Records keep coming while the group forms, so both members have
    // something to consume whenever the second one's partitions arrive
    // (a fixed backlog could be drained by the first member alone).
    let stop = Arc::new(AtomicBool::new(false));
    let producer = produce_until(brokers.clone(), "logs_group", stop.clone());
    let mut first = member(&brokers, "shared", "logs_group", &sink);
    let second = member(&brokers, "shared", "logs_group", &sink);
    // Both members take part before one is killed mid-stream, without a
    // chance to commit.
    wait_until(
        "both members consuming",
        Duration::from_secs(60),
        || format!("first:\n{}\nsecond:\n{}", first.log(), second.log()),
        || {
            metric_sum(&first, "weir_kafka_consumed_messages_total") > 0.0
                && metric_sum(&second, "weir_kafka_consumed_messages_total") > 0.0
        },
    );
    first.kill();
    // The stream goes on a little after the kill.
    std::thread::sleep(Duration::from_secs(1));
    stop.store(true, Ordering::Relaxed);
    let total = producer.join().expect("producer thread");
    let all = wait_numbered(&sink, total, Duration::from_secs(120));
    let mut distinct = all.clone();
    distinct.sort();
    distinct.dedup();
    let lost = total as usize - distinct.len();
    let duplicates = all.len() - distinct.len();
    eprintln!("group of two, one killed: {total} records, {duplicates} duplicates, {lost} lost");
    assert_eq!(distinct, (0..total).collect::<Vec<_>>(), "{}", second.log());
    assert!(
        second
            .metric("weir_kafka_rebalances_total{receiver=\"kafka\",kind=\"assign\"}")
            .unwrap_or(0.0)
            >= 2.0,
        "the survivor took over the killed member's partitions: {}",
        second.log()
    );
}

#[test]
fn partitions_paused_while_an_exporter_fails_are_resumed_once_it_recovers() {
    let cluster = MockCluster::new(1).expect("mock cluster");
    let brokers = cluster.bootstrap_servers();
    cluster.create_topic("logs_pause", 2, 1).expect("topic");
    let mut sink = sink();
    sink.stop();
    let total: u64 = 500;
    produce(&brokers, "logs_pause", &numbered_messages(total));
    let far = member(&brokers, "pause", "logs_pause", &sink);
    wait_until(
        "retries",
        Duration::from_secs(60),
        || far.log(),
        || metric_sum(&far, "weir_kafka_message_retries_total") >= 5.0,
    );
    std::thread::sleep(Duration::from_secs(3));
    sink.restart();
    let mut seen = wait_numbered(&sink, total, Duration::from_secs(90));
    seen.sort();
    seen.dedup();
    assert_eq!(seen, (0..total).collect::<Vec<_>>(), "{}", far.log());
}
