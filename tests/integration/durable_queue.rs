//! The durable queue (issue 21): an edge weir ("A") whose `otlphttp`
//! exporter, behind a `file_storage` queue, sends to a second weir ("B")
//! writing files. A client records which requests A acknowledged; every
//! record of those must reach B's files — across B being down under load,
//! A being killed with SIGKILL and restarted, and a damaged queue tail.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use prost::Message;
use reqwest::blocking::Client;
use weir_tests::batches::{self, int_attr};

use crate::daemon_support::{Daemon, json_attr};

/// The destination: a weir that writes what it receives to files.
pub(crate) fn destination() -> Daemon {
    Daemon::start(
        "  batch:\n    timeout: 10ms",
        "  file:\n    path: {data}",
        "    logs:\n      receivers: [otlp]\n      processors: [batch]\n      exporters: [file]",
    )
}

/// The edge: OTLP in, a durable queue, OTLP/HTTP out to `to`.
fn edge(to: &Daemon) -> Daemon {
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
  otlphttp/b:
    endpoint: {}
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
      exporters: [otlphttp/b]
",
        to.http
    );
    Daemon::from_config(tempfile::tempdir().expect("temp dir"), &config)
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

/// Sends one request; whether weir acknowledged it with a 200.
fn send(client: &Client, to: &str, body: Vec<u8>) -> bool {
    client
        .post(format!("{to}/v1/logs"))
        .header("Content-Type", "application/x-protobuf")
        .timeout(Duration::from_secs(10))
        .body(body)
        .send()
        .is_ok_and(|r| r.status() == 200)
}

/// A client sending 100-record requests to `to` about 20 times a second
/// until told to stop, noting the numbers of every acknowledged record.
struct Load {
    stop: Arc<AtomicBool>,
    acked: Arc<Mutex<BTreeSet<u64>>>,
    thread: std::thread::JoinHandle<u64>,
}

impl Load {
    fn start(to: &str, first: u64) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let acked = Arc::new(Mutex::new(BTreeSet::new()));
        let (to, flag, noted) = (to.to_string(), stop.clone(), acked.clone());
        let thread = std::thread::spawn(move || {
            let client = Client::new();
            let mut next = first;
            let mut refused = 0;
            while !flag.load(Ordering::Relaxed) {
                if send(&client, &to, numbered(next, 100)) {
                    noted.lock().unwrap().extend(next..next + 100);
                } else {
                    refused += 1;
                }
                next += 100;
                std::thread::sleep(Duration::from_millis(50));
            }
            refused
        });
        Load {
            stop,
            acked,
            thread,
        }
    }

    /// Stops the client; the acknowledged numbers and the requests refused.
    fn finish(self) -> (BTreeSet<u64>, u64) {
        self.stop.store(true, Ordering::Relaxed);
        let refused = self.thread.join().expect("load thread");
        let acked = std::mem::take(&mut *self.acked.lock().unwrap());
        (acked, refused)
    }
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

const QUEUE_RECORDS: &str = "weir_exporter_queue_records{exporter=\"otlphttp/b\"}";

/// Waits (bounded) until the edge's durable queue is empty.
fn wait_drained(edge: &Daemon) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if edge.metric(QUEUE_RECORDS) == Some(0.0) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the durable queue did not drain in 120 s ({:?} records left); edge log:\n{}",
            edge.metric(QUEUE_RECORDS),
            edge.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Asserts every acknowledged record arrived; returns the duplicates.
fn assert_all_delivered(acked: &BTreeSet<u64>, destination: &Daemon, edge: &Daemon) -> u64 {
    let seen = delivered(destination);
    let missing: Vec<u64> = acked
        .iter()
        .filter(|seq| !seen.contains_key(seq))
        .copied()
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged records never arrived (first: {:?}); edge log:\n{}",
        missing.len(),
        acked.len(),
        &missing[..missing.len().min(10)],
        edge.log()
    );
    seen.values().map(|n| u64::from(n - 1)).sum()
}

#[test]
fn records_acknowledged_while_the_destination_is_down_for_30s_are_all_delivered() {
    let mut b = destination();
    let mut a = edge(&b);
    let load = Load::start(&a.http, 0);
    std::thread::sleep(Duration::from_secs(3));
    assert!(b.stop().success());
    let down = Instant::now();
    std::thread::sleep(Duration::from_secs(30));
    let queued = a.metric(QUEUE_RECORDS).unwrap_or(0.0);
    b.restart();
    let outage = down.elapsed();
    std::thread::sleep(Duration::from_secs(3));
    let (acked, refused) = load.finish();
    wait_drained(&a);
    assert!(a.stop().success(), "edge log:\n{}", a.log());
    assert!(b.stop().success());
    let duplicates = assert_all_delivered(&acked, &b, &a);
    println!(
        "destination down {:.1}s: {} records acknowledged ({refused} requests refused), \
         {queued} queued at the end of the outage, all delivered, {duplicates} duplicates",
        outage.as_secs_f64(),
        acked.len()
    );
    assert!(
        queued > 0.0,
        "records should have waited in the queue during the outage"
    );
    assert_eq!(refused, 0, "the queue had room: nothing should be refused");
}

#[test]
fn after_sigkill_and_restart_every_acknowledged_record_is_delivered() {
    let mut b = destination();
    let mut a = edge(&b);
    // Part of the load is delivered at once, part waits for B: SIGKILL
    // then lands with records both delivered and queued.
    let load = Load::start(&a.http, 0);
    std::thread::sleep(Duration::from_secs(2));
    assert!(b.stop().success());
    std::thread::sleep(Duration::from_secs(3));
    a.kill();
    let (acked, _) = load.finish();
    b.restart();
    a.restart();
    wait_drained(&a);
    let log = a.log();
    assert!(
        log.contains("delivering what an earlier run left"),
        "the restart should report the replay; edge log:\n{log}"
    );
    assert!(a.stop().success());
    assert!(b.stop().success());
    let duplicates = assert_all_delivered(&acked, &b, &a);
    println!(
        "SIGKILL mid-stream: {} acknowledged records all delivered after restart, {duplicates} duplicates",
        acked.len()
    );
}

#[test]
fn a_damaged_queue_tail_is_cut_off_reported_and_the_intact_records_delivered() {
    let mut b = destination();
    assert!(b.stop().success());
    let mut a = edge(&b);
    let client = Client::new();
    for i in 0..10 {
        assert!(
            send(&client, &a.http, numbered(i * 100, 100)),
            "request {i}"
        );
    }
    // B is down: A stops at once and keeps the records on disk.
    assert!(a.stop().success(), "edge log:\n{}", a.log());
    let queue = a.dir().join("queue/exporter_otlphttp_b");
    let mut segments: Vec<_> = std::fs::read_dir(&queue)
        .expect("the queue directory")
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "seg") && std::fs::metadata(p).unwrap().len() > 0
        })
        .collect();
    segments.sort();
    let last = segments.last().expect("a segment with data");
    let bytes = std::fs::read(last).unwrap();
    // A crash mid-write: the last frame cut short.
    std::fs::write(last, &bytes[..bytes.len() - 10]).unwrap();

    b.restart();
    a.restart();
    wait_drained(&a);
    let damaged = a.metric("weir_exporter_queue_damaged_total{exporter=\"otlphttp/b\"}");
    let log = a.log();
    assert!(a.stop().success());
    assert!(b.stop().success());
    assert_eq!(damaged, Some(1.0), "edge log:\n{log}");
    assert!(log.contains("damaged data cut off"), "edge log:\n{log}");
    let seen = delivered(&b);
    let intact: BTreeSet<u64> = (0..900).collect();
    let arrived: BTreeSet<u64> = seen.keys().copied().collect();
    assert!(
        intact.is_subset(&arrived),
        "the nine intact requests must arrive; missing {:?}",
        intact.difference(&arrived).take(10).collect::<Vec<_>>()
    );
    assert!(
        !arrived.contains(&950),
        "the damaged request cannot have arrived"
    );
}
