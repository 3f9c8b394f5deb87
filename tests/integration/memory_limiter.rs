//! The `memory_limiter` processor under a load that outruns its exporter:
//! the far end is down, so every accepted request is held in memory
//! until it is exported. The limiter must refuse new data with 503 before
//! resident memory passes `limit_mib`, and every request it accepted
//! (answered 200) must reach the far end once it is back.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use weir::otlp::Signal;

use crate::daemon_support::{Daemon, resident_bytes};
use crate::kafka_support::{numbered_logs, numbers, sink, wait_written};

/// Records per request: about 2 MiB of protobuf.
const RECORDS_PER_REQUEST: u64 = 40_000;
const CLIENTS: u64 = 12;

/// An edge weir forwarding logs to `far` over OTLP/gRPC, with
/// `processors` in its pipeline, defined by `definitions`.
fn edge(far: &Daemon, processors: &str, definitions: &str) -> Daemon {
    Daemon::from_config(
        tempfile::tempdir().unwrap(),
        &format!(
            "receivers:\n  otlp:\n    protocols:\n      http:\n        endpoint: 127.0.0.1:{{http_port}}\n\
             \x20       max_request_body_size: 16777216\n\
             processors:\n{definitions}\
             exporters:\n  otlp:\n    endpoint: {}\n    tls: {{insecure: true}}\n    compression: none\n\
             \x20   retry_on_failure: {{initial_interval: 100ms, max_interval: 500ms, max_elapsed_time: 300s}}\n\
             service:\n  telemetry:\n    address: 127.0.0.1:{{telemetry_port}}\n  pipelines:\n\
             \x20   logs:\n      receivers: [otlp]\n      processors: [{processors}]\n      exporters: [otlp]\n",
            far.grpc
        ),
    )
}

#[test]
fn a_slow_exporter_cannot_push_memory_past_the_limit_and_nothing_accepted_is_lost() {
    let mut far = sink();
    far.stop();

    // The edge's own footprint, idle, sets the limits: 16 MiB of headroom
    // to the soft limit, 80 MiB to the hard one. The load can hold 12
    // requests of 2 MiB at once, more than the soft headroom.
    let baseline = {
        let mut probe = edge(&far, "batch", "  batch:\n");
        std::thread::sleep(Duration::from_millis(500));
        let bytes = resident_bytes(probe.pid().unwrap()).expect("the edge's memory");
        probe.stop();
        bytes >> 20
    };
    let limit_mib = baseline + 80;
    let edge = edge(
        &far,
        "memory_limiter",
        &format!(
            "  memory_limiter:\n    check_interval: 20ms\n    limit_mib: {limit_mib}\n    spike_limit_mib: 64\n"
        ),
    );

    let pid = edge.pid().unwrap();
    let peak = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, done) = (peak.clone(), done.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                if let Some(bytes) = resident_bytes(pid) {
                    peak.fetch_max(bytes, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };

    // Clients send numbered requests for 8 s, while the far end is down
    // (what is accepted waits in memory for it), then it comes back and
    // the requests held are answered. Each client remembers which of its
    // requests were answered 200.
    let accepted = Arc::new(Mutex::new(Vec::new()));
    let refused_503 = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let url = format!("{}/v1/logs", edge.http);
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let (url, accepted, refused_503) = (url.clone(), accepted.clone(), refused_503.clone());
            std::thread::spawn(move || {
                let client = reqwest::blocking::Client::builder()
                    .timeout(Duration::from_secs(40))
                    .build()
                    .unwrap();
                let mut n = 0;
                while start.elapsed() < Duration::from_secs(8) {
                    // Request n of client c holds numbers from
                    // (c * 1000 + n) * RECORDS_PER_REQUEST on.
                    let first = (c * 1000 + n) * RECORDS_PER_REQUEST;
                    n += 1;
                    let body = numbered_logs("limited", first, RECORDS_PER_REQUEST).encode();
                    let status = client
                        .post(&url)
                        .header("content-type", "application/x-protobuf")
                        .body(body.to_vec())
                        .send()
                        .map(|r| r.status().as_u16());
                    match status {
                        Ok(200) => accepted.lock().unwrap().push(first),
                        Ok(503) => {
                            refused_503.fetch_add(1, Ordering::Relaxed);
                            std::thread::sleep(Duration::from_millis(50));
                        }
                        _ => std::thread::sleep(Duration::from_millis(50)),
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(8));
    far.restart();
    for client in clients {
        client.join().unwrap();
    }
    done.store(true, Ordering::Relaxed);
    sampler.join().unwrap();

    let limited = edge
        .metric(
            "weir_receiver_refused_requests_total{receiver=\"otlp\",transport=\"http\",reason=\"memory_limit\"}",
        )
        .unwrap_or(0.0);
    let peak_mib = peak.load(Ordering::Relaxed) >> 20;
    let accepted = accepted.lock().unwrap().clone();
    eprintln!(
        "memory limiter: baseline {baseline} MiB, limit {limit_mib} MiB, peak {peak_mib} MiB; \
         {} requests accepted, {} answered 503",
        accepted.len(),
        refused_503.load(Ordering::Relaxed)
    );
    assert!(
        peak_mib <= limit_mib,
        "resident memory reached {peak_mib} MiB, over limit_mib {limit_mib}\n{}",
        edge.log()
    );
    assert!(limited >= 1.0, "the limiter never refused:\n{}", edge.log());
    assert!(
        !accepted.is_empty(),
        "nothing was accepted:\n{}",
        edge.log()
    );

    // Every accepted request's records reached the far end.
    let want = accepted.len() * RECORDS_PER_REQUEST as usize;
    let got = wait_written(&far, Signal::Logs, want, Duration::from_secs(60));
    let mut arrived = numbers(&got);
    arrived.sort_unstable();
    arrived.dedup();
    for first in accepted {
        for i in [first, first + RECORDS_PER_REQUEST - 1] {
            assert!(
                arrived.binary_search(&i).is_ok(),
                "record {i} of an accepted request is missing\n{}",
                edge.log()
            );
        }
    }
}
