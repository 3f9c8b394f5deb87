//! The plugin sandbox (issue 20): what a plugin can reach through WASI —
//! nothing of the filesystem, network, environment or real clocks — and
//! that its memory cap and deadline hold in every export (`describe`,
//! `init`, `process`), not only `process`. Driven by the `prober` guest,
//! which tries each way out and reports what it saw.

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use weir::plugin::{Error, Failure, Instance, InstanceOptions, Plugin, Processed};
use weir_tests::batches::{self, log_records, string_attr};
use weir_tests::guests;
use weir_tests::plugin_files::prober_describing;

use crate::support::{load, runtime};

/// How long a call that must be cut short may take before the test calls
/// it a hang: far beyond the deadlines used here, far below the hour the
/// guest asks to sleep.
const HANG: Duration = Duration::from_secs(60);

fn options(config: &str) -> InstanceOptions {
    InstanceOptions {
        config: config.to_string(),
        memory_limit: 32 << 20,
        timeout: Duration::from_millis(200),
        ..InstanceOptions::default()
    }
}

fn prober(config: &str) -> Instance {
    load(guests::PROBER)
        .instantiate(options(config))
        .expect("the prober starts")
}

/// Runs `f` on a thread and waits at most [`HANG`] for it: a sandbox that
/// lets a guest block the host fails the test instead of hanging it.
fn bounded<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(HANG)
        .unwrap_or_else(|_| panic!("{what} still blocked after {HANG:?}: the guest holds the host"))
}

/// Runs one batch and returns the attributes `probe.*` of its record 0.
fn probed(instance: &mut Instance) -> Vec<(String, String)> {
    let Processed { routed, failure } = instance.process(batches::logs_batch(3));
    assert_eq!(failure, None, "the prober failed");
    let kept = routed.keep.expect("the prober keeps the batch");
    let record = &log_records(&kept)[0];
    record
        .attributes
        .iter()
        .filter(|kv| kv.key.starts_with("probe."))
        .map(|kv| {
            let value = string_attr(&record.attributes, &kv.key).unwrap_or_default();
            (kv.key.clone(), value.to_string())
        })
        .collect()
}

fn get<'a>(probes: &'a [(String, String)], key: &str) -> &'a str {
    probes
        .iter()
        .find(|(k, _)| k == &format!("probe.{key}"))
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("the prober reported no `{key}`: {probes:?}"))
}

#[test]
fn every_way_out_through_wasi_is_refused_or_empty() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let target = listener.local_addr().unwrap();
    let mut guest = prober(&format!(
        r#"{{"process": "probe", "tcp_target": "{target}"}}"#
    ));
    let probes = probed(&mut guest);
    eprintln!("what the prober saw: {probes:#?}");

    assert!(
        !probes.iter().any(|(_, v)| v.starts_with("ALLOWED")),
        "an escape: {probes:#?}"
    );
    assert_eq!(get(&probes, "preopens"), "0 []", "no directory is opened");
    for key in [
        "read_absolute",
        "read_relative",
        "read_parent",
        "read_dot",
        "create_relative",
        "create_absolute",
        "list_root",
    ] {
        assert!(get(&probes, key).starts_with("refused"), "{key}");
    }
    assert!(!std::path::Path::new("prober-was-here").exists());
    assert_eq!(get(&probes, "environment"), "0 []");
    assert_eq!(get(&probes, "std_env"), "0");
    assert_eq!(get(&probes, "arguments"), "0 []");
    assert_eq!(get(&probes, "cwd"), "None", "no working directory");
    assert_eq!(get(&probes, "stdin"), "read 0 bytes", "stdin is closed");
    for key in ["tcp_socket", "udp_socket"] {
        let got = get(&probes, key);
        assert!(got.contains("\"access-denied\""), "{key}: {got}");
    }
    let lookup = get(&probes, "name_lookup");
    assert!(
        lookup.contains("\"permanent-resolver-failure\""),
        "name lookup: {lookup}"
    );
    assert!(get(&probes, "tcp_connect").starts_with("refused"));
    assert!(
        matches!(listener.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "nothing connected to the test's listener"
    );
    // The clocks the WIT documents: frozen.
    assert_eq!(get(&probes, "wall_clock"), "1704067200.000000000");
    assert_eq!(get(&probes, "system_time"), "1704067200");
    assert_eq!(get(&probes, "monotonic_clock"), "1000000000 1000000000");
    // Random: offered (language runtimes seed hash tables with it), real.
    let random = get(&probes, "random");
    assert!(random.starts_with("16 bytes, "), "{random}");
}

#[test]
fn a_plugin_cannot_sleep_or_wait_on_a_clock() {
    // Std's sleep and raw WASI subscriptions (an hour, and an instant so
    // far away wasmtime-wasi would wait forever) return at once: time does
    // not pass for a plugin, and a wait in the host is beyond the reach
    // of the deadline.
    let probes = bounded("a sleeping plugin", || {
        probed(&mut prober(r#"{"process": "sleep"}"#))
    });
    assert_eq!(get(&probes, "slept"), "0 ns");
}

#[test]
fn init_is_held_to_the_deadline_and_memory_cap_and_named() {
    for (mode, expected) in [
        ("loop", Some(Failure::Timeout { limit_ms: 200 })),
        ("alloc", Some(Failure::MemoryLimit { limit_mib: 32 })),
        ("trap", None),
        ("exit", None),
    ] {
        let config = format!(r#"{{"init": "{mode}"}}"#);
        let err = bounded("a misbehaving init", move || {
            load(guests::PROBER).instantiate(options(&config)).err()
        })
        .unwrap_or_else(|| panic!("init `{mode}` started"));
        let text = err.to_string();
        let Error::Start {
            plugin,
            during,
            failure,
        } = err
        else {
            panic!("init `{mode}`: {text}");
        };
        assert_eq!((plugin.as_str(), during), ("prober", "`init`"), "{text}");
        assert!(
            text.starts_with("plugin `prober` failed in `init`: "),
            "{text}"
        );
        match (mode, expected) {
            (_, Some(expected)) => assert_eq!(failure, expected, "{mode}"),
            ("trap", None) => assert!(text.contains("prober: asked to trap"), "{text}"),
            // WASI 0.2 carries only success or failure out of `exit`.
            (_, None) => assert!(text.contains("the plugin called `exit`"), "{text}"),
        }
    }
    // A sleep in `init` returns at once, as everywhere.
    bounded("a sleeping init", || prober(r#"{"init": "sleep"}"#));
}

#[test]
fn describe_is_held_to_the_deadline_and_memory_cap_and_named() {
    let dir = tempfile::tempdir().unwrap();
    for mode in ["loop", "alloc", "trap", "sleep"] {
        let path = dir.path().join(format!("describe-{mode}.wasm"));
        std::fs::write(&path, prober_describing(mode)).unwrap();
        let loaded = {
            let path = path.clone();
            bounded("a misbehaving describe", move || runtime().load(&path))
        };
        if mode == "sleep" {
            // Returns at once, as everywhere: the plugin loads.
            assert_eq!(loaded.expect("loads").info().name, "prober");
            continue;
        }
        let err = loaded
            .err()
            .unwrap_or_else(|| panic!("describe `{mode}` loaded"));
        let text = err.to_string();
        // Before `describe` the plugin has no name of its own: its file
        // stands for it.
        assert!(
            text.starts_with(&format!(
                "plugin `{}` failed in `describe`: ",
                path.display()
            )),
            "{text}"
        );
        let expected = match mode {
            // `describe` runs under the default limits (64 MiB, 500 ms):
            // the plugin's own are not known before it is loaded.
            "loop" => "ran longer than its 500 ms deadline",
            "alloc" => "more than its 64 MiB memory limit",
            _ => "prober: asked to trap",
        };
        assert!(text.contains(expected), "describe `{mode}`: {text}");
    }
}

#[test]
fn stdout_is_discarded_and_stderr_kept_only_as_a_bounded_tail() {
    // Many times more than the 64 KiB kept of stderr: every write is taken,
    // none fails, the plugin keeps serving.
    for stream in ["stdout", "stderr"] {
        let mut guest = prober(&format!(r#"{{"process": "{stream}-flood"}}"#));
        for _ in 0..20 {
            let probes = probed(&mut guest);
            assert_eq!(get(&probes, stream), "wrote 1048576 bytes", "{stream}");
        }
    }
    // What a failing plugin wrote last is in its failure, cut short.
    let mut guest = prober(r#"{"process": "stderr-then-trap"}"#);
    let Processed { failure, .. } = guest.process(batches::logs_batch(3));
    let Some(Failure::Trap { message }) = failure else {
        panic!("expected a trap, got {failure:?}");
    };
    assert!(
        message.contains("prober: trapping after a flood of stderr"),
        "{message}"
    );
    assert!(message.len() < 4096, "{} bytes", message.len());
}

#[test]
fn wasi_handles_are_capped_and_the_batch_always_has_room() {
    // One handle opened and never closed per batch: the instance traps
    // when it has opened all it may, and its replacement serves on.
    let plugin = load(guests::PROBER);
    let mut guest = plugin
        .instantiate(options(r#"{"process": "leak"}"#))
        .unwrap();
    let mut first_failure = None;
    for n in 0..weir::plugin::MAX_GUEST_RESOURCES + 10 {
        if let Some(failure) = guest.process(batches::logs_batch(1)).failure {
            first_failure = Some((n, failure));
            break;
        }
    }
    let (n, failure) = first_failure.expect("the leaking plugin hits the cap");
    assert!(
        n + 10 > weir::plugin::MAX_GUEST_RESOURCES,
        "after {n} batches"
    );
    assert!(
        matches!(&failure, Failure::Trap { message } if message.contains("resource table")),
        "{failure:?}"
    );
    assert!(
        guest.process(batches::logs_batch(1)).failure.is_none(),
        "serves on"
    );

    // `init` opening all it can leaves room for the batch all the same.
    let cap = weir::plugin::MAX_GUEST_RESOURCES;
    let mut started = 0;
    for leak in cap - 8..=cap {
        let config = format!(r#"{{"init": "leak", "init_leak": {leak}}}"#);
        match plugin.instantiate(options(&config)) {
            Ok(mut guest) => {
                started += 1;
                let Processed { failure, .. } = guest.process(batches::logs_batch(2));
                assert_eq!(failure, None, "init leaked {leak}");
            }
            Err(err) => assert!(err.to_string().contains("resource table"), "{err}"),
        }
    }
    assert!(started > 0, "some leak below the cap starts");
}

/// The plugin's log budget is the plugin's, not each instance's: two
/// instances (two workers) flooding together get one budget.
#[test]
fn log_lines_beyond_the_budget_are_dropped_and_counted_per_plugin() {
    let plugin: Arc<Plugin> = load(guests::PROBER);
    let config = r#"{"process": "log-flood", "lines": 1000}"#;
    let mut a = plugin.instantiate(options(config)).unwrap();
    let mut b = plugin.instantiate(options(config)).unwrap();
    let started = std::time::Instant::now();
    for guest in [&mut a, &mut b] {
        let Processed { failure, .. } = guest.process(batches::logs_batch(1));
        assert_eq!(failure, None);
    }
    // At most 100 lines pass per second (window) begun while they ran.
    let windows = started.elapsed().as_secs() + 1;
    let passed_at_most = (100 * windows).min(2000);
    let dropped = plugin.stats().snapshot().log_lines_dropped;
    assert!(
        dropped >= 2000 - passed_at_most,
        "{dropped} of 2000 dropped over {windows} one-second windows"
    );
}

#[test]
fn set_otlp_cannot_grow_a_batch_into_weirs_memory() {
    // 8 MiB of empty log records (4 million index entries) for a batch of
    // three records: refused with the reason, and the batch is as it was.
    let mut guest = prober(r#"{"process": "otlp-bomb", "bomb_mib": 8}"#);
    let probes = probed(&mut guest);
    let answer = get(&probes, "set_otlp");
    assert!(
        answer.contains("set-otlp refused") && answer.contains("at most"),
        "{answer}"
    );
    // Within the allowance (1 MiB against the 4 MiB floor) it is taken.
    let mut guest = prober(r#"{"process": "otlp-bomb", "bomb_mib": 1}"#);
    let Processed { routed, failure } = guest.process(batches::logs_batch(3));
    assert_eq!(failure, None);
    let kept = routed.keep.expect("the prober keeps the batch");
    assert!(kept.len() > 100_000, "{} records", kept.len());
}
