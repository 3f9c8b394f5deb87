//! The Kafka receiver's message decode (otlp_proto and otlp_json) with
//! header extraction and dead-letter headers: each extracted header lands
//! once on every resource, records unchanged (weir::fuzzing::kafka_message).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| weir::fuzzing::kafka_message::check(data));
