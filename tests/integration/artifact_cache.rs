//! The compile caches. On disk: a second load of the same file skips
//! compilation, a damaged entry is replaced, not trusted, and the directory
//! stays within its budget, dropping the least recently used entries. In
//! memory: a rebuilt plugin reuses the compiled code of unchanged functions.

use std::path::{Path, PathBuf};

use weir::plugin::{Runtime, RuntimeOptions};
use weir_tests::{guests, plugin_files};

fn cached_runtime(dir: &Path) -> Runtime {
    cached_runtime_with_budget(dir, None)
}

fn cached_runtime_with_budget(dir: &Path, max_bytes: Option<u64>) -> Runtime {
    Runtime::new(RuntimeOptions {
        cache_dir: Some(dir.to_path_buf()),
        cache_max_bytes: max_bytes,
    })
    .unwrap()
}

fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    entries
}

fn size_of(dir: &Path) -> u64 {
    entries(dir)
        .iter()
        .map(|p| p.metadata().unwrap().len())
        .sum()
}

/// Loads `bytes` with a fresh runtime (as after a restart) on the cache in
/// `dir`; whether it came from the cache.
fn load_from(dir: &Path, max_bytes: u64, bytes: &[u8]) -> bool {
    cached_runtime_with_budget(dir, Some(max_bytes))
        .load_bytes(bytes)
        .unwrap()
        .from_cache()
}

#[test]
fn a_second_load_comes_from_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let first = cached_runtime(dir.path())
        .load(guests::NOOP.as_ref())
        .unwrap();
    assert!(!first.from_cache());
    // A new runtime, as after a restart.
    let second = cached_runtime(dir.path())
        .load(guests::NOOP.as_ref())
        .unwrap();
    assert!(second.from_cache());
    assert_eq!(first.content_hash(), second.content_hash());
    assert_eq!(first.info(), second.info());
}

#[test]
fn a_damaged_cache_entry_is_discarded_and_recompiled() {
    let dir = tempfile::tempdir().unwrap();
    cached_runtime(dir.path())
        .load(guests::NOOP.as_ref())
        .unwrap();
    let entries: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    std::fs::write(&entries[0], b"not a compiled artifact").unwrap();

    let reloaded = cached_runtime(dir.path())
        .load(guests::NOOP.as_ref())
        .unwrap();
    assert!(!reloaded.from_cache(), "the damaged entry was not used");
    // ...and was replaced by a good one.
    let again = cached_runtime(dir.path())
        .load(guests::NOOP.as_ref())
        .unwrap();
    assert!(again.from_cache());
}

#[test]
fn the_cache_directory_stays_within_its_budget() {
    let dir = tempfile::tempdir().unwrap();
    let versions: Vec<Vec<u8>> = (0..6)
        .map(|i| plugin_files::tagger("k", &format!("v{i}")))
        .collect();
    assert!(!load_from(dir.path(), u64::MAX, &versions[0]));
    let entry_size = size_of(dir.path());
    // Room for two and a half entries.
    let budget = entry_size * 5 / 2;
    for version in &versions[1..] {
        assert!(!load_from(dir.path(), budget, version));
        assert!(
            size_of(dir.path()) <= budget,
            "{} bytes in a cache of {budget}",
            size_of(dir.path())
        );
    }
    assert_eq!(entries(dir.path()).len(), 2);
    // The two newest are the ones kept.
    assert!(load_from(dir.path(), budget, &versions[5]));
    assert!(load_from(dir.path(), budget, &versions[4]));
    assert!(!load_from(dir.path(), budget, &versions[0]));
}

#[test]
fn the_least_recently_used_entry_goes_first() {
    let dir = tempfile::tempdir().unwrap();
    let [a, b, c] = ["a", "b", "c"].map(|tag| plugin_files::tagger("k", tag));
    assert!(!load_from(dir.path(), u64::MAX, &a));
    let budget = size_of(dir.path()) * 5 / 2;
    assert!(!load_from(dir.path(), budget, &b));
    // Modification times have a granularity; make the order unambiguous.
    std::thread::sleep(std::time::Duration::from_millis(20));
    // `a` is older than `b` but used again now...
    assert!(load_from(dir.path(), budget, &a));
    std::thread::sleep(std::time::Duration::from_millis(20));
    // ...so making room for `c` removes `b`.
    assert!(!load_from(dir.path(), budget, &c));
    assert!(load_from(dir.path(), budget, &a));
    assert!(load_from(dir.path(), budget, &c));
    assert!(!load_from(dir.path(), budget, &b));
}

#[test]
fn a_rebuilt_plugin_reuses_the_code_of_its_unchanged_functions() {
    let runtime = Runtime::new(RuntimeOptions::default()).unwrap();
    let first = runtime
        .load_bytes(&plugin_files::tagger("k", "first"))
        .unwrap()
        .compilation()
        .expect("compiled, there is no disk cache");
    assert!(first.functions_compiled > 10, "{first:?}");
    // Same code, other data: most of it is not compiled again. Not all:
    // cranelift's cache key for some functions differs from one compile to
    // the next (compiling the very same bytes a third time recompiled 12 to
    // 40 of these 280 functions, depending on how the compile threads
    // shared the work), so the bound leaves room for that. Without the
    // cache the second compile would reuse only what the first did, the
    // functions the plugin holds twice (~75 of 280).
    let second = runtime
        .load_bytes(&plugin_files::tagger("k", "second"))
        .unwrap()
        .compilation()
        .unwrap();
    assert_eq!(
        second.functions_reused + second.functions_compiled,
        first.functions_reused + first.functions_compiled,
        "{first:?} {second:?}"
    );
    assert!(
        second.functions_reused * 3 > (second.functions_reused + second.functions_compiled) * 2,
        "fewer than two thirds reused: {first:?} {second:?}"
    );
    // Another plugin shares little or nothing with the tagger.
    let noop = runtime
        .load(guests::NOOP.as_ref())
        .unwrap()
        .compilation()
        .unwrap();
    assert!(noop.functions_compiled > 0, "{noop:?}");
}

#[test]
fn a_plugin_compiled_into_the_cache_runs_from_its_file_even_once_removed() {
    // After a compile, weir runs the plugin from the cache entry it just
    // wrote (mapped, not copied). Pruning (another weir sharing the
    // directory, or the budget) may remove that file while the plugin is
    // loaded: its instances must still start and give the same result as
    // a plugin compiled without a cache.
    use std::sync::Arc;
    use weir::plugin::InstanceOptions;

    let dir = tempfile::tempdir().unwrap();
    let cache_dir = dir.path().join("cache");
    let mapped = Arc::new(
        cached_runtime(&cache_dir)
            .load(guests::REDACT.as_ref())
            .unwrap(),
    );
    assert!(!mapped.from_cache());
    assert_eq!(entries(&cache_dir).len(), 1);
    std::fs::remove_dir_all(&cache_dir).unwrap();
    let in_memory = Arc::new(
        Runtime::new(RuntimeOptions::default())
            .unwrap()
            .load(guests::REDACT.as_ref())
            .unwrap(),
    );
    let batch = weir_tests::batches::logs_batch(20);
    let options = InstanceOptions {
        config: r#"{"keys": ["url.path", "http.request.method"]}"#.to_string(),
        ..InstanceOptions::default()
    };
    let mut expected = in_memory.instantiate(options.clone()).unwrap();
    let expected = crate::support::run_ok(&mut expected, batch.clone()).keep;
    assert_ne!(expected.as_ref(), Some(&batch), "the config masks nothing");
    for _ in 0..3 {
        let mut instance = mapped.instantiate(options.clone()).unwrap();
        assert_eq!(
            crate::support::run_ok(&mut instance, batch.clone()).keep,
            expected
        );
    }
}
