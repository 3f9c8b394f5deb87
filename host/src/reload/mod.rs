//! Hot reload: the plugins in the pipelines follow the files on disk
//! while data flows.
//!
//! ```text
//! file events ─▶ watch (debounce) ─▶ manager.reconcile ─▶ load (compile, check, instantiate) ─▶ publish chains ─▶ workers adopt between batches
//! ```
//!
//! [`wanted`] says which plugins belong where (configuration file, then
//! the plugin directory in file-name order, each with its sidecar
//! configuration); the [`PluginManager`] ([`manager`]) reconciles that
//! with what serves, has new and changed files loaded off the hot path
//! ([`load`], with [`incomplete`] telling a file still being written from
//! a broken one), and publishes each pipeline's chain as a
//! `ChainPlan` ([`publish`]); [`watch`] runs
//! it on file events on a thread of its own. [`status`] is what
//! `GET /plugins` and `weir plugin ls` show, written by [`rows`].
//! [`validate`] is `weir validate`'s use of the same pieces: every plugin
//! loaded and started once, nothing served.

mod incomplete;
mod load;
mod manager;
mod publish;
mod rows;
pub(crate) mod status;
mod validate;
mod wanted;
mod watch;

pub(crate) use manager::PluginManager;
pub(crate) use status::{PluginState, PluginsStatus, StatusBoard};
pub(crate) use validate::validate_plugins;
pub(crate) use wanted::Origin;
