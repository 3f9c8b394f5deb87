//! `plugin-langs-bench`: the severity filter in each plugin language side
//! by side: file size, first load (compile, no on-disk cache), making an
//! instance (instantiate + `init`), and the cost of one batch of 1,000
//! logs, with the Rust build as the reference. Prints a Markdown table.
//!
//! Run after `bash scripts/build-plugins.sh` (which writes the other
//! languages' builds): `cargo run -p weir-tests --bin plugin-langs-bench`
//! (`-- --batches N` for more samples). Wall-clock times on whatever else
//! the machine is doing: run it on a quiet one.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use weir::plugin::{InstanceOptions, Runtime, RuntimeOptions};
use weir_tests::{batches, guests};

const CONFIG: &str = r#"{"min_severity": "WARN"}"#;
const INSTANCES: usize = 20;

fn lang_plugins_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("WEIR_LANG_PLUGINS") {
        return dir.into();
    }
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"))
        .join("lang-plugins")
}

fn main() {
    let batches_per_lang: usize = std::env::args()
        .skip_while(|a| a != "--batches")
        .nth(1)
        .map(|n| n.parse().expect("--batches N"))
        .unwrap_or(200);
    let dir = lang_plugins_dir();
    let plugins = [
        ("Rust", PathBuf::from(guests::SEVERITY_FILTER)),
        ("C", dir.join("c/severity-filter.wasm")),
        ("Go", dir.join("go/severity-filter.wasm")),
        ("JavaScript", dir.join("js/severity-filter.wasm")),
        ("Python", dir.join("python/severity-filter.wasm")),
    ];
    let batch = batches::logs_batch(1_000);
    println!(
        "| language | .wasm | first load | instantiate + init | per batch of 1,000 logs | vs Rust |"
    );
    println!("|---|---|---|---|---|---|");
    let mut rust_batch = None;
    for (lang, path) in plugins {
        if !path.exists() {
            println!("| {lang} | not built: run `bash scripts/build-plugins.sh` | | | | |");
            continue;
        }
        let size = std::fs::metadata(&path).unwrap().len();
        // A fresh runtime without the on-disk cache: the first load compiles.
        let runtime = Runtime::new(RuntimeOptions::default()).unwrap();
        let started = Instant::now();
        let plugin = Arc::new(runtime.load(&path).expect("load"));
        let load = started.elapsed().as_secs_f64();

        let options = InstanceOptions {
            config: CONFIG.to_string(),
            ..InstanceOptions::default()
        };
        let started = Instant::now();
        for _ in 0..INSTANCES {
            drop(plugin.instantiate(options.clone()).expect("instantiate"));
        }
        let instantiate = started.elapsed().as_secs_f64() / INSTANCES as f64;

        let mut instance = plugin.instantiate(options).unwrap();
        for _ in 0..10 {
            instance.process(batch.clone());
        }
        let started = Instant::now();
        for _ in 0..batches_per_lang {
            let processed = instance.process(batch.clone());
            assert!(
                processed.failure.is_none(),
                "{lang}: {:?}",
                processed.failure
            );
        }
        let per_batch = started.elapsed().as_secs_f64() / batches_per_lang as f64;
        let reference = *rust_batch.get_or_insert(per_batch);
        println!(
            "| {lang} | {} KiB | {load:.2} s | {:.2} ms | {:.1} µs | {:.1}× |",
            size / 1024,
            instantiate * 1e3,
            per_batch * 1e6,
            per_batch / reference
        );
    }
}
