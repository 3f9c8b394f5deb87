//! `weir replay` against a real S3 server: an archive the `s3` exporter
//! wrote, replayed through plugins, gives exactly what the plugins give on
//! the original records; archives in the Collector's awss3exporter format
//! are read within a time range; a malformed object is named and skipped.

use std::time::Duration;

use bytes::Bytes;
use weir::otlp::{Batch, Signal};
use weir_tests::batches::{log_record, logs_from};
use weir_tests::guests;

use crate::daemon_support::Daemon;
use crate::kafka_support::{flatten, numbered_logs, numbers};
use crate::s3_support::{
    bucket, client, endpoint, exporter, file_output, post_until_ok, replay, runtime,
};
use crate::support::{instance, run_ok};

const REDACT_CONFIG: &str = r#"{"keys": ["tenant", "url.path"], "replacement": "[REDACTED]"}"#;

/// A configuration whose logs pipeline runs `processors` (ids, defined in
/// `defs`) and writes to files under `dir/out`.
fn replay_config(dir: &std::path::Path, defs: &str, processors: &str) -> std::path::PathBuf {
    let path = dir.join("replay.yaml");
    std::fs::write(
        &path,
        format!(
            "receivers:\n  otlp:\n    protocols:\n      http:\n        endpoint: 127.0.0.1:0\n\
             processors:\n{defs}\n\
             exporters:\n  file:\n    path: {}\n\
             service:\n  pipelines:\n    logs:\n      receivers: [otlp]\n      processors: [{processors}]\n      exporters: [file]\n",
            dir.join("out").display()
        ),
    )
    .unwrap();
    path
}

#[test]
fn replay_through_plugins_gives_what_the_plugins_give_on_the_originals() {
    let endpoint = endpoint();
    let bucket = bucket(&endpoint, "replay");
    // The archive: three requests, written by the s3 exporter.
    let originals: Vec<Batch> = [(0, 120), (120, 7), (127, 300)]
        .iter()
        .map(|&(first, n)| logs_from((first..first + n).map(log_record).collect()).into())
        .collect();
    let mut daemon = Daemon::start(
        "  batch:\n    timeout: 10ms",
        &exporter(
            "s3",
            &endpoint,
            &bucket,
            "arch",
            "    rollover:\n      max_age: 1s\n",
        ),
        "    logs:\n      receivers: [otlp]\n      exporters: [s3]",
    );
    for batch in &originals {
        assert!(post_until_ok(&daemon, batch, Duration::from_secs(60)));
    }
    assert!(daemon.stop().success());

    // What the plugins make of the originals, run here directly.
    let mut severity = instance(guests::SEVERITY_FILTER, r#"{"min_severity": "WARN"}"#);
    let mut redact = instance(guests::REDACT, REDACT_CONFIG);
    let expected: Vec<Batch> = originals
        .iter()
        .filter_map(|b| run_ok(&mut severity, b.clone()).keep)
        .filter_map(|b| run_ok(&mut redact, b).keep)
        .collect();
    assert!(flatten(&expected).iter().any(|r| r.contains("[REDACTED]")));

    let dir = tempfile::tempdir().unwrap();
    let config = replay_config(
        dir.path(),
        &format!(
            "  wasm/severity:\n    path: {}\n    config: {{min_severity: WARN}}\n\
             \x20 wasm/redact:\n    path: {}\n    config: {REDACT_CONFIG}",
            guests::SEVERITY_FILTER,
            guests::REDACT
        ),
        "wasm/severity, wasm/redact",
    );
    let out = replay(
        &config,
        &endpoint,
        &bucket,
        &["--prefix", "arch", "--signal", "logs"],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "replay failed: {stderr}");
    assert!(stdout.contains("records, "), "no summary: {stdout}");
    assert!(stdout.contains("427 records"), "{stdout}");
    let got = file_output(&dir.path().join("out"), Signal::Logs);
    assert_eq!(flatten(&got), flatten(&expected));
}

/// gzip of `bytes`.
fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

#[test]
fn collector_archives_are_replayed_within_the_range_and_bad_objects_named() {
    let endpoint = endpoint();
    let bucket = bucket(&endpoint, "collector");
    let rt = runtime();
    let client = client(&rt, &endpoint, &bucket);
    let part = |minute: u32| format!("coll/year=2025/month=11/day=27/hour=09/minute={minute:02}");
    // As the Collector's awss3exporter writes them: one request per
    // object, `otlp_json` gzipped or `otlp_proto` plain.
    let json = serde_json::to_vec(&numbered_logs("svc", 0, 10).to_json_value()).unwrap();
    let objects: Vec<(String, Vec<u8>)> = vec![
        (format!("{}/logs_aB3dE5gH7.json.gz", part(30)), gzip(&json)),
        (
            format!("{}/logs_Zx9Yw8Vu7.binpb", part(31)),
            numbered_logs("svc", 10, 5).encode().to_vec(),
        ),
        // Outside the range.
        (
            format!("{}/logs_Qq1Ww2Ee3.binpb", part(35)),
            numbered_logs("svc", 100, 5).encode().to_vec(),
        ),
        // Another signal in the range.
        (
            format!("{}/traces_Rr4Tt5Yy6.binpb", part(31)),
            b"not looked at".to_vec(),
        ),
        // Malformed: named, skipped, and the run fails at the end.
        (
            format!("{}/logs_Bb7Nn8Mm9.binpb.gz", part(31)),
            b"this is not gzip".to_vec(),
        ),
    ];
    for (key, body) in objects {
        rt.block_on(client.upload(&key, Bytes::from(body))).unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let config = replay_config(dir.path(), "  batch:\n    timeout: 10ms", "batch");
    let out = replay(
        &config,
        &endpoint,
        &bucket,
        &[
            "--prefix",
            "coll",
            "--signal",
            "logs",
            "--from",
            "2025-11-27 09:30",
            "--to",
            "2025-11-27T09:32:00Z",
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a bad object must fail the run");
    assert!(
        stderr.contains(&format!(
            "not replayed: {}/logs_Bb7Nn8Mm9.binpb.gz: cannot decompress (gzip)",
            part(31)
        )),
        "{stderr}"
    );
    assert!(
        stdout.contains("replayed 2 of 3 objects: 15 records"),
        "{stdout}"
    );
    let mut got = numbers(&file_output(&dir.path().join("out"), Signal::Logs));
    got.sort();
    assert_eq!(got, (0..15).collect::<Vec<_>>());
}
