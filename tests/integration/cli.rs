//! `weir plugin check` and `weir plugin run`, run as a user runs them: the
//! real binary, real files, exit codes and messages.

use serde_json::Value;
use weir_tests::guests;

use crate::support::run_weir;

const MIXED_LOGS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/mixed-severity-logs.json");

fn stdout_json(output: &std::process::Output) -> Value {
    assert!(
        output.status.success(),
        "weir failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("stdout is one JSON document")
}

fn severities(request: &Value) -> Vec<i64> {
    request["resourceLogs"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|rl| rl["scopeLogs"].as_array().unwrap())
        .flat_map(|sl| sl["logRecords"].as_array().unwrap())
        .map(|r| r["severityNumber"].as_i64().unwrap())
        .collect()
}

#[test]
fn plugin_run_prints_only_records_at_or_above_the_threshold() {
    let output = run_weir(&[
        "plugin",
        "run",
        guests::SEVERITY_FILTER,
        "--input",
        MIXED_LOGS,
        "--config-text",
        "min_severity: WARN",
    ]);
    let report = stdout_json(&output);
    assert_eq!(severities(&report["kept"]), [13, 17, 21]);
    assert_eq!(severities(&report["dropped"]), [1, 5, 9]);
    assert_eq!(report["summary"]["records_in"], 6);
    assert_eq!(report["summary"]["kept"], 3);
    assert_eq!(report["summary"]["dropped"], 3);
    // Ids and bodies come back in OTLP/JSON form, intact.
    let first = &report["kept"]["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0];
    assert_eq!(first["traceId"], "5b8efff798038103d269b633813fc60c");
    assert_eq!(
        first["body"]["stringValue"],
        "slow response from payments: 1.8s"
    );
}

#[test]
fn plugin_run_prints_each_route() {
    let output = run_weir(&[
        "plugin",
        "run",
        guests::ROUTE_BY_ATTRIBUTE,
        "-i",
        MIXED_LOGS,
        "--config-text",
        r#"{"attribute": "tenant", "prefix": "tenant-"}"#,
        "--compact",
    ]);
    let report = stdout_json(&output);
    assert_eq!(severities(&report["routes"]["tenant-acme"]), [1, 9, 17]);
    assert_eq!(severities(&report["routes"]["tenant-globex"]), [5, 13, 21]);
    assert_eq!(report["kept"], Value::Null);
}

#[test]
fn plugin_run_reports_a_plugin_failure_and_exits_non_zero() {
    let output = run_weir(&[
        "plugin",
        "run",
        guests::MISBEHAVE,
        "-i",
        MIXED_LOGS,
        "--config-text",
        "action: trap",
    ]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("failed on the batch") && stderr.contains("trapped"),
        "{stderr}"
    );
}

#[test]
fn plugin_run_explains_a_malformed_batch() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"resourceLogs": [{"scopeLogs": 7}]}"#).unwrap();
    let output = run_weir(&["plugin", "run", guests::NOOP, "-i", bad.to_str().unwrap()]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("malformed OTLP/JSON logs request"),
        "{stderr}"
    );
}

#[test]
fn plugin_check_describes_a_good_plugin() {
    let output = run_weir(&["plugin", "check", guests::SEVERITY_FILTER]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.starts_with("ok: "), "{stdout}");
    assert!(stdout.contains("name:        severity-filter"), "{stdout}");
    assert!(stdout.contains("signals:     logs"), "{stdout}");
    assert!(
        stdout.contains("weir:plugin/processor@0.1.0 (describe, init, process)"),
        "{stdout}"
    );
}

#[test]
fn plugin_check_refuses_a_file_that_is_not_a_component() {
    let output = run_weir(&["plugin", "check", MIXED_LOGS]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("is not a usable weir plugin: not a WebAssembly file"),
        "{stderr}"
    );
}

#[test]
fn plugin_check_with_a_config_reports_its_refusal() {
    let output = run_weir(&[
        "plugin",
        "check",
        guests::SEVERITY_FILTER,
        "--config-text",
        "min_severity: LOUD",
    ]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("refused its configuration") && stderr.contains("LOUD"),
        "{stderr}"
    );
}

/// A configuration with the severity filter as a processor (with
/// `min_severity`) and a plugin directory; returns its path.
fn config_with_plugins(dir: &std::path::Path, min_severity: &str) -> std::path::PathBuf {
    std::fs::create_dir_all(dir.join("plugins")).unwrap();
    std::fs::copy(guests::SEVERITY_FILTER, dir.join("severity.wasm")).unwrap();
    std::fs::copy(guests::NOOP, dir.join("plugins/10-noop.wasm")).unwrap();
    let yaml = format!(
        "receivers:\n  otlp:\n    protocols:\n      http:\n\
         processors:\n  wasm/severity:\n    path: {}/severity.wasm\n    config: {{min_severity: {min_severity}}}\n\
         exporters:\n  null:\n\
         service:\n  plugins:\n    directory: {}/plugins\n  pipelines:\n    logs:\n      \
         receivers: [otlp]\n      processors: [wasm/severity]\n      exporters: [null]\n",
        dir.display(),
        dir.display()
    );
    let path = dir.join("weir.yaml");
    std::fs::write(&path, yaml).unwrap();
    path
}

#[test]
fn validate_loads_and_starts_every_plugin_the_configuration_asks_for() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_with_plugins(dir.path(), "WARN");
    let output = run_weir(&["validate", "--config", config.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("plugin wasm/severity: ok, severity-filter"),
        "{stdout}"
    );
    assert!(
        stdout.contains("plugin dir/10-noop (plugin directory"),
        "{stdout}"
    );

    // A configuration the plugin's `init` refuses fails validation, naming
    // the plugin and what it said.
    let config = config_with_plugins(dir.path(), "LOUD");
    let output = run_weir(&["validate", "--config", config.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stdout}");
    assert!(stdout.contains("plugin wasm/severity: FAILED"), "{stdout}");
    assert!(stdout.contains("LOUD"), "{stdout}");
    assert!(stderr.contains("1 of 2 plugins cannot serve"), "{stderr}");

    // A file in the plugin directory that is not a plugin fails it too...
    let config = config_with_plugins(dir.path(), "WARN");
    std::fs::write(dir.path().join("plugins/20-broken.wasm"), b"not wasm").unwrap();
    let output = run_weir(&["validate", "--config", config.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!output.status.success(), "{stdout}");
    assert!(stdout.contains("plugin dir/20-broken"), "{stdout}");
    assert!(stdout.contains("not a WebAssembly file"), "{stdout}");

    // ...unless plugins are skipped.
    let output = run_weir(&[
        "validate",
        "--config",
        config.to_str().unwrap(),
        "--skip-plugins",
    ]);
    assert!(output.status.success());
}
