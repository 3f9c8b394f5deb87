//! gzip / zstd / identity body decompression under the receivers' size
//! cap: output never exceeds the cap, the cap is exact, a bomb stops at it
//! (weir::fuzzing::decompress).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| weir::fuzzing::decompress::check(data));
