//! A real OTLP client: the OpenTelemetry Python SDK with its OTLP/gRPC and
//! OTLP/HTTP exporters (gzip-compressed) sends logs, metrics and spans to
//! `weir run`; the test reads the files back and checks that records,
//! attributes and ids arrived intact.

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use weir::otlp::Signal;

use crate::daemon_support::{Daemon, json_attr};

/// The virtualenv's python, set up by `scripts/python-env.sh` (shared by
/// every module that drives the Python SDK).
pub(crate) fn python() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let out = Command::new("bash")
        .arg(root.join("scripts/python-env.sh"))
        .output()
        .expect("run scripts/python-env.sh");
    assert!(
        out.status.success(),
        "cannot set up the Python OpenTelemetry SDK (needs python3 with venv and pip, \
         and access to PyPI); run `bash scripts/python-env.sh` to see why:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .to_string()
}

fn send(python: &str, protocol: &str, endpoint: &str, run_id: &str) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("python/send_otlp.py");
    let out = Command::new(python)
        .arg(script)
        .args([
            "--protocol",
            protocol,
            "--endpoint",
            endpoint,
            "--signal",
            "all",
        ])
        .args(["--run-id", run_id, "--count", "10"])
        .output()
        .expect("run send_otlp.py");
    assert!(
        out.status.success(),
        "the Python SDK could not export over {protocol}:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(out.stdout.trim_ascii()).expect("send_otlp.py prints a JSON summary")
}

fn resource_run_id(resource_entry: &Value) -> Option<&str> {
    json_attr(&resource_entry["resource"], "test.run_id")?["stringValue"].as_str()
}

/// Records of one run, from `requests` of a signal.
fn records_of(requests: &[Value], run_id: &str, keys: (&str, &str, &str)) -> Vec<Value> {
    let (a, b, c) = keys;
    requests
        .iter()
        .flat_map(|r| r[a].as_array().cloned().unwrap_or_default())
        .filter(|res| resource_run_id(res) == Some(run_id))
        .flat_map(|res| res[b].as_array().cloned().unwrap_or_default())
        .flat_map(|s| s[c].as_array().cloned().unwrap_or_default())
        .collect()
}

#[test]
fn the_python_sdk_over_grpc_and_http_arrives_intact() {
    let python = python();
    let mut daemon = Daemon::with_file_exporter();
    let grpc = send(&python, "grpc", &daemon.grpc, "grpc-run");
    let http = send(&python, "http", &daemon.http, "http-run");
    assert!(daemon.stop().success(), "log:\n{}", daemon.log());

    let logs = daemon.requests(Signal::Logs);
    let traces = daemon.requests(Signal::Traces);
    let metrics = daemon.requests(Signal::Metrics);
    for (run, summary) in [("grpc-run", &grpc), ("http-run", &http)] {
        let records = records_of(&logs, run, ("resourceLogs", "scopeLogs", "logRecords"));
        assert_eq!(records.len(), 10, "{run}: log records");
        for (i, r) in records.iter().enumerate() {
            assert_eq!(r["body"]["stringValue"], format!("log {i} of run {run}"));
            assert_eq!(
                json_attr(r, "test.index").unwrap()["intValue"],
                i.to_string()
            );
            assert_eq!(
                json_attr(r, "user.email").unwrap()["stringValue"],
                "jane@example.com"
            );
            assert_eq!(r["severityNumber"], [9, 13, 17][i % 3]);
        }

        let spans = records_of(&traces, run, ("resourceSpans", "scopeSpans", "spans"));
        assert_eq!(spans.len(), 10, "{run}: spans");
        for span in &spans {
            assert_eq!(span["traceId"], summary["trace_id"], "{run}: one trace");
            assert_eq!(span["spanId"].as_str().unwrap().len(), 16);
        }
        let parent = spans
            .iter()
            .find(|s| s["name"] == "parent")
            .expect("parent span");
        let children = spans
            .iter()
            .filter(|s| s["parentSpanId"] == parent["spanId"])
            .count();
        assert_eq!(children, 9, "{run}: children point at their parent");

        let points = records_of(
            &metrics,
            run,
            ("resourceMetrics", "scopeMetrics", "metrics"),
        );
        let counter = points
            .iter()
            .find(|m| m["name"] == "weir.test.counter")
            .expect("counter");
        assert_eq!(counter["sum"]["dataPoints"][0]["asInt"], "10");
        let histogram = points
            .iter()
            .find(|m| m["name"] == "weir.test.latency")
            .expect("histogram");
        assert_eq!(histogram["histogram"]["dataPoints"][0]["count"], "10");
        assert_eq!(histogram["unit"], "ms");
    }
}

/// Sends raw bytes over gRPC with `grpc_raw.py`; returns (code, details).
fn raw_grpc(python: &str, target: &str, body: &str, gzip: bool) -> (String, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("python/grpc_raw.py");
    let mut cmd = Command::new(python);
    cmd.arg(script).args(["--target", target, "--body", body]);
    if gzip {
        cmd.arg("--gzip");
    }
    let out = cmd.output().expect("run grpc_raw.py");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(out.stdout.trim_ascii()).unwrap();
    (
        v["code"].as_str().unwrap().to_string(),
        v["details"].as_str().unwrap().to_string(),
    )
}

/// The count of gRPC refusals for `reason` in weir's `/metrics`.
fn grpc_refusals(daemon: &Daemon, reason: &str) -> Option<f64> {
    daemon.metric(&format!(
        r#"weir_receiver_refused_requests_total{{receiver="otlp",transport="grpc",reason="{reason}"}}"#
    ))
}

/// Sends 10 records of each signal with the SDK after bad input, stops
/// the daemon and checks that the logs arrived.
fn good_request_is_served_after(python: &str, mut daemon: Daemon, run_id: &str) {
    let ok = send(python, "grpc", &daemon.grpc, run_id);
    assert_eq!(ok["logs"], 10);
    assert!(daemon.stop().success(), "log:\n{}", daemon.log());
    let logs = daemon.requests(Signal::Logs);
    assert_eq!(
        records_of(&logs, run_id, ("resourceLogs", "scopeLogs", "logRecords")).len(),
        10
    );
}

#[test]
fn grpc_refuses_malformed_requests_and_keeps_serving() {
    let python = python();
    let daemon = Daemon::with_file_exporter();
    let target = daemon.grpc.trim_start_matches("http://").to_string();

    let (code, details) = raw_grpc(&python, &target, "0affff01", false);
    assert_eq!(code, "INVALID_ARGUMENT", "{details}");
    // The same words as OTLP/HTTP's answer: both go through one validation.
    assert!(
        details.contains("malformed OTLP protobuf logs request"),
        "{details}"
    );
    assert_eq!(grpc_refusals(&daemon, "malformed"), Some(1.0));

    good_request_is_served_after(&python, daemon, "after-bad-input");
}

/// Issue 14: a gRPC message over `max_recv_msg_size_mib` was answered
/// `OUT_OF_RANGE` (tonic's choice), which the OTLP specification lists as
/// retryable, so every client retried a request that can never succeed.
/// It is `RESOURCE_EXHAUSTED`, which without `RetryInfo` is not retryable
/// (as grpc-go answers), sent plain or as a gzip bomb.
#[test]
fn an_oversize_grpc_message_is_resource_exhausted_not_out_of_range() {
    let python = python();
    let daemon = Daemon::from_config(
        tempfile::tempdir().unwrap(),
        "receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: 127.0.0.1:{grpc_port}\n\
         \x20       max_recv_msg_size_mib: 4\n\
         exporters:\n  file:\n    path: {data}\n\
         service:\n  telemetry:\n    address: 127.0.0.1:{telemetry_port}\n  pipelines:\n\
         \x20   logs:\n      receivers: [otlp]\n      exporters: [file]\n\
         \x20   metrics:\n      receivers: [otlp]\n      exporters: [file]\n\
         \x20   traces:\n      receivers: [otlp]\n      exporters: [file]\n",
    );
    let target = daemon.grpc.trim_start_matches("http://").to_string();

    // 5 MiB against the 4 MiB limit, plain and as a gzip bomb.
    for gzip in [false, true] {
        let (code, details) = raw_grpc(&python, &target, "zeros:5242880", gzip);
        assert_eq!(code, "RESOURCE_EXHAUSTED", "gzip={gzip}: {details}");
        assert!(details.contains("4194304 bytes"), "gzip={gzip}: {details}");
    }
    assert_eq!(grpc_refusals(&daemon, "too_large"), Some(2.0));

    good_request_is_served_after(&python, daemon, "after-oversize");
}
