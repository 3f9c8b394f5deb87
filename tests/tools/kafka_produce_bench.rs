//! The limit `scripts/bench-kafka.sh` compares weir's phase 1 with: a raw
//! librdkafka producer sending pre-encoded OTLP logs requests — the same
//! kind `weir gen` sends (from `weir::loadgen::data`) — with the producer
//! settings of weir's `kafka` exporter (idempotent, acks all, linger
//! 10 ms). No decode, no plugin, no HTTP: what is left is the cost of
//! handing bytes to librdkafka, which weir's phase 1 pays too.
//!
//! Prints one JSON line: records, CPU seconds of this process (user +
//! sys) and records per CPU-second.
//!
//! kafka-produce-bench BROKERS TOPIC SECONDS RECORDS_PER_REQUEST

use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use weir::otlp::Signal;

/// Distinct payloads to cycle through, as `weir gen` varies its requests.
const PAYLOADS: usize = 64;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, brokers, topic, seconds, records] = args.as_slice() else {
        eprintln!("usage: kafka-produce-bench BROKERS TOPIC SECONDS RECORDS_PER_REQUEST");
        std::process::exit(2);
    };
    let seconds: f64 = seconds.parse().expect("SECONDS");
    let records: usize = records.parse().expect("RECORDS_PER_REQUEST");
    let mut rng = fastrand::Rng::with_seed(7);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let payloads: Vec<Vec<u8>> = (0..PAYLOADS)
        .map(|_| weir::loadgen::data::request(Signal::Logs, records, &mut rng, now))
        .collect();

    let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("enable.idempotence", "true")
        .set("acks", "-1")
        .set("linger.ms", "10")
        .set("batch.num.messages", "10000")
        .set("message.max.bytes", "2000000")
        .create()
        .expect("producer");

    let cpu_before = cpu_seconds();
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let mut sent = 0usize;
    while Instant::now() < deadline {
        let payload = &payloads[sent % PAYLOADS];
        let mut record = BaseRecord::<(), [u8]>::to(topic).payload(payload.as_slice());
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    record = back;
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err((error, _)) => panic!("produce failed: {error}"),
            }
        }
        sent += 1;
    }
    producer
        .flush(Duration::from_secs(60))
        .expect("every message delivered");
    let cpu = cpu_seconds() - cpu_before;
    let total = sent * records;
    println!(
        "{}",
        serde_json::json!({
            "records": total,
            "cpu_seconds": (cpu * 100.0).round() / 100.0,
            "records_per_cpu_second": (total as f64 / cpu).round(),
        })
    );
}

/// User + system CPU time of this process so far, from /proc (ticks of
/// 1/100 s, Linux's USER_HZ on every architecture weir runs on).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    // Fields after the command name, which is in parentheses and may hold
    // spaces: utime and stime are the 12th and 13th of them.
    let rest = &stat[stat.rfind(')').expect("comm") + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    ticks as f64 / 100.0
}
