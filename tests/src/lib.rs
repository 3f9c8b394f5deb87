//! What weir's integration tests and benchmarks share: the paths of the
//! wasm guests that `build.rs` builds, builders of realistic OTLP batches,
//! and the way to find and run the `weir` binary.

pub mod batches;
pub mod binary;

/// Paths of the example plugins and test guests, built for wasm32-wasip2
/// by `build.rs`.
pub mod guests {
    include!(concat!(env!("OUT_DIR"), "/guests.rs"));
}
