//! Hot reload under load: `weir gen` sends logs steadily while the test
//! replaces, adds, removes, corrupts and slowly writes plugin files; every
//! record must come out, each tagged by exactly one version.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use weir_tests::guests;
use weir_tests::plugin_files::tagger;

use crate::daemon_support::{Daemon, json_attr};

/// `GET /plugins`.
pub(crate) fn status(daemon: &Daemon) -> Value {
    let body = reqwest::blocking::get(format!("{}/plugins", daemon.telemetry))
        .and_then(|r| r.text())
        .expect("weir serves /plugins");
    serde_json::from_str(&body).expect("/plugins is JSON")
}

/// The status of plugin `id`, if listed.
pub(crate) fn plugin(daemon: &Daemon, id: &str) -> Option<Value> {
    status(daemon)["plugins"]
        .as_array()?
        .iter()
        .find(|p| p["id"] == id)
        .cloned()
}

/// Polls `check` every 20 ms until it holds; panics with `what` and the
/// daemon's log after `limit`.
pub(crate) fn wait_for(
    daemon: &Daemon,
    what: &str,
    limit: Duration,
    mut check: impl FnMut() -> bool,
) {
    let deadline = Instant::now() + limit;
    while !check() {
        assert!(
            Instant::now() < deadline,
            "{what}: not within {limit:?}; status {}\nweir's log:\n{}",
            status(daemon),
            daemon.log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `weir_plugin_reloads_total{result="failed"}`, summed over plugins.
fn failed_reloads(daemon: &Daemon) -> u64 {
    reqwest::blocking::get(format!("{}/metrics", daemon.telemetry))
        .and_then(|r| r.text())
        .expect("weir serves /metrics")
        .lines()
        .filter(|l| l.starts_with("weir_plugin_reloads_total{") && l.contains("result=\"failed\""))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

/// Makes weir look at its plugins again a few times (unrelated files
/// written to `plugin_dir`, a directory it watches) and asserts that the
/// one failure reported so far is still the only one.
fn assert_reported_once(daemon: &Daemon, plugin_dir: &Path) {
    for i in 0..3 {
        std::fs::write(plugin_dir.join(format!("notes-{i}.txt")), "unrelated").unwrap();
        std::thread::sleep(Duration::from_millis(150));
    }
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        failed_reloads(daemon),
        1,
        "one failure, reported once; weir's log:\n{}",
        daemon.log()
    );
}

fn reloads(daemon: &Daemon, id: &str) -> u64 {
    plugin(daemon, id).map_or(0, |p| p["reloads"].as_u64().unwrap_or(0))
}

/// Replaces `path` the way an editor does: write a temporary file beside
/// it, then rename it over.
pub(crate) fn replace_by_rename(path: &Path, bytes: &[u8]) {
    let tmp = path.with_file_name(format!(
        ".{}.tmp",
        path.file_name().unwrap().to_string_lossy()
    ));
    std::fs::write(&tmp, bytes).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// Starts `weir gen` against `daemon`: logs over HTTP at `rate` records/s
/// for `seconds`, printing its JSON summary on stdout.
fn start_gen(daemon: &Daemon, rate: u64, seconds: u64) -> Child {
    Command::new(env!("CARGO_BIN_EXE_weir-under-test"))
        .args(["gen", "--protocol", "http", "--endpoint", &daemon.http])
        .args(["--rate", &rate.to_string(), "--batch", "50"])
        .args(["--duration", &seconds.to_string(), "--connections", "2"])
        .arg("--json")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start weir gen")
}

/// Waits for `weir gen` and returns its summary.
fn gen_summary(load: Child) -> Value {
    let out = load.wait_with_output().expect("weir gen finishes");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(line).unwrap_or_else(|e| panic!("weir gen summary {line:?}: {e}"))
}

pub(crate) fn plugin_dir_daemon(root: tempfile::TempDir) -> Daemon {
    Daemon::start_in(
        root,
        "  batch:\n    timeout: 20ms\n    send_batch_size: 200",
        "  file:\n    path: {data}",
        "    logs:\n      receivers: [otlp]\n      processors: [batch]\n      exporters: [file]",
        "  plugins:\n    directory: {dir}/plugins",
    )
}

#[test]
fn plugins_change_under_load_without_losing_or_double_processing_a_record() {
    let root = tempfile::tempdir().unwrap();
    let plugins: PathBuf = root.path().join("plugins");
    std::fs::create_dir(&plugins).unwrap();
    let tag_file = plugins.join("10-tag.wasm");
    std::fs::write(&tag_file, tagger("weir.tag", "start")).unwrap();
    let mut daemon = plugin_dir_daemon(root);
    assert_eq!(plugin(&daemon, "dir/10-tag").unwrap()["state"], "serving");

    let load = start_gen(&daemon, 3000, 20);
    std::thread::sleep(Duration::from_millis(500));

    // 20 replacements, alternating two versions, half by rename and half
    // by writing the file in place; each must go live before the next.
    for i in 1..=20u64 {
        let version = tagger("weir.tag", if i % 2 == 1 { "a" } else { "b" });
        if i % 2 == 0 {
            replace_by_rename(&tag_file, &version);
        } else {
            std::fs::write(&tag_file, &version).unwrap();
        }
        wait_for(
            &daemon,
            &format!("replacement {i} live"),
            Duration::from_secs(10),
            || reloads(&daemon, "dir/10-tag") == i,
        );
    }

    // A touch without a change reloads nothing.
    let same = std::fs::read(&tag_file).unwrap();
    std::fs::write(&tag_file, &same).unwrap();
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(
        reloads(&daemon, "dir/10-tag"),
        20,
        "a touch is not a reload"
    );

    // Add a second plugin, then remove it.
    let second = plugins.join("20-second.wasm");
    std::fs::write(&second, tagger("weir.second", "s")).unwrap();
    wait_for(
        &daemon,
        "second plugin serving",
        Duration::from_secs(10),
        || plugin(&daemon, "dir/20-second").is_some_and(|p| p["state"] == "serving"),
    );
    std::thread::sleep(Duration::from_millis(300));
    std::fs::remove_file(&second).unwrap();
    wait_for(
        &daemon,
        "second plugin gone",
        Duration::from_secs(10),
        || plugin(&daemon, "dir/20-second").is_none(),
    );

    // A corrupt file: reported, and the previous version keeps serving.
    let serving_hash = plugin(&daemon, "dir/10-tag").unwrap()["serving"]["content_hash"].clone();
    std::fs::write(&tag_file, b"\0asm\x0d\x00\x01\x00this is not a component").unwrap();
    wait_for(
        &daemon,
        "corrupt file reported",
        Duration::from_secs(10),
        || plugin(&daemon, "dir/10-tag").is_some_and(|p| !p["last_failure"].is_null()),
    );
    let p = plugin(&daemon, "dir/10-tag").unwrap();
    assert_eq!(p["state"], "serving", "{p}");
    assert_eq!(p["serving"]["content_hash"], serving_hash, "{p}");
    let error = p["last_failure"]["error"].as_str().unwrap();
    assert!(
        error.contains("compile") || error.contains("component"),
        "{error}"
    );
    assert!(daemon.log().contains("plugin reload failed"));
    let ls = Command::new(env!("CARGO_BIN_EXE_weir-under-test"))
        .args(["plugin", "ls", "--address"])
        .arg(daemon.telemetry.trim_start_matches("http://"))
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&ls.stdout);
    assert!(ls.status.success(), "{table}");
    assert!(
        table.contains("dir/10-tag") && table.contains("serving"),
        "{table}"
    );
    assert!(
        table.contains("dir/10-tag: last reload failed at"),
        "{table}"
    );

    // A file written in slow chunks goes live once, whole, without a
    // failure being reported for its partial states.
    let slow = tagger("weir.tag", "slow");
    let mut file = std::fs::File::create(&tag_file).unwrap();
    for chunk in slow.chunks(slow.len() / 4 + 1) {
        file.write_all(chunk).unwrap();
        file.flush().unwrap();
        std::thread::sleep(Duration::from_millis(300));
    }
    drop(file);
    wait_for(
        &daemon,
        "slowly written file live",
        Duration::from_secs(10),
        || reloads(&daemon, "dir/10-tag") == 21,
    );
    assert_eq!(
        failed_reloads(&daemon),
        1,
        "only the corrupt file counts as a failed reload"
    );

    let summary = gen_summary(load);
    assert_eq!(summary["errors"], 0, "{summary}");
    assert!(daemon.stop().success());

    let records = daemon.log_records();
    assert_eq!(
        records.len() as u64,
        summary["records"].as_u64().unwrap(),
        "every accepted record is written, once"
    );
    let mut seen = std::collections::BTreeMap::<String, usize>::new();
    for record in &records {
        let tag = json_attr(record, "weir.tag")
            .and_then(|v| v["stringValue"].as_str())
            .unwrap_or_else(|| panic!("record without a tag: {record}"));
        assert!(!tag.contains(','), "tagged by two versions: {tag}");
        *seen.entry(tag.to_string()).or_default() += 1;
        if let Some(second) = json_attr(record, "weir.second") {
            assert_eq!(second["stringValue"], "s");
        }
    }
    for tag in ["start", "a", "b", "slow"] {
        assert!(seen.contains_key(tag), "no record tagged {tag}: {seen:?}");
    }
}

#[test]
fn a_changed_sidecar_reloads_the_plugin_with_its_new_configuration() {
    let root = tempfile::tempdir().unwrap();
    let plugins = root.path().join("plugins");
    std::fs::create_dir(&plugins).unwrap();
    std::fs::copy(guests::SEVERITY_FILTER, plugins.join("10-severity.wasm")).unwrap();
    std::fs::write(plugins.join("10-severity.yaml"), "min_severity: ERROR\n").unwrap();
    let mut daemon = plugin_dir_daemon(root);
    let send = |daemon: &Daemon| {
        let body = prost::Message::encode_to_vec(&weir_tests::batches::logs(12));
        let r = reqwest::blocking::Client::new()
            .post(format!("{}/v1/logs", daemon.http))
            .header("Content-Type", "application/x-protobuf")
            .body(body)
            .send()
            .unwrap();
        assert_eq!(r.status(), 200);
    };
    send(&daemon);
    std::fs::write(plugins.join("10-severity.yaml"), "min_severity: WARN\n").unwrap();
    wait_for(
        &daemon,
        "new configuration live",
        Duration::from_secs(10),
        || reloads(&daemon, "dir/10-severity") == 1,
    );
    send(&daemon);

    // A broken sidecar: reported once (not on every later event in the
    // directory), and the last good configuration keeps serving.
    std::fs::write(plugins.join("10-severity.yaml"), "min_severity: [WARN\n").unwrap();
    wait_for(
        &daemon,
        "broken sidecar reported",
        Duration::from_secs(10),
        || plugin(&daemon, "dir/10-severity").is_some_and(|p| !p["last_failure"].is_null()),
    );
    assert_reported_once(&daemon, &plugins);
    send(&daemon);
    assert!(daemon.stop().success());
    let severities: Vec<i64> = daemon
        .log_records()
        .iter()
        .map(|r| r["severityNumber"].as_i64().unwrap())
        .collect();
    assert_eq!(
        severities,
        [
            17, 21, 17, 21, 13, 17, 21, 13, 17, 21, 13, 17, 21, 13, 17, 21
        ]
    );
}

#[test]
fn a_configured_plugin_follows_its_file_and_keeps_serving_if_it_disappears() {
    let root = tempfile::tempdir().unwrap();
    let root_dir = root.path().to_path_buf();
    let file = root.path().join("tag.wasm");
    std::fs::write(&file, tagger("weir.tag", "one")).unwrap();
    let mut daemon = Daemon::start_in(
        root,
        "  wasm/tag:\n    path: {dir}/tag.wasm",
        "  file:\n    path: {data}",
        "    logs:\n      receivers: [otlp]\n      processors: [wasm/tag]\n      exporters: [file]",
        "  plugins:\n    directory: {dir}/plugins",
    );
    replace_by_rename(&file, &tagger("weir.tag", "two"));
    wait_for(
        &daemon,
        "second version live",
        Duration::from_secs(10),
        || reloads(&daemon, "wasm/tag") == 1,
    );
    std::fs::remove_file(&file).unwrap();
    wait_for(
        &daemon,
        "missing file reported",
        Duration::from_secs(10),
        || plugin(&daemon, "wasm/tag").is_some_and(|p| !p["last_failure"].is_null()),
    );
    let p = plugin(&daemon, "wasm/tag").unwrap();
    assert_eq!(p["state"], "serving", "{p}");
    assert!(
        p["last_failure"]["error"]
            .as_str()
            .unwrap()
            .contains("missing"),
        "{p}"
    );
    // Reported once, not again on every later look at the plugins (here,
    // events in the plugin directory).
    assert_reported_once(&daemon, &root_dir.join("plugins"));
    let body = prost::Message::encode_to_vec(&weir_tests::batches::logs(3));
    let r = reqwest::blocking::Client::new()
        .post(format!("{}/v1/logs", daemon.http))
        .header("Content-Type", "application/x-protobuf")
        .body(body)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(daemon.stop().success());
    for record in daemon.log_records() {
        assert_eq!(
            json_attr(&record, "weir.tag").unwrap()["stringValue"],
            "two"
        );
    }
}

#[test]
fn a_plugin_file_moved_away_and_replaced_stays_in_the_chain_meanwhile() {
    let root = tempfile::tempdir().unwrap();
    let plugins = root.path().join("plugins");
    std::fs::create_dir(&plugins).unwrap();
    let tag_file = plugins.join("10-tag.wasm");
    std::fs::write(&tag_file, tagger("weir.tag", "before")).unwrap();
    let mut daemon = plugin_dir_daemon(root);
    let load = start_gen(&daemon, 2000, 4);
    std::thread::sleep(Duration::from_millis(500));

    // As some editors save: the old file is moved aside, and the new one
    // written a moment later — long enough for weir to look in between.
    std::fs::rename(&tag_file, plugins.join(".10-tag.wasm.orig")).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    std::fs::write(&tag_file, tagger("weir.tag", "after")).unwrap();
    wait_for(&daemon, "new version live", Duration::from_secs(10), || {
        reloads(&daemon, "dir/10-tag") == 1
    });

    let summary = gen_summary(load);
    assert_eq!(summary["errors"], 0, "{summary}");
    assert!(daemon.stop().success());
    assert!(!daemon.log().contains("left the chain"), "{}", daemon.log());
    let records = daemon.log_records();
    assert_eq!(records.len() as u64, summary["records"].as_u64().unwrap());
    let untagged = records
        .iter()
        .filter(|r| json_attr(r, "weir.tag").is_none())
        .count();
    assert_eq!(untagged, 0, "records that passed while the file was away");
}

#[test]
fn a_deleted_and_recreated_plugin_directory_is_watched_again() {
    let root = tempfile::tempdir().unwrap();
    let plugins = root.path().join("plugins");
    std::fs::create_dir(&plugins).unwrap();
    std::fs::write(plugins.join("10-tag.wasm"), tagger("weir.tag", "old")).unwrap();
    let mut daemon = plugin_dir_daemon(root);

    std::fs::remove_dir_all(&plugins).unwrap();
    wait_for(
        &daemon,
        "plugin of the deleted directory gone",
        Duration::from_secs(10),
        || plugin(&daemon, "dir/10-tag").is_none(),
    );
    std::fs::create_dir(&plugins).unwrap();
    std::fs::write(plugins.join("20-tag.wasm"), tagger("weir.tag", "new")).unwrap();
    wait_for(
        &daemon,
        "plugin dropped into the new directory serving",
        Duration::from_secs(10),
        || plugin(&daemon, "dir/20-tag").is_some_and(|p| p["state"] == "serving"),
    );
    // And changes there are seen too, not only the first scan.
    std::fs::write(plugins.join("20-tag.wasm"), tagger("weir.tag", "newer")).unwrap();
    wait_for(
        &daemon,
        "change in the new directory live",
        Duration::from_secs(10),
        || reloads(&daemon, "dir/20-tag") == 1,
    );
    assert!(daemon.stop().success());
}

#[test]
fn a_kubernetes_configmap_style_update_is_a_reload() {
    // A ConfigMap volume: each file is a symlink through `..data`, which
    // the kubelet points at a new hidden directory in one rename.
    use std::os::unix::fs::symlink;
    let root = tempfile::tempdir().unwrap();
    let plugins = root.path().join("plugins");
    std::fs::create_dir_all(plugins.join("..v1")).unwrap();
    std::fs::write(plugins.join("..v1/10-tag.wasm"), tagger("weir.tag", "v1")).unwrap();
    symlink("..v1", plugins.join("..data")).unwrap();
    symlink("..data/10-tag.wasm", plugins.join("10-tag.wasm")).unwrap();
    let mut daemon = plugin_dir_daemon(root);
    let first = plugin(&daemon, "dir/10-tag").unwrap();
    assert_eq!(first["state"], "serving", "{first}");

    std::fs::create_dir(plugins.join("..v2")).unwrap();
    std::fs::write(plugins.join("..v2/10-tag.wasm"), tagger("weir.tag", "v2")).unwrap();
    symlink("..v2", plugins.join("..data_tmp")).unwrap();
    std::fs::rename(plugins.join("..data_tmp"), plugins.join("..data")).unwrap();
    std::fs::remove_dir_all(plugins.join("..v1")).unwrap();
    wait_for(
        &daemon,
        "the new ConfigMap version live",
        Duration::from_secs(10),
        || reloads(&daemon, "dir/10-tag") == 1,
    );
    let now = plugin(&daemon, "dir/10-tag").unwrap();
    assert_ne!(
        now["serving"]["content_hash"], first["serving"]["content_hash"],
        "{now}"
    );
    assert!(daemon.stop().success());
    assert!(!daemon.log().contains("reload failed"), "{}", daemon.log());
}

#[test]
fn an_oversized_plugin_file_is_refused_without_being_read() {
    let root = tempfile::tempdir().unwrap();
    let plugins = root.path().join("plugins");
    std::fs::create_dir(&plugins).unwrap();
    std::fs::write(plugins.join("10-tag.wasm"), tagger("weir.tag", "t")).unwrap();
    let mut daemon = plugin_dir_daemon(root);

    // 300 MiB, sparse: nothing is written, and weir must not read it all.
    let huge = std::fs::File::create(plugins.join("20-huge.wasm")).unwrap();
    huge.set_len(300 << 20).unwrap();
    drop(huge);
    wait_for(
        &daemon,
        "oversized file reported",
        Duration::from_secs(10),
        || plugin(&daemon, "dir/20-huge").is_some_and(|p| !p["last_failure"].is_null()),
    );
    let p = plugin(&daemon, "dir/20-huge").unwrap();
    assert_eq!(p["state"], "failed", "{p}");
    let error = p["last_failure"]["error"].as_str().unwrap();
    assert!(error.contains("300 MiB, over the 256 MiB limit"), "{error}");
    assert_eq!(plugin(&daemon, "dir/10-tag").unwrap()["state"], "serving");
    assert_reported_once(&daemon, &plugins);
    assert!(daemon.stop().success());
}
