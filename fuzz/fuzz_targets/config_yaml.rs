//! Configuration parse + resolve, as `weir validate` runs it: never
//! panics, and a refusal names what is wrong (weir::fuzzing::config_yaml).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| weir::fuzzing::config_yaml::check(data));
