//! The manager's plugins as status rows: at start-up and after every
//! reconcile, one [`PluginStatus`] per wanted plugin, configuration-file
//! plugins first, goes to the [`StatusBoard`](super::status::StatusBoard)
//! that `GET /plugins` and `weir plugin ls` read. The rows hold everything
//! but the live counters (batches, records, errors, restarts), which the
//! board reads from the serving version's stats when asked.

use crate::plugin::{WORLD_PACKAGE, WORLD_VERSION};

use super::manager::{PluginManager, pipelines_of};
use super::status::{CompiledReport, PluginState, PluginStatus, Row, ServingVersion};

impl PluginManager {
    /// Writes the status of every wanted plugin to the board.
    pub(super) fn update_board(&self) {
        let rows = self
            .wanted
            .plugins
            .iter()
            .map(|(id, wanted)| {
                let slot = self.slots.get(id);
                let serving = slot.and_then(|s| s.serving.as_ref());
                Row {
                    status: PluginStatus {
                        id: id.clone(),
                        origin: wanted.origin,
                        file: wanted.settings.path.display().to_string(),
                        state: if serving.is_some() {
                            PluginState::Serving
                        } else {
                            PluginState::Failed
                        },
                        pipelines: pipelines_of(&self.wanted, id)
                            .into_iter()
                            .map(|(p, _)| p)
                            .collect(),
                        serving: serving.map(|v| ServingVersion {
                            name: v.plugin.info().name.clone(),
                            version: v.plugin.info().version.clone(),
                            content_hash: v.plugin.content_hash().to_string(),
                            world: format!("{WORLD_PACKAGE}@{WORLD_VERSION}"),
                            loaded_at: humantime::format_rfc3339_millis(v.loaded_at).to_string(),
                            reload_latency_ms: v.latency.map(|l| l.as_secs_f64() * 1e3),
                            compiled: v.plugin.compilation().map(|c| CompiledReport {
                                ms: c.seconds * 1e3,
                                functions_reused: c.functions_reused,
                                functions_compiled: c.functions_compiled,
                            }),
                            batches: 0,
                            records: 0,
                            errors: 0,
                            restarts: 0,
                            log_lines_dropped: 0,
                        }),
                        reloads: slot.map_or(0, |s| s.reloads),
                        last_failure: slot.and_then(|s| s.last_failure.clone()),
                    },
                    stats: serving.map(|v| v.plugin.stats().clone()),
                }
            })
            .collect();
        let directory = self
            .config()
            .plugin_directory
            .as_ref()
            .map(|d| d.display().to_string());
        self.board.set(directory, rows);
    }
}
