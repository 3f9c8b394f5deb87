//! Lays out the `weir` executable's code so that what runs under load sits
//! together.
//!
//! The kernel maps code 64 KiB at a time around each page that faults in,
//! so the ~900 functions the daemon runs while carrying load, scattered
//! over 38 MB of code, kept ~7 MiB of it resident (issue 19's memory floor
//! is 20 MiB in all). `hot-functions.txt` lists them, hottest first
//! (`scripts/hot-functions.sh` writes it from an exact count of the
//! functions executed). From it this writes a linker script that gathers
//! their sections (each function has its own, `.text.<symbol>`) into one
//! output section in front of the rest of the code, in the list's order.
//!
//! A script with wildcards, not only lld's `--symbol-ordering-file` (used
//! alone until now): that file matches names exactly, and ThinLTO gives each function
//! it shares between code units a `.llvm.<hash>` suffix whose hash changes
//! with any edit of the code around it — one small edit of the splice
//! renamed 100 of the 935 listed functions, which silently kept their
//! scattered places (and the daemon ran measurably slower) until the list
//! was regenerated. The script's patterns match a name with any such
//! suffix. A name found nowhere (a function renamed or gone) matches
//! nothing: the list is a layout hint, never a reason to fail a build.
//!
//! Only for release builds of the x86_64 Linux target, whose default linker
//! is lld (Rust 1.90 on), which applies a script of `INSERT` commands on
//! top of its default layout; `WEIR_NO_CODE_ORDER=1` turns it off, for a
//! build set to link with another linker.

use std::fmt::Write;
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
    let list_path = Path::new(&manifest_dir).join("hot-functions.txt");
    let Ok(list) = std::fs::read_to_string(&list_path) else {
        return;
    };
    let list_path = list_path.display();
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let script = Path::new(&out_dir).join("hot-functions.ld");
    std::fs::write(&script, linker_script(&list)).expect("OUT_DIR is writable");
    println!("cargo::rustc-link-arg-bin=weir=-Wl,-T,{}", script.display());
    // The list by exact name too: it orders, at the front of `.text`, the
    // few listed functions whose section the script cannot name (42 of
    // 935 in the first build with the script, std's precompiled code
    // among them), and orders nothing the script has placed differently.
    println!("cargo::rustc-link-arg-bin=weir=-Wl,--symbol-ordering-file={list_path}");
    println!("cargo::rustc-link-arg-bin=weir=-Wl,--no-warn-symbol-ordering");
}

/// The linker script placing the listed functions' sections, in order, in
/// an output section `.text.hot` right before `.text`.
fn linker_script(list: &str) -> String {
    let mut script = String::from(
        "/* Written by host/build.rs from host/hot-functions.txt. */\n\
         SECTIONS\n{\n  .text.hot : {\n",
    );
    let names = list
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(without_lto_suffix)
        // Mangled Rust and C names are made of these; anything else (a
        // space, a quote, a wildcard) would change the script's meaning.
        .filter(|name| {
            name.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_$.".contains(&b))
        });
    for name in names {
        // Each function's own section, under its name or the name with a
        // ThinLTO suffix.
        writeln!(script, "    *(.text.{name} .text.{name}.llvm.*)").expect("a String takes writes");
    }
    script.push_str("  }\n}\nINSERT BEFORE .text;\n");
    script
}

/// `name` without the `.llvm.<digits>` suffix ThinLTO adds, if it has one.
fn without_lto_suffix(name: &str) -> &str {
    match name.rsplit_once(".llvm.") {
        Some((bare, hash)) if !hash.is_empty() && hash.bytes().all(|b| b.is_ascii_digit()) => bare,
        _ => name,
    }
}
