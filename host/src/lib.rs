//! weir: a telemetry stream processor for OpenTelemetry data, extended with
//! WebAssembly components.
//!
//! The crate is laid out like the data flow: [`otlp`] is the data model,
//! [`config`] reads the configuration file, [`plugin`] runs WebAssembly
//! plugins over batches, [`reload`] keeps the pipelines' plugins in step
//! with the files on disk, and [`cli`] is the command line that drives
//! them.

mod allocator;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod exporter;
pub mod loadgen;
pub mod otlp;
pub mod pipeline;
pub mod plugin;
pub mod receiver;
pub mod reload;
pub mod telemetry;
