//! Finding the `weir` binary that `cargo test` built beside the tests.

use std::path::PathBuf;
use std::process::{Command, Output};

/// The `weir` binary of this build (`target/<profile>/weir`).
///
/// The tests live in their own crate, so cargo does not hand them the
/// binary's path; it is where cargo puts it, one level above the test
/// executable's `deps/` directory. `cargo test --workspace` builds it.
pub fn weir_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("test executable sits in target/<profile>/deps");
    let binary = profile_dir.join("weir");
    assert!(
        binary.exists(),
        "{} does not exist: build it with `cargo build -p weir` (or run the whole \
         suite with `cargo test --workspace`, which builds it)",
        binary.display()
    );
    binary
}

/// Runs `weir` with `args` and a private compiled-plugin cache.
pub fn run_weir(args: &[&str]) -> Output {
    let cache = std::env::temp_dir().join(format!("weir-test-cache-{}", std::process::id()));
    Command::new(weir_binary())
        .args(args)
        .env("WEIR_CACHE_DIR", cache)
        .output()
        .expect("run weir")
}
