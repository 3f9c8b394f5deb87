//! The `s3` exporter against a real S3 implementation (moto's server
//! mode, `scripts/s3-server.sh`): every format read back equal, keys in
//! the Collector's layout, objects rolled by size and by age, multipart
//! uploads, and a store that goes away under load losing nothing that
//! was acknowledged.

use std::collections::BTreeSet;
use std::time::{Duration, Instant, SystemTime};

use weir::archive::Civil;
use weir::otlp::{Batch, Signal};

use crate::daemon_support::Daemon;
use crate::kafka_support::{flatten, numbered_logs, numbers};
use crate::s3_support::{
    Proxy, bucket, client, endpoint, exporter, list, post_until_ok, read_all, runtime,
};

const NO_BATCHING: &str = "  batch:\n    timeout: 10ms";

fn logs_to(exporters: &str, ids: &str) -> Daemon {
    Daemon::start(
        NO_BATCHING,
        exporters,
        &format!("    logs:\n      receivers: [otlp]\n      exporters: [{ids}]"),
    )
}

/// Whether `key` is `<prefix>/year=YYYY/month=MM/day=DD/hour=HH/minute=MM/logs_<9>.<ext>`
/// with a partition time between `from` and `to` (UTC, to the minute).
fn check_key(key: &str, prefix: &str, ext: &str, from: SystemTime, to: SystemTime) {
    let rest = key
        .strip_prefix(&format!("{prefix}/"))
        .unwrap_or_else(|| panic!("{key} is not under {prefix}/"));
    let parts: Vec<&str> = rest.split('/').collect();
    assert_eq!(parts.len(), 6, "{key}: five partition levels and a name");
    let field = |i: usize, name: &str| -> u32 {
        parts[i]
            .strip_prefix(&format!("{name}="))
            .unwrap_or_else(|| panic!("{key}: level {i} is not {name}=…"))
            .parse()
            .unwrap_or_else(|_| panic!("{key}: {name} is not a number"))
    };
    let minute = |c: Civil| (c.year, c.month, c.day, c.hour, c.minute);
    let at = (
        field(0, "year") as i64,
        field(1, "month"),
        field(2, "day"),
        field(3, "hour"),
        field(4, "minute"),
    );
    assert!(
        minute(Civil::from_system(from)) <= at && at <= minute(Civil::from_system(to)),
        "{key}: partition outside the test's time"
    );
    let unique = parts[5]
        .strip_prefix("logs_")
        .and_then(|n| n.strip_suffix(&format!(".{ext}")))
        .unwrap_or_else(|| panic!("{key}: name is not logs_<unique>.{ext}"));
    assert!(
        unique.len() == 9
            && unique.chars().next().unwrap().is_ascii_alphabetic()
            && unique.chars().all(|c| c.is_ascii_alphanumeric()),
        "{key}: unique part {unique}"
    );
}

#[test]
fn every_format_is_written_in_the_collectors_layout_and_read_back_equal() {
    let endpoint = endpoint();
    let bucket = bucket(&endpoint, "formats");
    let formats = [
        ("otlp_proto", "zstd", "binpb.zst"),
        ("otlp_proto", "gzip", "binpb.gz"),
        ("otlp_proto", "none", "binpb"),
        ("otlp_json", "zstd", "json.zst"),
        ("otlp_json", "gzip", "json.gz"),
        ("otlp_json", "none", "json"),
    ];
    let mut exporters = String::new();
    let mut ids = Vec::new();
    for (i, (marshaler, compression, _)) in formats.iter().enumerate() {
        exporters.push_str(&exporter(
            &format!("s3/{i}"),
            &endpoint,
            &bucket,
            &format!("archive/{marshaler}-{compression}"),
            &format!(
                "      compression: {compression}\n    marshaler: {marshaler}\n    rollover:\n      max_age: 1s\n"
            ),
        ));
        ids.push(format!("s3/{i}"));
    }
    let from = SystemTime::now();
    let mut daemon = logs_to(&exporters, &ids.join(", "));
    let sent = [
        numbered_logs("svc-a", 0, 50),
        numbered_logs("svc-b", 50, 1),
        numbered_logs("svc-a", 51, 200),
    ];
    for batch in &sent {
        assert!(post_until_ok(&daemon, batch, Duration::from_secs(60)));
    }
    let to = SystemTime::now();
    assert!(daemon.stop().success());

    // A 200 means uploaded: everything is there without waiting.
    let rt = runtime();
    let client = client(&rt, &endpoint, &bucket);
    for (marshaler, compression, ext) in formats {
        let prefix = format!("archive/{marshaler}-{compression}");
        let objects = read_all(&rt, &client, &prefix, Signal::Logs);
        assert!(!objects.is_empty(), "nothing under {prefix}");
        for (key, _) in &objects {
            check_key(key, &prefix, ext, from, to);
        }
        let back: Vec<Batch> = objects.into_iter().map(|(_, b)| b).collect();
        assert_eq!(flatten(&back), flatten(&sent), "{prefix}");
    }
}

#[test]
fn an_object_is_closed_by_age_and_only_then_acknowledged() {
    let endpoint = endpoint();
    let bucket = bucket(&endpoint, "age");
    let mut daemon = logs_to(
        &exporter(
            "s3",
            &endpoint,
            &bucket,
            "aged",
            "    rollover:\n      max_age: 2s\n      max_size_mib: 100\n",
        ),
        "s3",
    );
    let rt = runtime();
    let client = client(&rt, &endpoint, &bucket);
    for round in 0..2u64 {
        let started = Instant::now();
        assert!(post_until_ok(
            &daemon,
            &numbered_logs("svc", round * 10, 10),
            Duration::from_secs(60)
        ));
        let waited = started.elapsed();
        // Held until the object was 2 s old and uploaded.
        assert!(
            waited >= Duration::from_millis(1900) && waited < Duration::from_secs(15),
            "acknowledged after {waited:?}"
        );
        assert_eq!(list(&rt, &client, "aged/").len(), round as usize + 1);
    }
    assert!(daemon.stop().success());
    let back: Vec<Batch> = read_all(&rt, &client, "aged/", Signal::Logs)
        .into_iter()
        .map(|(_, b)| b)
        .collect();
    let mut got = numbers(&back);
    got.sort();
    assert_eq!(got, (0..20).collect::<Vec<_>>());
}

/// Log records numbered from `first` (body `"n"`), each with a 1,000-byte
/// attribute, so that objects grow fast.
fn padded_logs(first: u64, n: u64) -> Batch {
    let pad = "x".repeat(1000);
    let records: Vec<String> = (first..first + n)
        .map(|i| {
            format!(
                r#"{{"timeUnixNano":"{i}","body":{{"stringValue":"{i}"}},"attributes":[{{"key":"pad","value":{{"stringValue":"{pad}"}}}}]}}"#
            )
        })
        .collect();
    Batch::from_json_as(
        Signal::Logs,
        &format!(
            r#"{{"resourceLogs":[{{"scopeLogs":[{{"logRecords":[{}]}}]}}]}}"#,
            records.join(",")
        ),
    )
    .unwrap()
}

#[test]
fn objects_are_closed_by_size_and_large_ones_go_in_parts() {
    let endpoint = endpoint();
    let bucket = bucket(&endpoint, "size");
    // 9 MiB objects of uncompressed protobuf: over the 8 MiB part size, so
    // each full object is a multipart upload.
    let mut daemon = logs_to(
        &exporter(
            "s3",
            &endpoint,
            &bucket,
            "sized",
            "      compression: none\n    rollover:\n      max_size_mib: 9\n      max_age: 15s\n",
        ),
        "s3",
    );
    // 40 requests of 500 records of ~1 KiB: about 20 MiB, two full objects
    // and a rest closed by age. All sent at once: a request is answered
    // only once its object is uploaded, so an object fills only from
    // requests in flight together (18 of these).
    let batches: Vec<Batch> = (0..40u64).map(|i| padded_logs(i * 500, 500)).collect();
    let chunks: Vec<Vec<Batch>> = batches.chunks(1).map(|c| c.to_vec()).collect();
    std::thread::scope(|s| {
        for chunk in &chunks {
            let daemon = &daemon;
            s.spawn(move || {
                for b in chunk {
                    assert!(post_until_ok(daemon, b, Duration::from_secs(120)));
                }
            });
        }
    });
    assert!(daemon.stop().success());
    let rt = runtime();
    let client = client(&rt, &endpoint, &bucket);
    let objects = list(&rt, &client, "sized/");
    let full: Vec<_> = objects.iter().filter(|o| o.size >= 9 << 20).collect();
    assert!(full.len() >= 2, "two objects closed at 9 MiB: {objects:?}");
    for o in &full {
        // One batch past the limit at most.
        assert!(o.size < (9 << 20) + (1 << 20), "{o:?}");
        assert!(
            o.etag.trim_matches('"').ends_with("-2"),
            "a 2-part upload: {o:?}"
        );
    }
    let back: Vec<Batch> = read_all(&rt, &client, "sized/", Signal::Logs)
        .into_iter()
        .map(|(_, b)| b)
        .collect();
    assert_eq!(flatten(&back), flatten(&batches));
}

#[test]
fn the_store_down_under_load_loses_nothing_acknowledged() {
    let endpoint = endpoint();
    let bucket = bucket(&endpoint, "outage");
    let proxy = Proxy::start(&endpoint);
    let mut daemon = logs_to(
        &exporter(
            "s3",
            &proxy.url,
            &bucket,
            "outage",
            "    rollover:\n      max_age: 500ms\n    timeout: 2s\n\
             \x20   retry_on_failure:\n      initial_interval: 100ms\n      max_interval: 500ms\n",
        ),
        "s3",
    );
    let stop = std::sync::atomic::AtomicBool::new(false);
    let acked = std::sync::Mutex::new(BTreeSet::new());
    std::thread::scope(|s| {
        for sender in 0..4u64 {
            let (daemon, stop, acked) = (&daemon, &stop, &acked);
            s.spawn(move || {
                let mut n = 0;
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    let first = sender * 1_000_000 + n * 100;
                    if post_until_ok(
                        daemon,
                        &numbered_logs("svc", first, 100),
                        Duration::from_secs(90),
                    ) {
                        acked.lock().unwrap().extend(first..first + 100);
                    }
                    n += 1;
                }
            });
        }
        std::thread::sleep(Duration::from_secs(2));
        let before = acked.lock().unwrap().len();
        proxy.down();
        std::thread::sleep(Duration::from_secs(5));
        let during = acked.lock().unwrap().len();
        proxy.up();
        std::thread::sleep(Duration::from_secs(3));
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        assert!(before > 0, "nothing acknowledged before the outage");
        // Requests in flight when the store went away may complete on an
        // upload that was already through; a handful of batches at most.
        assert!(
            during - before <= 4 * 100 * 2,
            "{} records acknowledged while the store was down",
            during - before
        );
    });
    let acked = acked.into_inner().unwrap();
    assert!(daemon.stop().success());
    assert!(
        daemon.log().contains("s3: upload failed; retrying"),
        "the outage was not noticed:\n{}",
        daemon.log()
    );
    let rt = runtime();
    let client = client(&rt, &endpoint, &bucket);
    let back: Vec<Batch> = read_all(&rt, &client, "outage/", Signal::Logs)
        .into_iter()
        .map(|(_, b)| b)
        .collect();
    let archived: BTreeSet<u64> = numbers(&back).into_iter().collect();
    let lost: Vec<_> = acked.difference(&archived).take(10).collect();
    assert!(lost.is_empty(), "acknowledged but not archived: {lost:?}…");
    assert!(
        acked.len() > 1000,
        "only {} records acknowledged",
        acked.len()
    );
}

#[test]
fn a_long_max_age_behind_an_otlp_receiver_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("weir.yaml");
    std::fs::write(
        &config,
        "receivers:\n  otlp:\n    protocols:\n      http:\n        endpoint: 127.0.0.1:0\n\
         exporters:\n  s3:\n    s3uploader:\n      s3_bucket: archive\n\
         service:\n  pipelines:\n    logs:\n      receivers: [otlp]\n      exporters: [s3]\n",
    )
    .unwrap();
    let out = crate::support::run_weir(&[
        "validate",
        "--skip-plugins",
        "--config",
        config.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains(
            "exporters.s3.rollover.max_age: pipeline `logs` is fed by OTLP receiver `otlp`"
        ),
        "{stderr}"
    );
}
