//! The plugin sandbox inside `weir run` (issue 20): a plugin sees nothing
//! of the daemon's environment, files or working directory; a plugin that
//! floods the log leaves weir's log bounded and the daemon serving; a new
//! version that fails in `describe` or `init` is refused by name, and the
//! version before it keeps serving.

use std::time::{Duration, Instant};

use prost::Message;
use reqwest::blocking::Client;
use serde_json::Value;
use weir_tests::batches;
use weir_tests::guests;
use weir_tests::plugin_files::prober_describing;

use crate::daemon_support::{Daemon, json_attr};
use crate::hot_reload::{plugin, plugin_dir_daemon, replace_by_rename, wait_for};

/// Posts a logs request of `n` records; insists it is accepted.
fn send_logs(daemon: &Daemon, n: usize) {
    let response = Client::new()
        .post(format!("{}/v1/logs", daemon.http))
        .header("Content-Type", "application/x-protobuf")
        .timeout(Duration::from_secs(30))
        .body(batches::logs(n).encode_to_vec())
        .send()
        .expect("weir answers");
    assert!(
        response.status().is_success(),
        "{}; weir's log:\n{}",
        response.status(),
        daemon.log()
    );
}

/// The string attributes `probe.*` of a written record.
fn probes(record: &Value) -> Vec<(String, String)> {
    record["attributes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|kv| {
            let key = kv["key"].as_str()?;
            let value = kv["value"]["stringValue"].as_str()?;
            key.starts_with("probe.")
                .then(|| (key.to_string(), value.to_string()))
        })
        .collect()
}

fn logs_pipeline(processors: &str) -> String {
    format!(
        "    logs:\n      receivers: [otlp]\n      processors: [{processors}]\n      exporters: [file]"
    )
}

#[test]
fn a_plugin_in_the_daemon_sees_none_of_its_environment_files_or_directory() {
    let marker = format!("weir-sandbox-marker-{}", std::process::id());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("secret.txt"), &marker).unwrap();
    let config = format!(
        "receivers:\n  otlp:\n    protocols:\n      http:\n        endpoint: 127.0.0.1:{{http_port}}\n\
         processors:\n  batch:\n    timeout: 20ms\n  wasm/prober:\n    path: {}\n    config: {{process: probe}}\n\
         exporters:\n  file:\n    path: {{data}}\n\
         service:\n  telemetry:\n    address: 127.0.0.1:{{telemetry_port}}\n  pipelines:\n{}\n",
        guests::PROBER,
        logs_pipeline("batch, wasm/prober")
    );
    let daemon = Daemon::from_config_with_env(dir, &config, &[("WEIR_SANDBOX_MARKER", &marker)]);
    send_logs(&daemon, 3);
    let records = daemon.log_records();
    assert_eq!(records.len(), 3, "weir's log:\n{}", daemon.log());
    let seen = probes(&records[0]);
    assert!(!seen.is_empty(), "the prober ran: {:?}", records[0]);

    // The daemon's working directory holds its configuration and a file
    // with the marker; its environment holds the marker: none of it shows.
    assert!(daemon.dir().join("weir.yaml").exists());
    for (key, value) in &seen {
        assert!(!value.contains(&marker), "{key} shows the marker: {value}");
        assert!(!value.starts_with("ALLOWED"), "{key} escaped: {value}");
    }
    let get = |key: &str| json_attr(&records[0], key).and_then(|v| v["stringValue"].as_str());
    assert_eq!(get("probe.environment"), Some("0 []"));
    assert_eq!(get("probe.arguments"), Some("0 []"));
    assert_eq!(get("probe.cwd"), Some("None"));
    assert!(get("probe.read_relative").unwrap().starts_with("refused"));
    assert!(
        !daemon.dir().join("prober-was-here").exists(),
        "nothing written to the daemon's directory"
    );
}

#[test]
fn a_plugin_flooding_the_log_leaves_weirs_log_bounded_and_the_daemon_serving() {
    // One plugin logs 10,000 lines per batch, one ten lines of 1 MiB, one
    // writes 1 MiB to stdout and stderr each.
    let processors = format!(
        "  batch:\n    timeout: 20ms\n\
         \x20 wasm/flood:\n    path: {p}\n    config: {{process: log-flood, lines: 10000}}\n    timeout: 5s\n\
         \x20 wasm/huge:\n    path: {p}\n    config: {{process: log-huge}}\n    timeout: 5s\n\
         \x20 wasm/stdout:\n    path: {p}\n    config: {{process: stdout-flood}}\n\
         \x20 wasm/stderr:\n    path: {p}\n    config: {{process: stderr-flood}}",
        p = guests::PROBER
    );
    let mut daemon = Daemon::start(
        &processors,
        "  file:\n    path: {data}",
        &logs_pipeline("batch, wasm/flood, wasm/huge, wasm/stdout, wasm/stderr"),
    );
    let started = Instant::now();
    let requests = 10;
    for _ in 0..requests {
        send_logs(&daemon, 5);
    }
    // A second later, one more: the first line of a new window reports
    // how many were dropped before it.
    std::thread::sleep(Duration::from_millis(1100));
    send_logs(&daemon, 5);
    let seconds = started.elapsed().as_secs() + 1;
    assert_eq!(
        daemon.log_records().len(),
        5 * (requests + 1),
        "every record came through"
    );
    assert!(
        reqwest::blocking::get(format!("{}/readyz", daemon.telemetry))
            .unwrap()
            .status()
            .is_success()
    );
    let flood_status = plugin(&daemon, "wasm/flood").expect("listed");
    let counted = flood_status["serving"]["log_lines_dropped"]
        .as_u64()
        .unwrap();
    assert!(counted > 0, "{flood_status}");
    assert_eq!(daemon.stop().code(), Some(0));

    let log = daemon.log();
    let lines: Vec<&str> = log.lines().collect();
    let flood = lines.iter().filter(|l| l.contains("prober line")).count() as u64;
    // At least 110,000 lines asked for; at most 100 per second pass.
    eprintln!(
        "weir's log: {} lines, {} bytes; {flood} of the plugin's lines over {seconds} s",
        lines.len(),
        log.len()
    );
    assert!(flood > 0, "the plugin's lines are logged at all");
    assert!(flood <= 100 * seconds, "{flood} lines in {seconds} s");
    let dropped: u64 = lines
        .iter()
        .filter(|l| l.contains("lines were dropped"))
        .filter_map(|l| {
            let at = l.find("suppressed=")? + "suppressed=".len();
            l[at..]
                .split(|c: char| !c.is_ascii_digit())
                .next()?
                .parse::<u64>()
                .ok()
        })
        .sum();
    assert!(dropped > 0, "the dropped count is reported:\n{log}");
    // Huge lines are cut to 4 KiB.
    let longest = lines.iter().map(|l| l.len()).max().unwrap_or(0);
    assert!(longest < 8192, "a line of {longest} bytes");
    assert!(
        lines.iter().any(|l| l.contains("yyyy")),
        "the huge lines are logged, cut"
    );
    // stdout and stderr of plugins never reach weir's log.
    assert!(
        !log.contains("xxxxxxxx"),
        "a plugin's stdout or stderr in weir's log"
    );
    assert!(log.len() < 4 << 20, "weir's log is {} bytes", log.len());
}

#[test]
fn a_new_version_failing_in_describe_or_init_is_refused_by_name_and_the_old_one_serves() {
    let root = tempfile::tempdir().unwrap();
    let plugins = root.path().join("plugins");
    std::fs::create_dir(&plugins).unwrap();
    let wasm = plugins.join("10-prober.wasm");
    let sidecar = plugins.join("10-prober.yaml");
    std::fs::write(&sidecar, "process: stdout-flood\n").unwrap();
    std::fs::write(&wasm, prober_describing("ok")).unwrap();
    let daemon = plugin_dir_daemon(root);
    let id = "dir/10-prober";
    // What the plugin wrote on the first record of the request just sent
    // (one request, one batch).
    let served = |n: usize| {
        send_logs(&daemon, 2);
        let records = daemon.log_records();
        assert_eq!(records.len(), n, "weir's log:\n{}", daemon.log());
        json_attr(&records[n - 2], "probe.stdout")
            .and_then(|v| v["stringValue"].as_str().map(String::from))
    };
    assert_eq!(served(2).as_deref(), Some("wrote 1048576 bytes"));

    // A configuration whose `init` runs out of memory.
    replace_by_rename(&sidecar, b"process: stdout-flood\ninit: alloc\n");
    wait_for(&daemon, "the init failure", Duration::from_secs(60), || {
        plugin(&daemon, id).is_some_and(|p| !p["last_failure"].is_null())
    });
    let error = plugin(&daemon, id).unwrap()["last_failure"]["error"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        error.contains("plugin `prober` failed in `init`") && error.contains("memory limit"),
        "{error}"
    );
    assert_eq!(
        served(4).as_deref(),
        Some("wrote 1048576 bytes"),
        "the old version serves"
    );

    // A file whose `describe` never returns.
    replace_by_rename(&wasm, &prober_describing("loop"));
    wait_for(
        &daemon,
        "the describe failure",
        Duration::from_secs(60),
        || {
            plugin(&daemon, id).is_some_and(|p| {
                p["last_failure"]["error"]
                    .as_str()
                    .is_some_and(|e| e.contains("`describe`"))
            })
        },
    );
    let error = plugin(&daemon, id).unwrap()["last_failure"]["error"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        error.contains("10-prober.wasm` failed in `describe`") && error.contains("deadline"),
        "{error}"
    );
    assert_eq!(
        served(6).as_deref(),
        Some("wrote 1048576 bytes"),
        "the old version serves"
    );
    assert!(daemon.log().contains("plugin reload failed"));
}

#[test]
fn plugin_check_and_run_name_the_export_that_failed() {
    let dir = tempfile::tempdir().unwrap();
    let looping = dir.path().join("describe-loop.wasm");
    std::fs::write(&looping, prober_describing("loop")).unwrap();
    let output = crate::support::run_weir(&["plugin", "check", looping.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "describe-loop.wasm` failed in `describe`: ran longer than its 500 ms deadline"
        ),
        "{stderr}"
    );

    let input = concat!(env!("CARGO_MANIFEST_DIR"), "/data/mixed-severity-logs.json");
    let output = crate::support::run_weir(&[
        "plugin",
        "run",
        guests::PROBER,
        "-i",
        input,
        "--config-text",
        "init: alloc",
    ]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("plugin `prober` failed in `init`: tried to use more than its"),
        "{stderr}"
    );
}
