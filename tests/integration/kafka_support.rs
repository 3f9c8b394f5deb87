//! What the Kafka tests share: the broker's address (a real one, tansu,
//! started by `scripts/kafka-broker.sh`), topics made per test so tests
//! can run side by side, a producer and a reader of their own, the two
//! phases' configurations, and records flattened for comparison.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::OwnedMessage;
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use rdkafka::{ClientConfig, Message, Offset, TopicPartitionList};
use weir::otlp::{Batch, Signal};

use crate::daemon_support::Daemon;

/// The broker, from `WEIR_KAFKA_BROKERS`; fails the test with how to
/// start one when it is not set.
pub fn brokers() -> String {
    std::env::var("WEIR_KAFKA_BROKERS").unwrap_or_else(|_| {
        panic!(
            "the Kafka tests need a broker: run `bash scripts/kafka-broker.sh start` and set \
             WEIR_KAFKA_BROKERS to the address it prints (scripts/test.sh does both)"
        )
    })
}

/// A name no other test (or earlier run on the same broker) uses.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{prefix}_{}_{}_{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Creates `topics` with `partitions` each on `brokers`.
pub fn create_topics(brokers: &str, topics: &[&str], partitions: i32) {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .expect("admin client");
    let new: Vec<NewTopic> = topics
        .iter()
        .map(|t| NewTopic::new(t, partitions, TopicReplication::Fixed(1)))
        .collect();
    let results = runtime()
        .block_on(admin.create_topics(&new, &AdminOptions::new()))
        .expect("create topics");
    for result in results {
        if let Err((topic, code)) = result {
            panic!("cannot create topic {topic}: {code}");
        }
    }
}

/// A producer of the test's own, waiting for each message's delivery.
pub fn produce<P: AsRef<[u8]>>(brokers: &str, topic: &str, messages: &[(Option<&str>, P)]) {
    let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("linger.ms", "5")
        .create()
        .expect("producer");
    for (key, payload) in messages {
        let mut record = BaseRecord::<str, [u8]>::to(topic).payload(payload.as_ref());
        if let Some(key) = key {
            record = record.key(key);
        }
        let mut record = record;
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((_, back)) => {
                    record = back;
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
        }
    }
    producer
        .flush(Duration::from_secs(30))
        .expect("test messages delivered");
}

/// Every message in `topic`'s `partitions` partitions, read from the
/// start until `want` have come or `within` has passed.
pub fn read_topic(
    brokers: &str,
    topic: &str,
    partitions: i32,
    want: usize,
    within: Duration,
) -> Vec<OwnedMessage> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", unique("reader"))
        .set("enable.auto.commit", "false")
        .create()
        .expect("reader");
    let mut list = TopicPartitionList::new();
    for p in 0..partitions {
        list.add_partition_offset(topic, p, Offset::Beginning)
            .unwrap();
    }
    consumer.assign(&list).expect("assign");
    let deadline = Instant::now() + within;
    let mut out = Vec::new();
    while out.len() < want && Instant::now() < deadline {
        if let Some(Ok(message)) = consumer.poll(Duration::from_millis(100)) {
            out.push(message.detach());
        }
    }
    out
}

/// The OTLP/HTTP path of `signal`.
pub fn path(signal: Signal) -> &'static str {
    match signal {
        Signal::Logs => "/v1/logs",
        Signal::Metrics => "/v1/metrics",
        Signal::Traces => "/v1/traces",
    }
}

/// Posts `batch` to `daemon` as OTLP/HTTP protobuf; the status code.
pub fn post(daemon: &Daemon, batch: &Batch) -> u16 {
    reqwest::blocking::Client::new()
        .post(format!("{}{}", daemon.http, path(batch.signal())))
        .header("content-type", "application/x-protobuf")
        .body(batch.encode())
        .timeout(Duration::from_secs(60))
        .send()
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

/// Every batch `daemon`'s `file` exporter wrote for `signal`.
pub fn written(daemon: &Daemon, signal: Signal) -> Vec<Batch> {
    daemon
        .requests(signal)
        .iter()
        .map(|r| Batch::from_json_as(signal, &r.to_string()).expect("OTLP/JSON"))
        .collect()
}

/// Each record of `batches` with its resource and scope, as JSON text,
/// sorted: equal when the same records arrived, however they were cut
/// into messages and batches.
pub fn flatten(batches: &[Batch]) -> Vec<String> {
    let mut out = Vec::new();
    for batch in batches {
        for i in 0..batch.len() as u32 {
            let record = match batch.signal() {
                Signal::Logs => serde_json::to_string(batch.log(i).unwrap()),
                Signal::Traces => serde_json::to_string(batch.span(i).unwrap()),
                Signal::Metrics => {
                    // A point is identified by its metric (name, type,
                    // points) and its position; metrics are compared
                    // whole, so duplicates of the metric are fine.
                    serde_json::to_string(batch.metric(i).unwrap())
                }
            }
            .unwrap();
            out.push(format!(
                "{}|{}|{record}",
                serde_json::to_string(&batch.resource(i).cloned().unwrap_or_default()).unwrap(),
                serde_json::to_string(&batch.scope(i).cloned().unwrap_or_default()).unwrap(),
            ));
        }
    }
    out.sort();
    out
}

/// The numbers of the numbered log records `daemon` wrote (see
/// [`numbered_logs`]), in the order written, once every number of
/// `0..total` is among them (or `within` has passed). Waiting for a count
/// of records would not do: at-least-once delivery writes some twice, and
/// the count can reach `total` while records are still on their way.
pub fn wait_numbered(daemon: &Daemon, total: u64, within: Duration) -> Vec<u64> {
    let deadline = Instant::now() + within;
    loop {
        let all = numbers(&written(daemon, Signal::Logs));
        let mut distinct = all.clone();
        distinct.sort();
        distinct.dedup();
        if distinct.len() as u64 >= total || Instant::now() > deadline {
            return all;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Waits until `daemon` wrote at least `n` records of `signal`.
pub fn wait_written(daemon: &Daemon, signal: Signal, n: usize, within: Duration) -> Vec<Batch> {
    let deadline = Instant::now() + within;
    loop {
        let batches = written(daemon, signal);
        let count: usize = batches.iter().map(Batch::len).sum();
        if count >= n || Instant::now() > deadline {
            return batches;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A log batch of `n` records numbered from `first` (body `"n"`), under
/// one resource naming `service`.
pub fn numbered_logs(service: &str, first: u64, n: u64) -> Batch {
    let records: Vec<String> = (first..first + n)
        .map(|i| format!(r#"{{"timeUnixNano":"{i}","body":{{"stringValue":"{i}"}}}}"#))
        .collect();
    Batch::from_json_as(
        Signal::Logs,
        &format!(
            r#"{{"resourceLogs":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"{service}"}}}}]}},"scopeLogs":[{{"scope":{{"name":"kafka-test"}},"logRecords":[{}]}}]}}]}}"#,
            records.join(",")
        ),
    )
    .unwrap()
}

/// The numbers in the bodies of `batches`' log records.
pub fn numbers(batches: &[Batch]) -> Vec<u64> {
    let mut out = Vec::new();
    for batch in batches {
        for i in 0..batch.len() as u32 {
            let body = batch.log(i).unwrap().body.as_ref().unwrap();
            let Some(weir::otlp::common::any_value::Value::StringValue(text)) = &body.value else {
                panic!("a numbered body, not {body:?}");
            };
            out.push(text.parse().expect("a numbered body"));
        }
    }
    out
}

/// A phase-2 weir: the `kafka` receiver (with `receiver` settings
/// indented under it) feeding `exporter` for every signal.
pub fn phase2(receiver: &str, exporters: &str, exporter: &str) -> Daemon {
    Daemon::from_config(
        tempfile::tempdir().unwrap(),
        &format!(
            "receivers:\n  kafka:\n{receiver}\n\
             exporters:\n{exporters}\n\
             service:\n  telemetry:\n    address: 127.0.0.1:{{telemetry_port}}\n  pipelines:\n\
             \x20   logs:\n      receivers: [kafka]\n      exporters: [{exporter}]\n\
             \x20   metrics:\n      receivers: [kafka]\n      exporters: [{exporter}]\n\
             \x20   traces:\n      receivers: [kafka]\n      exporters: [{exporter}]\n"
        ),
    )
}

/// A weir that writes what it receives over OTLP to files: the far end
/// of phase 2 in tests that kill phase-2 instances.
pub fn sink() -> Daemon {
    Daemon::with_file_exporter()
}

/// The sum of every series of metric `name` (all label sets).
pub fn metric_sum(daemon: &Daemon, name: &str) -> f64 {
    let text = reqwest::blocking::get(format!("{}/metrics", daemon.telemetry))
        .and_then(|r| r.text())
        .unwrap_or_default();
    text.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")) || l.starts_with(&format!("{name} ")))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// Yields the message's payload decoded as `signal`.
pub fn decode(signal: Signal, message: &OwnedMessage) -> Batch {
    Batch::decode(signal, message.payload().expect("a payload")).expect("an OTLP request")
}
