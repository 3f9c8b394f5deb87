//! The status of every plugin, as `GET /plugins` serves it and
//! `weir plugin ls` prints it: which version serves (content hash, world,
//! when it was loaded), how it is doing (batches, records, errors) and the
//! last reload that failed and why.

use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::plugin::PluginStats;

use super::wanted::Origin;

/// What `GET /plugins` answers.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct PluginsStatus {
    /// The plugin directory being watched, if any.
    pub directory: Option<String>,
    /// Every plugin wanted, in chain order.
    pub plugins: Vec<PluginStatus>,
}

/// One plugin.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PluginStatus {
    /// Processor id: `wasm/…` from the configuration file, `dir/…` from
    /// the plugin directory.
    pub id: String,
    /// Where its place and settings come from.
    pub origin: Origin,
    /// The plugin file.
    pub file: String,
    /// Whether a version serves.
    pub state: PluginState,
    /// Pipelines whose chain holds it.
    pub pipelines: Vec<String>,
    /// The serving version, if any.
    pub serving: Option<ServingVersion>,
    /// Times a new version of the file (or of its configuration) went
    /// live since start-up.
    pub reloads: u64,
    /// The most recent reload that failed, unless a later one succeeded.
    pub last_failure: Option<ReloadFailure>,
}

/// Whether a plugin has a version in the chains, as `GET /plugins` and
/// `weir plugin ls` spell it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PluginState {
    /// `serving`: a version is loaded and in the chains.
    Serving,
    /// `failed`: no version could be loaded yet.
    Failed,
}

impl PluginState {
    /// The name `GET /plugins` and `weir plugin ls` use.
    pub fn as_str(self) -> &'static str {
        match self {
            PluginState::Serving => "serving",
            PluginState::Failed => "failed",
        }
    }
}

impl std::fmt::Display for PluginState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The version that serves.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ServingVersion {
    /// The plugin's own name (from `describe`).
    pub name: String,
    /// The plugin's own version.
    pub version: String,
    /// SHA-256 of the file, hex.
    pub content_hash: String,
    /// The WIT world it was built against, e.g. `weir:plugin@0.1.0`.
    pub world: String,
    /// When it went live, RFC 3339.
    pub loaded_at: String,
    /// Milliseconds from the file's last write to this version serving;
    /// absent for versions loaded at start-up.
    pub reload_latency_ms: Option<f64>,
    /// How it was compiled; absent when it came from the on-disk cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compiled: Option<CompiledReport>,
    /// Batches it has processed (all workers and pipelines).
    pub batches: u64,
    /// Records in those batches.
    pub records: u64,
    /// Calls that failed (trap, timeout, memory, error, bad outcome).
    pub errors: u64,
    /// Instances re-created after a failure.
    pub restarts: u64,
    /// Lines the plugin logged beyond its budget (100 a second), not
    /// written to weir's log.
    #[serde(default)]
    pub log_lines_dropped: u64,
}

/// What compiling a version took.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CompiledReport {
    /// Milliseconds spent compiling.
    pub ms: f64,
    /// Functions whose compiled code was reused from an earlier version.
    pub functions_reused: u64,
    /// Functions compiled anew.
    pub functions_compiled: u64,
}

/// A reload that did not happen, and why.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ReloadFailure {
    /// When, RFC 3339.
    pub at: String,
    /// SHA-256 of the file that failed, if it could be read.
    pub content_hash: Option<String>,
    /// Why it failed.
    pub error: String,
}

/// A plugin's status as the reloader keeps it: everything but the live
/// counters, which are read when the status is asked for.
#[derive(Clone, Debug)]
pub(crate) struct Row {
    pub status: PluginStatus,
    pub stats: Option<Arc<PluginStats>>,
}

/// The status the reloader writes and the HTTP endpoint reads.
#[derive(Clone, Default)]
pub struct StatusBoard {
    inner: Arc<Mutex<(Option<String>, Vec<Row>)>>,
}

impl StatusBoard {
    pub(crate) fn set(&self, directory: Option<String>, rows: Vec<Row>) {
        *self.inner.lock().unwrap_or_else(|e| e.into_inner()) = (directory, rows);
    }

    /// The status now, with live counters.
    pub fn snapshot(&self) -> PluginsStatus {
        let guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let (directory, rows) = &*guard;
        PluginsStatus {
            directory: directory.clone(),
            plugins: rows
                .iter()
                .map(|row| {
                    let mut status = row.status.clone();
                    if let (Some(serving), Some(stats)) = (&mut status.serving, &row.stats) {
                        let s = stats.snapshot();
                        serving.batches = s.batches;
                        serving.records = s.records_in;
                        serving.errors = s.failures();
                        serving.restarts = s.restarts;
                        serving.log_lines_dropped = s.log_lines_dropped;
                    }
                    status
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `GET /plugins` and `weir plugin ls` spelled the state as a string
    /// before it was an enum; the spelling is what clients read.
    #[test]
    fn the_state_keeps_its_spelling() {
        for (state, name) in [
            (PluginState::Serving, "serving"),
            (PluginState::Failed, "failed"),
        ] {
            assert_eq!(
                serde_json::to_string(&state).unwrap(),
                format!("\"{name}\"")
            );
            assert_eq!(state.to_string(), name);
            let parsed: PluginState = serde_json::from_str(&format!("\"{name}\"")).unwrap();
            assert_eq!(parsed, state);
        }
    }
}
