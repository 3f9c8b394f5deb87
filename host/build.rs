//! Lays out the `weir` executable's code so that what runs under load sits
//! together.
//!
//! The kernel maps code 64 KiB at a time around each page that faults in,
//! so the ~900 functions the daemon runs while carrying load, scattered
//! over 38 MB of code, kept ~7 MiB of it resident (issue 19's memory floor
//! is 20 MiB in all). `hot-functions.txt` lists them, hottest first
//! (`scripts/hot-functions.sh` writes it from an exact count of the
//! functions executed); lld places them first and in that order. Names it
//! no longer finds (symbol hashes change as the code does) are skipped
//! without a warning: the list is a layout hint, never a reason to fail a
//! build.
//!
//! Only for release builds of the x86_64 Linux target, whose default linker
//! is lld (Rust 1.90 on); `WEIR_NO_CODE_ORDER=1` turns it off, for a build
//! set to link with another linker.

use std::path::Path;

fn main() {
    println!("cargo::rerun-if-changed=hot-functions.txt");
    println!("cargo::rerun-if-env-changed=WEIR_NO_CODE_ORDER");
    let target = std::env::var("TARGET").unwrap_or_default();
    let release = std::env::var("PROFILE").is_ok_and(|profile| profile == "release");
    let turned_off = std::env::var_os("WEIR_NO_CODE_ORDER").is_some_and(|v| v != "0");
    if target != "x86_64-unknown-linux-gnu" || !release || turned_off {
        return;
    }
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let list = Path::new(&manifest_dir).join("hot-functions.txt");
    if !list.is_file() {
        return;
    }
    println!(
        "cargo::rustc-link-arg-bin=weir=-Wl,--symbol-ordering-file={}",
        list.display()
    );
    println!("cargo::rustc-link-arg-bin=weir=-Wl,--no-warn-symbol-ordering");
}
