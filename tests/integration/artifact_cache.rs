//! The on-disk cache of compiled plugins: a second load of the same file
//! skips compilation, and a damaged entry is replaced, not trusted.

use weir::plugin::{Runtime, RuntimeOptions};
use weir_tests::guests;

fn cached_runtime(dir: &std::path::Path) -> Runtime {
    Runtime::new(RuntimeOptions {
        cache_dir: Some(dir.to_path_buf()),
    })
    .unwrap()
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
