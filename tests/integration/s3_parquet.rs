//! Parquet archives: written by the `s3` exporter to a real S3 server,
//! read by two independent readers (pyarrow and DuckDB, from PyPI) with
//! the right rows, values and attribute maps, and replayed by weir.

use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use weir::otlp::{Batch, Signal};
use weir_tests::batches;

use crate::daemon_support::Daemon;
use crate::python_client::python;
use crate::s3_support::{
    bucket, client, endpoint, exporter, file_output, list, post_until_ok, replay, runtime,
};

fn read_with_python(path: &std::path::Path, signal: &str) -> Value {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("python/read_parquet.py");
    let out = Command::new(python())
        .arg(script)
        .arg(path)
        .arg(signal)
        .output()
        .expect("run read_parquet.py");
    assert!(
        out.status.success(),
        "read_parquet.py failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

#[test]
fn parquet_archives_are_read_by_pyarrow_duckdb_and_weir_replay() {
    let endpoint = endpoint();
    let bucket = bucket(&endpoint, "parquet");
    let mut daemon = Daemon::start(
        "  batch:\n    timeout: 10ms",
        &exporter(
            "s3",
            &endpoint,
            &bucket,
            "pq",
            "    marshaler: parquet\n    rollover:\n      max_age: 1s\n",
        ),
        "    logs:\n      receivers: [otlp]\n      exporters: [s3]\n\
         \x20   traces:\n      receivers: [otlp]\n      exporters: [s3]",
    );
    let logs = batches::logs_batch(60);
    let spans: Batch = batches::spans(10).into();
    assert!(post_until_ok(&daemon, &logs, Duration::from_secs(60)));
    assert!(post_until_ok(&daemon, &spans, Duration::from_secs(60)));
    assert!(daemon.stop().success());

    let rt = runtime();
    let client = client(&rt, &endpoint, &bucket);
    let dir = tempfile::tempdir().unwrap();
    let fetch = |signal: &str| {
        let objects = list(&rt, &client, "pq/");
        let object = objects
            .iter()
            .find(|o| o.key.contains(&format!("/{signal}_")) && o.key.ends_with(".parquet"))
            .unwrap_or_else(|| panic!("no {signal} parquet object in {objects:?}"));
        let path = dir.path().join(format!("{signal}.parquet"));
        std::fs::write(&path, rt.block_on(client.get(&object.key)).unwrap()).unwrap();
        read_with_python(&path, signal)
    };

    let got = fetch("logs");
    let (arrow, duck) = (&got["pyarrow"], &got["duckdb"]);
    assert_eq!(arrow["rows"], 60);
    assert_eq!(duck["rows"], 60);
    let records = batches::log_records(&logs);
    for (i, record) in records.iter().enumerate() {
        let attrs = &arrow["attributes"][i];
        assert_eq!(
            attrs["tenant"],
            batches::string_attr(&record.attributes, "tenant").unwrap()
        );
        assert_eq!(attrs["url.path"], format!("/api/v1/orders/{i}"));
        // An int attribute, as its text.
        assert_eq!(attrs["http.response.status_code"], "200");
        assert_eq!(arrow["severity_number"][i], record.severity_number);
        assert_eq!(arrow["time_ns"][i], record.time_unix_nano);
        assert_eq!(arrow["trace_id"][i], hex(&record.trace_id));
        let Some(weir::otlp::common::any_value::Value::StringValue(body)) =
            record.body.as_ref().and_then(|b| b.value.clone())
        else {
            panic!("a string body")
        };
        assert_eq!(arrow["body"][i], body);
        let service = if i < 30 { "checkout" } else { "payments" };
        assert_eq!(arrow["service_name"][i], service);
        assert_eq!(arrow["resource_attributes"][i]["service.name"], service);
    }
    assert_eq!(arrow["time_type"], "timestamp[ns, tz=UTC]");
    assert_eq!(
        duck["by_tenant"],
        serde_json::json!({"acme": 20, "globex": 40})
    );
    assert_eq!(duck["warn_or_worse"], 30);
    assert_eq!(duck["status_200"], 60);
    assert_eq!(duck["first_time"], "2023-11-14T22:13:20");

    let got = fetch("traces");
    assert_eq!(got["pyarrow"]["rows"], 10);
    assert_eq!(got["duckdb"]["rows"], 10);
    assert_eq!(got["duckdb"]["errors"], 2);
    let names: Vec<String> = batches::span_records(&spans)
        .iter()
        .map(|s| s.name.clone())
        .collect();
    assert_eq!(got["pyarrow"]["name"], serde_json::json!(names));

    // weir replay reads the Parquet archive back: the same records, with
    // attribute values as text.
    let out_dir = tempfile::tempdir().unwrap();
    let config = out_dir.path().join("replay.yaml");
    std::fs::write(
        &config,
        format!(
            "receivers:\n  otlp:\n    protocols:\n      http:\n        endpoint: 127.0.0.1:0\n\
             exporters:\n  file:\n    path: {}\n\
             service:\n  pipelines:\n    logs:\n      receivers: [otlp]\n      exporters: [file]\n",
            out_dir.path().join("out").display()
        ),
    )
    .unwrap();
    let out = replay(
        &config,
        &endpoint,
        &bucket,
        &["--prefix", "pq", "--signal", "logs"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let back: Vec<Batch> = file_output(&out_dir.path().join("out"), Signal::Logs);
    let back: Vec<_> = back.iter().flat_map(batches::log_records).collect();
    assert_eq!(back.len(), 60);
    for (b, r) in back.iter().zip(&records) {
        assert_eq!(
            (
                b.time_unix_nano,
                b.severity_number,
                &b.body,
                &b.trace_id,
                &b.span_id
            ),
            (
                r.time_unix_nano,
                r.severity_number,
                &r.body,
                &r.trace_id,
                &r.span_id
            )
        );
        assert_eq!(
            batches::string_attr(&b.attributes, "http.response.status_code"),
            Some("200")
        );
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
