//! Replays every file under `fuzz/corpus/<target>/` — the seeds and the
//! reproducers of bugs the fuzzers found — through its target's check,
//! so a normal `cargo test` (stable, no cargo-fuzz) keeps the regressions.

use std::path::PathBuf;

use super::TARGETS;

fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    files
}

#[test]
fn every_fuzz_target_passes_its_checked_in_corpus() {
    let mut failed = Vec::new();
    for (target, check) in TARGETS {
        let files = corpus(target);
        assert!(
            files.len() >= 3,
            "fuzz/corpus/{target} has {} files; regenerate the seeds with \
             `cargo test -p weir --lib fuzzing::seeds -- --ignored`",
            files.len()
        );
        for file in files {
            let data = std::fs::read(&file).unwrap();
            if std::panic::catch_unwind(|| check(&data)).is_err() {
                failed.push(file.display().to_string());
            }
        }
    }
    assert!(failed.is_empty(), "failed: {failed:#?}");
}
