//! The OTLP/JSON request decoder: an accepted request re-encodes to
//! protobuf the validating pass takes, with the same records, and survives
//! a JSON round trip (weir::fuzzing::otlp_json).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| weir::fuzzing::otlp_json::check(data));
