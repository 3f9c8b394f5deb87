//! Misbehaving and wrong guests. Each failure is contained with a clear
//! error, the batch follows the failure policy, and the same instance goes
//! on serving the next batch.

use std::time::Duration;

use weir::otlp::Batch;
use weir::plugin::{
    DEAD_LETTER_ROUTE, Error, Failure, FailurePolicy, Instance, InstanceOptions, Processed,
};
use weir_tests::batches::{self, attr, log_records, string_attr};
use weir_tests::guests;

use crate::support::{instance_with, load, run_ok, runtime};

/// A batch whose first record asks the `misbehave` guest for `action`.
fn asking(action: &str) -> Batch {
    let mut req = batches::logs(20);
    req.resource_logs[0].scope_logs[0].log_records[0]
        .attributes
        .push(attr("test.action", action));
    req.into()
}

fn misbehave(policy: FailurePolicy) -> Instance {
    instance_with(
        guests::MISBEHAVE,
        InstanceOptions {
            memory_limit: 32 << 20,
            timeout: Duration::from_millis(200),
            on_failure: policy,
            ..InstanceOptions::default()
        },
    )
}

/// After any failure, a good batch must come through whole.
fn assert_still_serving(instance: &mut Instance) {
    let good = batches::logs_batch(50);
    let routed = run_ok(instance, good.clone());
    assert_eq!(routed.keep, Some(good), "the next batch is served");
}

fn fail(instance: &mut Instance, action: &str) -> (Batch, Processed) {
    let batch = asking(action);
    let processed = instance.process(batch.clone());
    (batch, processed)
}

#[test]
fn an_endless_loop_is_interrupted_at_the_deadline() {
    let mut guest = misbehave(FailurePolicy::Pass);
    let (batch, processed) = fail(&mut guest, "loop");
    assert_eq!(processed.failure, Some(Failure::Timeout { limit_ms: 200 }));
    assert_eq!(processed.routed.keep, Some(batch), "passed on unchanged");
    assert_still_serving(&mut guest);
    let stats = guest.plugin().stats().snapshot();
    assert_eq!((stats.failures_timeout, stats.restarts), (1, 1));
}

#[test]
fn a_memory_hog_hits_its_cap() {
    let mut guest = misbehave(FailurePolicy::Pass);
    let (batch, processed) = fail(&mut guest, "alloc");
    assert_eq!(
        processed.failure,
        Some(Failure::MemoryLimit { limit_mib: 32 })
    );
    assert_eq!(processed.routed.keep, Some(batch));
    assert_still_serving(&mut guest);
    assert_eq!(guest.plugin().stats().snapshot().failures_memory, 1);
}

#[test]
fn a_trap_reports_the_panic_message() {
    let mut guest = misbehave(FailurePolicy::Pass);
    let (_, processed) = fail(&mut guest, "trap");
    match processed.failure {
        Some(Failure::Trap { message }) => {
            assert!(message.contains("misbehave: asked to trap"), "{message}")
        }
        other => panic!("expected a trap, got {other:?}"),
    }
    assert_still_serving(&mut guest);
}

#[test]
fn a_returned_error_is_a_failure_that_keeps_the_instance() {
    let mut guest = misbehave(FailurePolicy::Pass);
    let (_, processed) = fail(&mut guest, "error");
    assert_eq!(
        processed.failure,
        Some(Failure::Error {
            message: "misbehave: asked to fail".to_string()
        })
    );
    assert_still_serving(&mut guest);
    assert_eq!(guest.plugin().stats().snapshot().restarts, 0);
}

#[test]
fn an_outcome_naming_missing_records_is_refused() {
    let mut guest = misbehave(FailurePolicy::Pass);
    let (batch, processed) = fail(&mut guest, "bad-index");
    match processed.failure {
        Some(Failure::InvalidOutcome { message }) => {
            assert!(message.contains("out of range"), "{message}")
        }
        other => panic!("expected an invalid outcome, got {other:?}"),
    }
    assert_eq!(processed.routed.keep, Some(batch));
    assert_still_serving(&mut guest);
}

#[test]
fn changes_made_before_a_trap_are_undone() {
    let mut guest = misbehave(FailurePolicy::Pass);
    let (batch, processed) = fail(&mut guest, "mutate-then-trap");
    assert!(matches!(processed.failure, Some(Failure::Trap { .. })));
    let kept = processed.routed.keep.expect("passed on");
    assert_eq!(kept, batch, "the batch is exactly as it arrived");
    assert_eq!(
        string_attr(&log_records(&kept)[0].attributes, "mutated"),
        None
    );
}

#[test]
fn dead_letter_policy_sends_the_failed_batch_to_the_dead_letter_route() {
    let mut guest = misbehave(FailurePolicy::DeadLetter);
    for action in ["trap", "loop", "error", "mutate-then-trap"] {
        let (batch, processed) = fail(&mut guest, action);
        assert!(processed.failure.is_some(), "{action}");
        assert_eq!(processed.routed.keep, None, "{action}");
        assert_eq!(
            processed.routed.routes,
            vec![(DEAD_LETTER_ROUTE.to_string(), batch)],
            "{action}"
        );
        assert_still_serving(&mut guest);
    }
}

#[test]
fn a_plugin_refusing_its_config_is_not_loaded() {
    let err = load(guests::MISBEHAVE)
        .instantiate(InstanceOptions {
            config: r#"{"action": "init-fail"}"#.to_string(),
            ..InstanceOptions::default()
        })
        .err()
        .expect("init refuses");
    assert!(
        matches!(&err, Error::Init { plugin, .. } if plugin == "misbehave"),
        "{err}"
    );
    assert!(err.to_string().contains("misbehave: init refused"), "{err}");
}

#[test]
fn a_component_of_another_world_is_refused_by_name() {
    let err = runtime().load(guests::WRONG_WORLD.as_ref()).unwrap_err();
    assert!(matches!(err, Error::WrongWorld { .. }), "{err}");
    let text = err.to_string();
    assert!(text.contains("weir:plugin/processor@0.1.0"), "{text}");
    assert!(
        text.contains("run"),
        "names what it exports instead: {text}"
    );
}

#[test]
fn a_component_for_a_newer_world_version_says_so() {
    let err = runtime().load(guests::FUTURE_VERSION.as_ref()).unwrap_err();
    assert!(matches!(err, Error::WrongVersion { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("weir:plugin/processor@0.2.0") && text.contains("0.1.0"),
        "{text}"
    );
}

#[test]
fn a_file_that_is_not_webassembly_is_refused() {
    let err = runtime().load_bytes(b"{\"resourceLogs\": []}").unwrap_err();
    assert!(matches!(err, Error::NotWasm), "{err}");
    assert!(err.to_string().contains("not a WebAssembly file"));
}

#[test]
fn a_core_module_is_refused_as_not_a_component() {
    // The smallest valid core module: magic, version 1, layer 0.
    let err = runtime().load_bytes(b"\0asm\x01\0\0\0").unwrap_err();
    assert!(matches!(err, Error::CoreModule), "{err}");
    assert!(err.to_string().contains("not a component"));
}

#[test]
fn a_truncated_component_fails_to_compile_with_a_reason() {
    let bytes = std::fs::read(guests::NOOP).unwrap();
    let err = runtime().load_bytes(&bytes[..bytes.len() / 2]).unwrap_err();
    assert!(matches!(err, Error::Wasmtime { .. }), "{err}");
    assert!(
        err.to_string()
            .starts_with("the component does not compile"),
        "{err}"
    );
}

#[test]
fn a_plugin_gets_no_filesystem_environment_network_or_clock() {
    let mut guest = misbehave(FailurePolicy::Pass);
    let routed = run_ok(&mut guest, asking("escape"));
    let kept = routed.keep.expect("escape keeps the batch");
    let attrs = &log_records(&kept)[0].attributes;
    let file = string_attr(attrs, "escape.file").unwrap();
    assert!(file.starts_with("denied"), "filesystem: {file}");
    assert_eq!(string_attr(attrs, "escape.env"), Some("0 variables"));
    let net = string_attr(attrs, "escape.net").unwrap();
    assert!(net.starts_with("denied"), "network: {net}");
    assert_eq!(
        string_attr(attrs, "escape.clock"),
        Some("1704067200"),
        "clocks are frozen at 2024-01-01T00:00:00Z"
    );
}
