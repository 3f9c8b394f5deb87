//! The plugin runtime: the only part of weir that touches wasmtime.
//!
//! A plugin file goes through [`Runtime::load`]: its bytes are checked
//! (a WebAssembly component exporting `weir:plugin/processor@0.1.0` and
//! importing nothing weir lacks),
//! compiled once (or read back from the on-disk cache of compiled
//! artifacts), linked and pre-instantiated. The resulting [`Plugin`] is
//! shared; each worker makes its own [`Instance`] from it, which owns one
//! long-lived wasmtime store with a memory cap and a per-call deadline.
//! [`Instance::process`] hands a [`Batch`](crate::otlp::Batch) to the guest
//! as a host-owned resource, applies the guest's outcome and returns the
//! [`Routed`] result; a guest that traps, overruns or runs out of memory is
//! discarded and re-instantiated, and its batch follows the plugin's
//! [`FailurePolicy`].

mod batch_resource;
mod bindings;
mod cache;
pub(crate) mod check;
mod clocks;
mod convert;
mod engine;
mod error;
mod function_cache;
mod host_batch;
mod host_log;
pub(crate) mod imports;
mod instance;
pub(crate) mod loader;
mod outcome;
mod state;
mod stats;
mod stderr_tail;

pub use check::{ComponentReport, WORLD_PACKAGE, WORLD_VERSION};
pub use engine::{Runtime, RuntimeOptions};
pub use error::{Error, Failure, Result};
pub use instance::{FailurePolicy, Instance, InstanceOptions, Processed};
pub use loader::{Compilation, MAX_PLUGIN_FILE_BYTES, Plugin, PluginInfo, read_plugin_file};
pub use outcome::{DEAD_LETTER_ROUTE, Routed};
pub use state::MAX_GUEST_RESOURCES;
pub use stats::{PluginStats, StatsSnapshot};
