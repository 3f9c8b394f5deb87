//! The plugin-file checks before compiling (header, imports read with
//! wasmparser): what passes is a component importing only what weir
//! provides (weir::fuzzing::plugin_precheck).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| weir::fuzzing::plugin_precheck::check(data));
