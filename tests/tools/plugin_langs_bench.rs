//! `plugin-langs-bench`: the severity filter in each plugin language side
//! by side: file size, first load (compile, no on-disk cache), making an
//! instance (instantiate + `init`), and the cost of one batch of 1,000
//! logs, with the Rust build as the reference. Prints a Markdown table.
//!
//! A second table is what instances cost, as the daemon makes them (one
//! per worker, each initialised and then running batches): the memory the
//! loaded plugin holds, what each of `--instances N` (default 8) instances
//! adds after one batch, and the time to make one (instantiate + init),
//! for a plugin compiled in the process (a first start, or `--no-cache`)
//! and for one loaded from the on-disk cache (every later start). Each is
//! measured in a child process of its own (`--measure`), from
//! `/proc/self/smaps_rollup`, with mimalloc as the allocator as in `weir`.
//! `--memory-only` prints only this table.
//!
//! Run after `bash scripts/build-plugins.sh` (which writes the other
//! languages' builds): `cargo run -p weir-tests --bin plugin-langs-bench`
//! (`-- --batches N` for more samples). Wall-clock times on whatever else
//! the machine is doing: run it on a quiet one.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use weir::otlp::Batch;
use weir::plugin::{InstanceOptions, Runtime, RuntimeOptions};
use weir_tests::{batches, guests};

// As in `weir` (host/src/main.rs), so that memory is measured as it is there.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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

/// The value of `--name N`, or `default`.
fn arg(name: &str, default: usize) -> usize {
    std::env::args()
        .skip_while(|a| a != name)
        .nth(1)
        .map(|n| n.parse().unwrap_or_else(|_| panic!("{name} N")))
        .unwrap_or(default)
}

fn main() {
    let batches_per_lang = arg("--batches", 200);
    let instances = arg("--instances", 8);
    let value = |name: &str| std::env::args().skip_while(|a| a != name).nth(1);
    if let Some(path) = value("--measure") {
        measure(
            Path::new(&path),
            value("--cache-dir").map(PathBuf::from),
            instances,
        );
        return;
    }
    let dir = lang_plugins_dir();
    let plugins = [
        ("Rust", PathBuf::from(guests::SEVERITY_FILTER)),
        ("C", dir.join("c/severity-filter.wasm")),
        ("Go", dir.join("go/severity-filter.wasm")),
        ("JavaScript", dir.join("js/severity-filter.wasm")),
        ("Python", dir.join("python/severity-filter.wasm")),
    ];
    let batch = batches::logs_batch(1_000);
    if !std::env::args().any(|a| a == "--memory-only") {
        speed_table(&plugins, &batch, batches_per_lang);
        println!();
    }
    memory_table(&plugins, instances);
}

fn speed_table(plugins: &[(&str, PathBuf)], batch: &Batch, batches_per_lang: usize) {
    println!(
        "| language | .wasm | first load | instantiate + init | per batch of 1,000 logs | vs Rust |"
    );
    println!("|---|---|---|---|---|---|");
    let mut rust_batch = None;
    for (lang, path) in plugins {
        let lang = *lang;
        if !path.exists() {
            println!("| {lang} | not built: run `bash scripts/build-plugins.sh` | | | | |");
            continue;
        }
        let size = std::fs::metadata(path).unwrap().len();
        // A fresh runtime without the on-disk cache: the first load compiles.
        let runtime = Runtime::new(RuntimeOptions::default()).unwrap();
        let started = Instant::now();
        let plugin = Arc::new(runtime.load(path).expect("load"));
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

/// Memory of this process, in bytes, from `/proc/self/smaps_rollup`:
/// resident (`Rss`, which counts a page once per mapping of it) and the
/// proportional set size (`Pss`, which counts each physical page once,
/// shared ones divided among their mappings: what the instances really
/// take).
#[derive(Clone, Copy, Default)]
struct Memory {
    rss: i64,
    pss: i64,
    pss_anon: i64,
    pss_file: i64,
    pss_shmem: i64,
}

impl Memory {
    fn now() -> Memory {
        let rollup = std::fs::read_to_string("/proc/self/smaps_rollup")
            .expect("read /proc/self/smaps_rollup (Linux)");
        let field = |name: &str| -> i64 {
            rollup
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<i64>().ok())
                .map(|kib| kib * 1024)
                .unwrap_or_else(|| panic!("no {name} in /proc/self/smaps_rollup"))
        };
        Memory {
            rss: field("Rss:"),
            pss: field("Pss:"),
            pss_anon: field("Pss_Anon:"),
            pss_file: field("Pss_File:"),
            pss_shmem: field("Pss_Shmem:"),
        }
    }

    /// `self - before`, divided by `n`.
    fn per(&self, before: Memory, n: usize) -> Memory {
        let n = n as i64;
        Memory {
            rss: (self.rss - before.rss) / n,
            pss: (self.pss - before.pss) / n,
            pss_anon: (self.pss_anon - before.pss_anon) / n,
            pss_file: (self.pss_file - before.pss_file) / n,
            pss_shmem: (self.pss_shmem - before.pss_shmem) / n,
        }
    }

    fn show(&self) -> String {
        let mib = |bytes: i64| format!("{:.1}", bytes as f64 / (1 << 20) as f64);
        format!(
            "{} MiB ({} anon, {} file, {} memfd; RSS {})",
            mib(self.pss),
            mib(self.pss_anon),
            mib(self.pss_file),
            mib(self.pss_shmem),
            mib(self.rss)
        )
    }
}

/// `--measure PATH [--cache-dir DIR] --instances N`: loads the plugin,
/// makes N instances, runs one batch through each, and prints what the
/// loaded plugin and each instance took, and the seconds to make one (run
/// in a process of its own, so that nothing measured before is counted).
fn measure(path: &Path, cache_dir: Option<PathBuf>, n: usize) {
    let batch = batches::logs_batch(1_000);
    let runtime = Runtime::new(RuntimeOptions {
        cache_dir,
        cache_max_bytes: None,
    })
    .unwrap();
    let start = Memory::now();
    let plugin = Arc::new(runtime.load(path).expect("load"));
    let loaded = Memory::now();
    let options = InstanceOptions {
        config: CONFIG.to_string(),
        ..InstanceOptions::default()
    };
    let started = Instant::now();
    let mut live: Vec<_> = (0..n)
        .map(|_| plugin.instantiate(options.clone()).expect("instantiate"))
        .collect();
    let instantiate = started.elapsed().as_secs_f64() / n as f64;
    for instance in &mut live {
        let processed = instance.process(batch.clone());
        assert!(processed.failure.is_none(), "{:?}", processed.failure);
    }
    let after = Memory::now();
    println!(
        "{}\t{}\t{:.2} ms\t{}",
        loaded.per(start, 1).show(),
        after.per(loaded, n).show(),
        instantiate * 1e3,
        plugin.from_cache()
    );
}

/// One `--measure` run in a child process: its printed cells.
fn measured(path: &Path, cache_dir: &Path, n: usize) -> Vec<String> {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .arg("--measure")
        .arg(path)
        .arg("--cache-dir")
        .arg(cache_dir)
        .args(["--instances", &n.to_string()])
        .output()
        .expect("run plugin-langs-bench --measure");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = String::from_utf8(out.stdout).unwrap();
    line.trim().split('\t').map(String::from).collect()
}

fn memory_table(plugins: &[(&str, PathBuf)], n: usize) {
    println!(
        "| language | compiled in the process: plugin | per instance ({n} instances) \
         | instantiate + init | loaded from the cache file: plugin | per instance | instantiate + init |"
    );
    println!("|---|---|---|---|---|---|---|");
    let cache_dir = std::env::temp_dir().join(format!("weir-langs-bench-{}", std::process::id()));
    for (lang, path) in plugins {
        if !path.exists() {
            println!("| {lang} | not built | | | | | |");
            continue;
        }
        // The first run compiles (and fills the cache); the second reads
        // the cache entry.
        let compiled = measured(path, &cache_dir, n);
        let cached = measured(path, &cache_dir, n);
        assert_eq!(
            compiled[3], "false",
            "{lang}: the first load came from the cache"
        );
        assert_eq!(
            cached[3], "true",
            "{lang}: the second load did not use the cache"
        );
        println!(
            "| {lang} | {} | {} | {} | {} | {} | {} |",
            compiled[0], compiled[1], compiled[2], cached[0], cached[1], cached[2]
        );
    }
    let _ = std::fs::remove_dir_all(&cache_dir);
}
