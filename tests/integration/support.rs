//! Helpers shared by the test modules: a runtime per test, plugin loading
//! with a config, and short ways to run a batch.

use std::sync::Arc;

use weir::otlp::Batch;
use weir::plugin::{Instance, InstanceOptions, Plugin, Processed, Runtime, RuntimeOptions};

/// A runtime without the on-disk cache, so tests do not share state.
pub fn runtime() -> Runtime {
    Runtime::new(RuntimeOptions::default()).expect("create runtime")
}

/// Loads the plugin at `path`.
pub fn load(path: &str) -> Arc<Plugin> {
    Arc::new(runtime().load(path.as_ref()).expect("load plugin"))
}

/// An instance of the plugin at `path` with a JSON config.
pub fn instance(path: &str, config: &str) -> Instance {
    instance_with(
        path,
        InstanceOptions {
            config: config.to_string(),
            ..InstanceOptions::default()
        },
    )
}

/// An instance of the plugin at `path` with `options`.
pub fn instance_with(path: &str, options: InstanceOptions) -> Instance {
    load(path).instantiate(options).expect("instantiate plugin")
}

/// Runs one batch and insists the plugin did not fail.
pub fn run_ok(instance: &mut Instance, batch: Batch) -> weir::plugin::Routed {
    let Processed { routed, failure } = instance.process(batch);
    assert_eq!(failure, None, "plugin failed");
    routed
}

/// Runs the `weir` binary with `args` and a private compiled-plugin cache.
///
/// Cargo builds `weir-under-test` (the host's `main.rs`, declared as a
/// binary of this package) for these tests, so they always run the binary
/// of the code under test.
pub fn run_weir(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_weir-under-test"))
        .args(args)
        .env("WEIR_CACHE_DIR", test_cache_dir())
        .output()
        .expect("run weir")
}

/// This test process's compiled-plugin cache: shared by its tests (a
/// plugin compiles once per run, not once per test), apart from other
/// runs'. Nothing runs when a test process exits, so each run removes the
/// caches of runs whose process is gone.
fn test_cache_dir() -> &'static std::path::Path {
    static DIR: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        const PREFIX: &str = "weir-test-cache-";
        let temp = std::env::temp_dir();
        for entry in std::fs::read_dir(&temp).into_iter().flatten().flatten() {
            let name = entry.file_name();
            let pid = name.to_str().and_then(|n| n.strip_prefix(PREFIX));
            if pid.is_some_and(|pid| !std::path::Path::new("/proc").join(pid).exists()) {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
        temp.join(format!("{PREFIX}{}", std::process::id()))
    })
}
