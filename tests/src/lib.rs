//! What weir's integration tests and benchmarks share: the paths of the
//! wasm guests that `build.rs` builds, builders of realistic OTLP
//! batches, and distinct versions of plugin files for hot-reload tests.

pub mod batches;
pub mod plugin_files;

/// Paths of the example plugins and test guests, built for wasm32-wasip2
/// by `build.rs`.
pub mod guests {
    include!(concat!(env!("OUT_DIR"), "/guests.rs"));
}
