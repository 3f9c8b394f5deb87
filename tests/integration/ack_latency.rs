//! Acknowledgement latency on the embedded default's batching (issue 21):
//! a request is answered once its records are exported, so the `batch`
//! processor must not hold it for its `timeout` when nothing is gained by
//! waiting. Pins two symptoms found on the embedded default: a sequential
//! client waited ~210 ms per request, and the OpenTelemetry Python SDK
//! logging 10,000 records/s dropped most of them ("Queue full").

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use prost::Message;
use reqwest::blocking::Client;
use serde_json::Value;
use weir::otlp::Signal;
use weir_tests::batches;

use crate::daemon_support::{Daemon, json_attr};
use crate::python_client::python;

/// The embedded default's `batch` timeout, which a request must not wait.
const BATCH_TIMEOUT: Duration = Duration::from_millis(200);

/// `weir run` configured like its embedded default (`weir config
/// default`): `batch` with `send_batch_size: 8192` and `timeout: 200ms`,
/// every signal to a `file` exporter (the default's `debug` exporter left
/// out: it only prints).
fn embedded_default_like() -> Daemon {
    Daemon::start(
        &format!(
            "  batch:\n    send_batch_size: 8192\n    timeout: {}ms",
            BATCH_TIMEOUT.as_millis()
        ),
        "  file:\n    path: {data}\n    max_megabytes: 100",
        "    logs:\n      receivers: [otlp]\n      processors: [batch]\n      exporters: [file]\n\
         \x20   metrics:\n      receivers: [otlp]\n      processors: [batch]\n      exporters: [file]\n\
         \x20   traces:\n      receivers: [otlp]\n      processors: [batch]\n      exporters: [file]",
    )
}

/// The `p`-th percentile of sorted `durations`, in milliseconds.
fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 * p) as usize).min(sorted.len() - 1);
    sorted[i].as_secs_f64() * 1000.0
}

#[test]
fn a_sequential_client_is_not_held_for_the_batch_timeout() {
    const REQUESTS: usize = 200;
    const RECORDS_PER_REQUEST: usize = 5;
    let mut daemon = embedded_default_like();
    let client = Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let url = format!("{}/v1/logs", daemon.http);

    // One request in flight at a time, as an SDK's batch processor sends;
    // record indices run on across requests, so each record is distinct.
    let mut round_trips = Vec::with_capacity(REQUESTS);
    for r in 0..REQUESTS {
        let first = r * RECORDS_PER_REQUEST;
        let body = batches::logs_from(
            (first..first + RECORDS_PER_REQUEST)
                .map(batches::log_record)
                .collect(),
        )
        .encode_to_vec();
        let started = Instant::now();
        let response = client
            .post(&url)
            .header("Content-Type", "application/x-protobuf")
            .body(body)
            .send()
            .expect("weir answers");
        round_trips.push(started.elapsed());
        assert_eq!(response.status(), 200, "request {r}");
    }
    round_trips.sort();
    let (p50, p99) = (
        percentile_ms(&round_trips, 0.50),
        percentile_ms(&round_trips, 0.99),
    );
    println!(
        "{REQUESTS} sequential requests of {RECORDS_PER_REQUEST} records: \
         round trip p50 {p50:.2} ms, p99 {p99:.2} ms (batch timeout {} ms)",
        BATCH_TIMEOUT.as_millis()
    );
    assert!(daemon.stop().success(), "log:\n{}", daemon.log());

    let mut paths: Vec<String> = daemon
        .log_records()
        .iter()
        .map(|r| {
            json_attr(r, "url.path").expect("url.path")["stringValue"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    paths.sort();
    let mut expected: Vec<String> = (0..REQUESTS * RECORDS_PER_REQUEST)
        .map(|i| format!("/api/v1/orders/{i}"))
        .collect();
    expected.sort();
    assert_eq!(
        paths, expected,
        "every acknowledged record, once, in the files"
    );

    let half_timeout = BATCH_TIMEOUT.as_secs_f64() * 1000.0 / 2.0;
    assert!(
        p50 < half_timeout,
        "a sequential client waits for the batch timeout: median round trip {p50:.1} ms \
         (p99 {p99:.1} ms), not below {half_timeout} ms, half the {} ms `timeout`",
        BATCH_TIMEOUT.as_millis()
    );
}

/// Runs `sdk_burst.py` (bounded: killed after `limit`); returns its JSON
/// summary.
fn sdk_burst(python: &str, args: &[&str], limit: Duration) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("python/sdk_burst.py");
    let out = tempfile::tempdir().expect("temp dir");
    let (stdout, stderr) = (out.path().join("stdout"), out.path().join("stderr"));
    let mut child = Command::new(python)
        .arg(script)
        .args(args)
        .stdout(std::fs::File::create(&stdout).unwrap())
        .stderr(std::fs::File::create(&stderr).unwrap())
        .stdin(Stdio::null())
        .spawn()
        .expect("run sdk_burst.py");
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "sdk_burst.py did not finish in {limit:?}:\n{}",
                std::fs::read_to_string(&stderr).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let err = std::fs::read_to_string(&stderr).unwrap_or_default();
    assert!(status.success(), "sdk_burst.py failed:\n{err}");
    if !err.is_empty() {
        println!("sdk_burst.py stderr:\n{err}");
    }
    serde_json::from_str(std::fs::read_to_string(&stdout).unwrap().trim())
        .expect("sdk_burst.py prints a JSON summary")
}

/// The distinct `seq` values of log records under resources with
/// `test.run_id` = `run_id`, and how many records that run has in all.
fn sequence_numbers(daemon: &Daemon, run_id: &str) -> (Vec<i64>, usize) {
    let mut seqs: Vec<i64> = daemon
        .requests(Signal::Logs)
        .iter()
        .flat_map(|r| r["resourceLogs"].as_array().cloned().unwrap_or_default())
        .filter(|rl| {
            json_attr(&rl["resource"], "test.run_id").and_then(|v| v["stringValue"].as_str())
                == Some(run_id)
        })
        .flat_map(|rl| rl["scopeLogs"].as_array().cloned().unwrap_or_default())
        .flat_map(|sl| sl["logRecords"].as_array().cloned().unwrap_or_default())
        .map(|r| {
            json_attr(&r, "seq").expect("seq")["intValue"]
                .as_str()
                .expect("an int attribute")
                .parse()
                .unwrap()
        })
        .collect();
    let all = seqs.len();
    seqs.sort_unstable();
    seqs.dedup();
    (seqs, all)
}

// The SDK's export thread must keep up at 10,000 records/s: with the
// other tests compiling plugins and loading weir beside it on 2 cores,
// Python itself falls behind and drops records whatever weir does. So
// `scripts/test.sh` runs it on its own after the rest (`--ignored`), and
// a run may be repeated up to three times: a machine that is busy with
// something else can starve one run, while weir holding requests for the
// batch timer (the bug this pins) loses about 70% in every run.
#[test]
#[ignore = "needs the CPU to itself: scripts/test.sh runs it alone after the suite"]
fn the_python_sdk_loses_nothing_in_a_burst_at_10000_records_per_second() {
    const ATTEMPTS: usize = 3;
    let python = python();
    let mut failures = Vec::new();
    for attempt in 1..=ATTEMPTS {
        match sdk_burst_run(&python, &format!("sdk-burst-10k-{attempt}")) {
            Ok(()) => return,
            Err(failure) => {
                println!("attempt {attempt} of {ATTEMPTS}: {failure}");
                failures.push(failure);
            }
        }
    }
    panic!(
        "the Python SDK lost records in all {ATTEMPTS} runs:\n{}",
        failures.join("\n")
    );
}

/// One burst of 30,000 records at 10,000/s into a fresh weir; what was
/// wrong, if records were lost.
fn sdk_burst_run(python: &str, run_id: &str) -> Result<(), String> {
    const COUNT: usize = 30_000;
    let mut daemon = embedded_default_like();
    let summary = sdk_burst(
        python,
        &[
            "--endpoint",
            &daemon.grpc,
            "--protocol",
            "grpc",
            "--rate",
            "10000",
            "--count",
            &COUNT.to_string(),
            "--run-id",
            run_id,
        ],
        Duration::from_secs(180),
    );
    assert!(daemon.stop().success(), "log:\n{}", daemon.log());

    let (seqs, all) = sequence_numbers(&daemon, run_id);
    let dropped = &summary["sdk_dropped_warnings"];
    // Why records were dropped, if they were: the SDK's exports (encoding
    // plus weir's answer) too slow, or Python itself short of CPU.
    let exports = format!(
        "{} exports took p50 {} / p99 {} / max {} ms (encoding and weir's answer); \
         Python used {} CPU-s in {} s",
        summary["exports"],
        summary["export_ms_p50"],
        summary["export_ms_p99"],
        summary["export_ms_max"],
        summary["python_cpu_seconds"],
        summary["seconds_until_flushed"]
    );
    println!(
        "the SDK emitted {} records at {} records/s; {} distinct arrived ({} records in all, \
         duplicates included); the SDK warned \"Queue full\" {dropped} times; {} failed exports; \
         {exports}",
        summary["emitted"],
        summary["rate"],
        seqs.len(),
        all,
        summary["failed_exports"]
    );
    assert_eq!(summary["emitted"], COUNT, "{summary}");
    assert!(
        seqs.iter().all(|s| (0..COUNT as i64).contains(s)),
        "only this run's sequence numbers"
    );
    let floor = COUNT * 999 / 1000;
    if seqs.len() < floor {
        return Err(format!(
            "{} of {COUNT} arrived (floor {floor}); the SDK dropped {dropped} for a full queue; \
             {exports}",
            seqs.len()
        ));
    }
    Ok(())
}
