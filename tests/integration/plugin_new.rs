//! `weir plugin new` for each language: the project it makes builds with
//! its own `build.sh` and passes `weir plugin run` on its own sample batch
//! and configuration, as generated.
//!
//! Rust needs the wasm32-wasip2 target; the other languages the toolchains
//! of `scripts/plugin-toolchains.sh install` (which `scripts/test.sh`
//! runs). A build that fails says how to install them.

use std::path::Path;
use std::process::Command;

use crate::support::run_weir;

/// Makes, builds and runs a new `lang` project; returns the run's summary.
fn new_project_runs(lang: &str) {
    let dir = tempfile::tempdir().unwrap();
    let name = format!("new-{lang}");
    let made = run_weir(&[
        "plugin",
        "new",
        "--lang",
        lang,
        &name,
        "--into",
        dir.path().to_str().unwrap(),
    ]);
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let project = dir.path().join(&name);

    let mut build = Command::new("bash");
    build.arg(project.join("build.sh"));
    if lang == "rust" {
        // The shared target directory keeps the SDK's dependencies built
        // between runs.
        if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
            build.env("CARGO_TARGET_DIR", Path::new(&target).join("plugin-new"));
        }
    }
    let built = build.output().expect("run bash");
    assert!(
        built.status.success(),
        "{lang} project does not build; install the toolchains with \
         `bash scripts/plugin-toolchains.sh install` (Rust: `rustup target add wasm32-wasip2`):\n{}\n{}",
        String::from_utf8_lossy(&built.stdout),
        String::from_utf8_lossy(&built.stderr)
    );

    let path = |file: &str| project.join(file).to_str().unwrap().to_string();
    let ran = run_weir(&[
        "plugin",
        "run",
        &path(&format!("{name}.wasm")),
        "--input",
        &path("sample.json"),
        "--config",
        &path("config.yaml"),
        "--compact",
    ]);
    assert!(
        ran.status.success(),
        "{}",
        String::from_utf8_lossy(&ran.stderr)
    );
    let out: serde_json::Value = serde_json::from_slice(&ran.stdout).unwrap();
    let summary = &out["summary"];
    assert_eq!(summary["plugin"], name.as_str());
    // The sample has one record per severity; `min_severity: WARN` keeps
    // WARN, ERROR and FATAL.
    assert_eq!(
        (summary["kept"].as_u64(), summary["dropped"].as_u64()),
        (Some(3), Some(3))
    );
}

#[test]
fn a_new_rust_plugin_builds_and_runs() {
    new_project_runs("rust");
}

#[test]
fn a_new_python_plugin_builds_and_runs() {
    new_project_runs("python");
}

#[test]
fn a_new_js_plugin_builds_and_runs() {
    new_project_runs("js");
}

#[test]
fn a_new_c_plugin_builds_and_runs() {
    new_project_runs("c");
}

#[test]
fn a_new_go_plugin_builds_and_runs() {
    new_project_runs("go");
}

#[test]
fn an_existing_directory_or_a_bad_name_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let into = dir.path().to_str().unwrap();
    std::fs::create_dir(dir.path().join("taken")).unwrap();
    let out = run_weir(&["plugin", "new", "--lang", "c", "taken", "--into", into]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
    let out = run_weir(&["plugin", "new", "--lang", "c", "../escape", "--into", into]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid plugin name"));
}
