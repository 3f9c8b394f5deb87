//! `weir gen`: a load generator that sends realistic logs, metrics or
//! traces over OTLP/HTTP or OTLP/gRPC, at a given rate or as fast as the
//! receiver takes them, with a live progress line and a summary.
//!
//! Requests are built up front (a pool of varied ones, cycled), so the
//! generator spends its CPU on sending, not on building — the point is to
//! measure the receiver.

pub mod data;
mod send;

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use crate::otlp::Signal;

pub use send::Protocol;

/// What to send, how, and for how long.
#[derive(Clone, Debug, clap::Args)]
pub struct GenArgs {
    /// `http` (OTLP/HTTP protobuf) or `grpc`.
    #[arg(long, default_value = "http")]
    pub protocol: Protocol,
    /// Where to send. Default: http://localhost:4318 for http,
    /// http://localhost:4317 for grpc.
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
    /// `logs`, `metrics` or `traces`.
    #[arg(long, default_value = "logs")]
    pub signal: Signal,
    /// Records per second over all connections; 0 sends as fast as the
    /// receiver answers.
    #[arg(long, default_value_t = 0)]
    pub rate: u64,
    /// Records per request.
    #[arg(long, default_value_t = 1000)]
    pub batch: usize,
    /// How long to send, in seconds.
    #[arg(long, default_value_t = 10)]
    pub duration: u64,
    /// Concurrent connections (each waits for its answer before sending
    /// again).
    #[arg(long, default_value_t = 4)]
    pub connections: usize,
    /// Print the summary as one JSON line on stdout as well.
    #[arg(long)]
    pub json: bool,
}

/// Counters shared by the senders.
#[derive(Default)]
pub(crate) struct Tally {
    pub(crate) records: AtomicU64,
    pub(crate) requests: AtomicU64,
    pub(crate) refused: AtomicU64,
    pub(crate) errors: AtomicU64,
    pub(crate) first_error: std::sync::Mutex<Option<String>>,
    pub(crate) latencies_us: std::sync::Mutex<Vec<u32>>,
}

/// What a run achieved.
#[derive(Debug, serde::Serialize)]
pub struct Summary {
    /// Records the receiver accepted.
    pub records: u64,
    /// Requests it accepted.
    pub requests: u64,
    /// Requests it refused as overloaded (503 / UNAVAILABLE).
    pub refused: u64,
    /// Requests that failed otherwise.
    pub errors: u64,
    /// Seconds sent for.
    pub seconds: f64,
    /// Accepted records per second.
    pub records_per_second: f64,
    /// Request latency percentiles, milliseconds.
    pub latency_ms_p50: f64,
    /// 99th percentile.
    pub latency_ms_p99: f64,
}

/// Runs the generator; returns what it achieved.
pub async fn run(args: GenArgs) -> anyhow::Result<Summary> {
    let endpoint = args
        .endpoint
        .clone()
        .unwrap_or_else(|| match args.protocol {
            Protocol::Http => "http://localhost:4318".into(),
            Protocol::Grpc => "http://localhost:4317".into(),
        });
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let mut rng = fastrand::Rng::with_seed(7);
    let pool: Vec<bytes::Bytes> = (0..16)
        .map(|_| data::request(args.signal, args.batch.max(1), &mut rng, now).into())
        .collect();

    let tally = Arc::new(Tally::default());
    let started = Instant::now();
    let until = started + Duration::from_secs(args.duration);
    // Each connection's share of the rate, as a pause between requests.
    let pause = (args.rate > 0).then(|| {
        let per_conn = args.rate as f64 / args.connections.max(1) as f64;
        Duration::from_secs_f64(args.batch as f64 / per_conn)
    });
    let mut tasks = Vec::new();
    for c in 0..args.connections.max(1) {
        // A sender (and so a connection) per task: one shared gRPC
        // channel would carry every call over a single HTTP/2 connection,
        // whose one connection task then limits the generator, not the
        // receiver.
        let sender = send::Sender::new(args.protocol, &endpoint, args.signal).await?;
        let (tally, pool) = (tally.clone(), pool.clone());
        let records = args.batch as u64;
        tasks.push(tokio::spawn(async move {
            let mut next = Instant::now();
            let mut i = c;
            while Instant::now() < until {
                if let Some(pause) = pause {
                    tokio::time::sleep_until(next.into()).await;
                    next += pause;
                }
                sender.send(&pool[i % pool.len()], records, &tally).await;
                i += 1;
            }
        }));
    }
    let progress = tokio::spawn(progress(tally.clone(), started, until));
    for task in tasks {
        task.await?;
    }
    progress.abort();
    let seconds = started.elapsed().as_secs_f64();
    let mut latencies = std::mem::take(&mut *tally.latencies_us.lock().expect("lock"));
    latencies.sort_unstable();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .map_or(0.0, |us| *us as f64 / 1000.0)
    };
    let records = tally.records.load(Relaxed);
    let summary = Summary {
        records,
        requests: tally.requests.load(Relaxed),
        refused: tally.refused.load(Relaxed),
        errors: tally.errors.load(Relaxed),
        seconds,
        records_per_second: records as f64 / seconds,
        latency_ms_p50: pct(0.50),
        latency_ms_p99: pct(0.99),
    };
    eprintln!(
        "\nsent {} records in {} requests over {:.1}s: {:.0} records/s; refused {}, errors {}; latency p50 {:.2} ms, p99 {:.2} ms",
        summary.records,
        summary.requests,
        summary.seconds,
        summary.records_per_second,
        summary.refused,
        summary.errors,
        summary.latency_ms_p50,
        summary.latency_ms_p99
    );
    if let Some(error) = tally.first_error.lock().expect("lock").as_ref() {
        eprintln!("first error: {error}");
    }
    if args.json {
        println!("{}", serde_json::to_string(&summary)?);
    }
    Ok(summary)
}

/// Prints a progress line every second: in place on a terminal, one line
/// per second otherwise.
async fn progress(tally: Arc<Tally>, started: Instant, until: Instant) {
    let terminal = std::io::stderr().is_terminal();
    let mut last = 0;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.tick().await;
    while Instant::now() < until {
        tick.tick().await;
        let records = tally.records.load(Relaxed);
        let line = format!(
            "[{:>3.0}s] sent {records} records ({}/s) · refused {} · errors {}",
            started.elapsed().as_secs_f64(),
            records - last,
            tally.refused.load(Relaxed),
            tally.errors.load(Relaxed)
        );
        last = records;
        let mut err = std::io::stderr();
        let _ = if terminal {
            write!(err, "\r{line}\x1b[K")
        } else {
            writeln!(err, "{line}")
        };
    }
}
