//! Write [weir](https://github.com/weir-dev/weir) plugins in Rust.
//!
//! A weir plugin is a WebAssembly component that filters, routes or
//! transforms batches of OpenTelemetry logs, metrics or traces. With this
//! crate a plugin is one [`Plugin`] implementation and one
//! [`export_plugin!`] line; the WebAssembly boundary stays out of sight.
//!
//! ```no_run
//! use weir_guest::{Batch, Config, Info, Outcome, Plugin, Severity, Signal};
//!
//! #[derive(serde::Deserialize)]
//! struct Settings { min_severity: Severity }
//!
//! struct SeverityFilter { min: u8 }
//!
//! impl Plugin for SeverityFilter {
//!     fn info() -> Info {
//!         Info::new("severity-filter", "Drops log records below a severity")
//!             .signals(&[Signal::Logs])
//!     }
//!     fn init(config: Config) -> Result<Self, String> {
//!         let settings: Settings = config.parse()?;
//!         Ok(SeverityFilter { min: settings.min_severity.number() })
//!     }
//!     fn process(&self, batch: &Batch) -> Result<Outcome, String> {
//!         // One call for the whole batch's severities.
//!         let severities = batch.severity_numbers();
//!         Ok(Outcome::keep_where(severities.iter().map(|&s| s >= self.min)))
//!     }
//! }
//!
//! weir_guest::export_plugin!(SeverityFilter);
//! ```
//!
//! The simplest plugin is one function over records: leave `process` out
//! and implement [`Plugin::record`], which answers a [`Decision`] per
//! record (keep, drop, route, or keep and copy to a route):
//!
//! ```no_run
//! use weir_guest::{Config, Decision, Info, Plugin, Record};
//!
//! struct DropHealthChecks;
//!
//! impl Plugin for DropHealthChecks {
//!     fn info() -> Info {
//!         Info::new("drop-health-checks", "Drops spans of /healthz requests")
//!     }
//!     fn init(_config: Config) -> Result<Self, String> {
//!         Ok(DropHealthChecks)
//!     }
//!     fn record(&self, record: Record<'_>) -> Result<Decision, String> {
//!         let path = record.attribute("url.path");
//!         Ok(match path.as_ref().and_then(|v| v.as_str()) {
//!             Some("/healthz") => Decision::Drop,
//!             _ => Decision::Keep,
//!         })
//!     }
//! }
//!
//! weir_guest::export_plugin!(DropHealthChecks);
//! ```
//!
//! Build it as a `cdylib` crate with
//! `cargo build --profile plugin --target wasm32-wasip2`, which writes
//! `target/wasm32-wasip2/plugin/<crate>.wasm`, and check the result with
//! `weir plugin check`. The `plugin` profile is the one weir's workspace
//! defines (release with full LTO, one codegen unit, stripped: small and
//! fast); a plugin built in its own workspace copies that
//! `[profile.plugin]` section into its `Cargo.toml`.
//!
//! **Speed.** Every call across the boundary costs tens of nanoseconds.
//! Prefer the column accessors ([`Batch::severity_numbers`],
//! [`Batch::names`], [`Batch::attribute_column`]) to per-record calls in a
//! loop; the record-by-record [`Plugin::record`] is convenient, and fine
//! for plugins that are not on a hot path.

#![deny(missing_docs)]

mod batch;
mod config;
mod export;
pub mod log;
mod outcome;
mod plugin;
mod severity;
mod value;

/// Bindings generated from the weir WIT world. Not part of the API: use
/// the types re-exported at the crate root.
#[doc(hidden)]
#[allow(missing_docs)]
pub mod wit {
    wit_bindgen::generate!({
        path: "../wit",
        world: "plugin",
        pub_export_macro: true,
        export_macro_name: "__export_weir_plugin_world",
        default_bindings_module: "weir_guest::wit",
        additional_derives: [PartialEq],
        generate_all,
    });
}

pub use batch::{Batch, Record};
pub use config::Config;
pub use outcome::{Outcome, Router};
pub use plugin::{Decision, Info, Plugin};
pub use severity::Severity;
pub use wit::weir::plugin::types::{
    AttributesOf, KeyValue, MetricType, Number, Signal, SpanKind, StatusCode, Value,
};

#[doc(hidden)]
pub mod __private {
    pub use crate::export::{describe, init, process};
    pub use crate::wit::exports::weir::plugin::processor::{Guest, PluginInfo};
    pub use crate::wit::weir::plugin::types::{Batch as WitBatch, Outcome as WitOutcome};
}
