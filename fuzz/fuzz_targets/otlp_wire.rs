//! The validating pass over OTLP protobuf requests: accepts exactly what
//! prost accepts, its column accessors answer what the decoded request
//! holds, and a spliced subset re-validates to what decode → retain gives
//! (weir::fuzzing::otlp_wire).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| weir::fuzzing::otlp_wire::check(data));
