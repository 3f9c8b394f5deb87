//! Publishing: handing each pipeline its new chain once every version in
//! it is loaded, and recording what went live.
//!
//! A chain is the serving stages of its plugins, in the order
//! [`wanted`](super::wanted) gives; it is stored into the pipeline's
//! [`ChainSource`](crate::pipeline::ChainSource) whole, and each worker
//! adopts it between batches. A version counts as live from that moment:
//! its reload latency (file's last write to live), the `loaded` reload
//! counter and the log line are taken then, not when it finished loading.

use std::sync::Arc;
use std::time::SystemTime;

use crate::pipeline::Stage;
use crate::telemetry::metrics::ReloadLabels;

use super::load::{last_write, sidecar_write};
use super::manager::PluginManager;

impl PluginManager {
    /// Publishes every pipeline's chain as the slots have it now, then
    /// records that the versions of `went_live` are live.
    pub(super) fn publish(&mut self, went_live: &[String]) {
        for chain in &self.wanted.chains {
            let stages = self.stages_of(&chain.pipeline, &chain.plugins);
            if let Some(source) = self.sources.get(&chain.pipeline) {
                source.publish(stages);
            }
        }
        let now = SystemTime::now();
        for id in went_live {
            self.went_live(id, now);
        }
    }

    /// The serving stages of `plugins` in `pipeline`, in order.
    pub(super) fn stages_of(&self, pipeline: &str, plugins: &[String]) -> Vec<Arc<Stage>> {
        plugins
            .iter()
            .filter_map(|id| self.slots.get(id)?.serving.as_ref())
            .filter_map(|v| v.stages.get(pipeline).cloned())
            .collect()
    }

    /// Records that plugin `id`'s new version was published at `now`.
    fn went_live(&mut self, id: &str, now: SystemTime) {
        let Some(slot) = self.slots.get_mut(id) else {
            return;
        };
        let Some(version) = &mut slot.serving else {
            return;
        };
        slot.reloads += 1;
        let written = self
            .wanted
            .plugins
            .get(id)
            .and_then(|w| last_write(&w.settings.path).max(sidecar_write(&w.settings.path)));
        let latency = written.and_then(|w| now.duration_since(w).ok());
        version.loaded_at = now;
        version.latency = latency;
        if let Some(latency) = latency {
            self.metrics
                .plugin_reload_seconds
                .observe(latency.as_secs_f64());
        }
        self.metrics
            .plugin_reloads
            .get_or_create(&ReloadLabels {
                plugin: id.to_string(),
                result: "loaded",
            })
            .inc();
        let compilation = version.plugin.compilation();
        tracing::info!(plugin = %id, name = %version.plugin.info().name,
            version = %version.plugin.info().version,
            content_hash = %&version.plugin.content_hash()[..12],
            from_cache = version.plugin.from_cache(),
            compile_ms = compilation.map(|c| c.seconds * 1e3),
            functions_reused = compilation.map(|c| c.functions_reused),
            functions_compiled = compilation.map(|c| c.functions_compiled),
            function_cache_mib = compilation.map(|c| c.function_cache_bytes >> 20),
            latency_ms = latency.map(|l| l.as_secs_f64() * 1e3),
            "plugin version live");
    }
}
