//! weir: a telemetry stream processor for OpenTelemetry data, extended with
//! WebAssembly components.
//!
//! The crate is laid out like the data flow: `receiver` takes OTLP in
//! over gRPC and HTTP, and from Kafka topics; `pipeline` batches it and
//! runs each pipeline's plugin chain with [`plugin`], which runs
//! WebAssembly plugins over batches of [`otlp`] data; `exporter` writes
//! the result out (files, OTLP endpoints, Kafka; `kafka` holds what the
//! Kafka exporter and receiver share);
//! `reload` keeps the chains' plugins in step with the files on disk.
//! `config` reads and resolves the configuration file, `daemon` wires
//! all of it together for `weir run`, `telemetry` serves weir's own
//! metrics, health and plugin status, `loadgen` is `weir gen`, and
//! [`cli`] is the command line that drives them. `ack` tells a receiver
//! when every exporter has a request's records; it sits below the
//! receivers, pipelines and exporters that pass it along. `auth` is
//! the `bearertokenauth` extension receivers check and exporters send.
//!
//! Only [`cli::main`], [`otlp`], [`plugin`] and [`loadgen`]'s sample
//! requests are used from outside the crate (by `main.rs` and the
//! integration tests and benchmarks). The
//! other modules are crate-private so that the compiler finds what nothing
//! uses; `config`, `pipeline` and `exporter` stay public until the unused
//! items that surfaces in them are gone.

pub(crate) mod ack;
mod allocator;
pub use allocator::use_small_pages;
pub(crate) mod auth;
pub mod cli;
pub(crate) mod config;
pub(crate) mod daemon;
pub(crate) mod exporter;
/// The checks the fuzz targets in `fuzz/` run (tests and the `fuzzing`
/// feature only).
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing;
pub(crate) mod kafka;
pub mod loadgen;
pub mod otlp;
pub(crate) mod pipeline;
pub mod plugin;
/// The S3 archive's settings, keys and objects, as `weir replay` reads them
/// (and the tests, which check what the `s3` exporter wrote).
pub mod archive {
    pub use crate::exporter::s3::*;
}
pub(crate) mod receiver;
pub(crate) mod reload;
pub(crate) mod replay;
pub(crate) mod telemetry;
