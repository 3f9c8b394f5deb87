//! Hot reload: the plugins in the pipelines follow the files on disk
//! while data flows.
//!
//! ```text
//! file events ─▶ watch (debounce) ─▶ manager.reconcile ─▶ load, check, instantiate ─▶ publish plans ─▶ workers adopt between batches
//! ```
//!
//! [`wanted`] says which plugins belong where (configuration file, then
//! the plugin directory in file-name order, each with its sidecar
//! configuration); the [`PluginManager`] loads new and changed files off
//! the hot path and publishes each pipeline's chain as a
//! [`ChainPlan`](crate::pipeline::ChainPlan); [`watch`] runs it on file
//! events; [`status`] is what `GET /plugins` and `weir plugin ls` show.

mod check;
mod incomplete;
mod manager;
pub mod status;
mod wanted;
mod watch;

pub use check::{PluginCheck, check_plugins};
pub use manager::{PluginManager, REMOVAL_GRACE, SETTLE};
pub use status::{PluginsStatus, StatusBoard};
pub use wanted::Origin;
pub use watch::Watching;
