//! The checks the fuzz targets (`fuzz/`) run, one module per decoder of
//! outside input, kept in the crate so that they call the daemon's own
//! entry points (several are crate-private) and so that a normal
//! `cargo test` replays the checked-in corpus and crash reproducers
//! (`replay`) without cargo-fuzz or a nightly compiler.
//!
//! Each check takes the fuzzer's raw bytes, runs the real decoder and
//! asserts an invariant beyond "does not crash" (see each module); a
//! failed invariant panics, which libFuzzer reports as a crash.
//!
//! Compiled only for tests and with the `fuzzing` feature: the daemon
//! never carries it.

pub mod config_yaml;
pub mod decompress;
pub mod kafka_message;
pub mod otlp_json;
pub mod otlp_wire;
pub mod plugin_precheck;

#[cfg(test)]
mod replay;
#[cfg(test)]
mod seeds;

use prost::Message;

use crate::otlp::{
    ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest, Payload,
    Signal,
};

/// A target's check: the fuzzer's bytes in, a panic on a broken invariant.
pub type Check = fn(&[u8]);

/// The fuzz targets by name (the file names under `fuzz/fuzz_targets/`
/// and the folders under `fuzz/corpus/`), with their checks.
pub const TARGETS: [(&str, Check); 6] = [
    ("otlp_wire", otlp_wire::check),
    ("otlp_json", otlp_json::check),
    ("decompress", decompress::check),
    ("kafka_message", kafka_message::check),
    ("config_yaml", config_yaml::check),
    ("plugin_precheck", plugin_precheck::check),
];

/// The signal a leading byte picks.
fn signal_of(byte: u8) -> Signal {
    Signal::ALL[usize::from(byte) % Signal::ALL.len()]
}

/// A full prost decode: the reference the byte path is held to.
fn prost_decode(signal: Signal, bytes: &[u8]) -> Result<Payload, prost::DecodeError> {
    Ok(match signal {
        Signal::Logs => Payload::Logs(ExportLogsServiceRequest::decode(bytes)?),
        Signal::Metrics => Payload::Metrics(ExportMetricsServiceRequest::decode(bytes)?),
        Signal::Traces => Payload::Traces(ExportTraceServiceRequest::decode(bytes)?),
    })
}

/// prost's encoding of a request. Requests are compared by it rather than
/// by `==`, because a decoded NaN double is not equal to itself.
fn encode(payload: &Payload) -> Vec<u8> {
    match payload {
        Payload::Logs(r) => r.encode_to_vec(),
        Payload::Metrics(r) => r.encode_to_vec(),
        Payload::Traces(r) => r.encode_to_vec(),
    }
}
