//! Generates `FUNCTIONS` distinct functions and a table that reaches them
//! all, so the optimiser keeps every one: code the size of a real, large
//! plugin (a language runtime, a parser library) for compile-time
//! measurements.
//!
//! Every function ends by multiplying with [`SALT`], a constant whose
//! WebAssembly encoding is always 10 bytes long (it lies in 2^62..2^63), so
//! a benchmark can patch it in the binary — in one function or in all — to
//! make a new version whose code really changed, without rebuilding.

use std::fmt::Write;

const FUNCTIONS: u64 = 15000;
/// Odd, and in 2^62..2^63: the same 10-byte signed LEB128 in every function.
const SALT: u64 = 0x5EED_0000_0000_0001;

fn main() {
    let mut code = String::new();
    for i in 0..FUNCTIONS {
        let (a, b, c) = (i * 2654435761 % 1000003, i * 40503 % 65521, i % 31 + 2);
        writeln!(
            code,
            "#[inline(never)] fn f{i}(x: u64) -> u64 {{ \
             let mut y = x ^ {a}; \
             for k in 0..(x % {c} + 1) {{ y = y.rotate_left((k % 63) as u32 + 1).wrapping_mul({b} | 1) ^ (y >> {c}); \
             if y % {c} == 0 {{ y = y.wrapping_add({a}); }} else {{ y ^= {b}; }} }} \
             y.wrapping_mul({SALT:#x}) }}"
        )
        .unwrap();
    }
    write!(
        code,
        "pub(crate) static TABLE: [fn(u64) -> u64; {FUNCTIONS}] = ["
    )
    .unwrap();
    for i in 0..FUNCTIONS {
        write!(code, "f{i},").unwrap();
    }
    code.push_str("];\n");
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("generated.rs");
    std::fs::write(out, code).unwrap();
}
