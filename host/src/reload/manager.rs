//! The plugin manager: keeps one serving version per wanted plugin and
//! the pipelines' chains in step with the files.
//!
//! [`PluginManager::reconcile`] compares what is wanted now (configuration
//! plus plugin directory, from [`wanted`](super::wanted)) with what serves,
//! and has each plugin's file looked at ([`load`](super::load)): one whose
//! content and configuration are unchanged is left alone; a new or changed
//! one is loaded in full before any chain changes; one that fails leaves
//! its previous version serving, and one that may still be being written
//! is looked at again later rather than reported. Only once every plugin
//! has been looked at are the chains published, if anything changed
//! ([`publish`](super::publish)), and the status rows written
//! ([`rows`](super::rows)). A plugin whose file leaves the plugin
//! directory stays in the chains for [`REMOVAL_GRACE`], in case the file is
//! coming back under the same name.

use std::sync::Arc;
use std::time::{Duration, Instant};

use indexmap::IndexMap;

use crate::config::Config;
use crate::otlp::Signal;
use crate::pipeline::ChainSource;
use crate::plugin::Runtime;
use crate::telemetry::metrics::{Metrics, ReloadLabels};

use super::load::{Attempt, Loader, SETTLE, Version, VersionKey};
use super::status::{ReloadFailure, StatusBoard};
use super::wanted::{WantedSet, wanted};

/// How long a plugin whose file vanished from the plugin directory stays
/// in the chains, in case the file comes back (an editor moving the old
/// file away before writing the new one, a `mv` out and a `cp` in).
const REMOVAL_GRACE: Duration = Duration::from_secs(1);

/// A plugin's serving version and reload history.
#[derive(Default)]
pub(super) struct Slot {
    pub(super) serving: Option<Version>,
    /// Times a new version went live.
    pub(super) reloads: u64,
    pub(super) last_failure: Option<ReloadFailure>,
    /// The version whose failure was reported, so the same bytes are not
    /// compiled again on every event in the directory.
    pub(super) failed: Option<VersionKey>,
    /// Since when its file has been missing from the plugin directory.
    missing_since: Option<Instant>,
}

/// Loads plugins and publishes pipeline chains; see the module docs.
pub struct PluginManager {
    /// The configuration, with absolute paths.
    config: Config,
    loader: Loader,
    pub(super) metrics: Arc<Metrics>,
    pub(super) board: StatusBoard,
    /// Pipeline id → where its workers find its chain.
    pub(super) sources: IndexMap<String, ChainSource>,
    /// What was wanted at the last reconcile.
    pub(super) wanted: WantedSet,
    /// Plugin id → its serving version and history, in the order the
    /// plugins were first wanted.
    pub(super) slots: IndexMap<String, Slot>,
}

impl PluginManager {
    /// Loads every plugin `config` and its plugin directory name, with
    /// `workers` instances per pipeline. Any plugin that fails to load is
    /// an error: the daemon does not start with a chain other than the
    /// one asked for. The manager keeps `board` up to date.
    pub fn start(
        config: &Config,
        runtime: Runtime,
        workers: usize,
        metrics: Arc<Metrics>,
        board: StatusBoard,
    ) -> anyhow::Result<PluginManager> {
        let mut manager = PluginManager {
            config: absolute_paths(config),
            loader: Loader::new(runtime, workers),
            metrics,
            board,
            sources: IndexMap::new(),
            wanted: WantedSet::default(),
            slots: IndexMap::new(),
        };
        let wanted = wanted(&manager.config)?;
        for (id, plugin) in &wanted.plugins {
            let pipelines = pipelines_of(&wanted, id);
            let mut slot = Slot::default();
            match manager
                .loader
                .attempt(&slot, plugin, &pipelines, Duration::ZERO)
            {
                Attempt::Loaded(version) => slot.serving = Some(version),
                Attempt::Failed(failure, _) => {
                    anyhow::bail!(
                        "processor {id} ({}): {}",
                        plugin.settings.path.display(),
                        failure.error
                    )
                }
                Attempt::Unchanged | Attempt::Wait(_) | Attempt::Vanished => {
                    anyhow::bail!(
                        "processor {id}: {} disappeared while loading",
                        plugin.settings.path.display()
                    )
                }
            }
            manager.slots.insert(id.clone(), slot);
        }
        for chain in &wanted.chains {
            let stages = manager.stages_of(&chain.pipeline, &chain.plugins);
            manager
                .sources
                .insert(chain.pipeline.clone(), ChainSource::new(stages));
        }
        manager.wanted = wanted;
        manager.update_board();
        Ok(manager)
    }

    /// Pipeline `id`'s chain source.
    pub fn source(&self, pipeline: &str) -> Option<ChainSource> {
        self.sources.get(pipeline).cloned()
    }

    /// The configuration, with absolute paths.
    pub(super) fn config(&self) -> &Config {
        &self.config
    }

    /// Brings the chains in line with the files now; returns when to look
    /// again for files that may still be being written.
    pub fn reconcile(&mut self) -> Option<Instant> {
        let wanted = match wanted(&self.config) {
            Ok(wanted) => wanted,
            Err(error) => {
                tracing::warn!(%error, "cannot read the plugin directory; plugins unchanged");
                return Some(Instant::now() + SETTLE);
            }
        };
        let mut wanted = wanted;
        let mut recheck: Option<Instant> = None;
        let now = Instant::now();
        for (id, slot) in &mut self.slots {
            if wanted.plugins.contains_key(id) {
                slot.missing_since = None;
                continue;
            }
            if slot.serving.is_none() {
                continue;
            }
            let until = *slot.missing_since.get_or_insert(now) + REMOVAL_GRACE;
            if now < until {
                wanted.keep_vanished(&self.wanted, id);
                recheck = Some(recheck.map_or(until, |r| r.min(until)));
            }
        }
        let mut went_live = Vec::new();
        for (id, plugin) in &wanted.plugins {
            let pipelines = pipelines_of(&wanted, id);
            let slot = self.slots.get(id.as_str());
            let empty = Slot::default();
            let attempt = self
                .loader
                .attempt(slot.unwrap_or(&empty), plugin, &pipelines, SETTLE);
            let slot = self.slots.entry(id.clone()).or_default();
            match attempt {
                Attempt::Unchanged | Attempt::Vanished => {}
                Attempt::Wait(at) => {
                    tracing::debug!(plugin = %id, "plugin file incomplete; waiting for the rest");
                    recheck = Some(recheck.map_or(at, |r| r.min(at)));
                }
                Attempt::Loaded(version) => {
                    slot.serving = Some(version);
                    slot.failed = None;
                    went_live.push(id.clone());
                }
                Attempt::Failed(failure, key) => {
                    let keeps = if slot.serving.is_some() {
                        "the previous version keeps serving"
                    } else {
                        "the plugin is not in the chain"
                    };
                    tracing::warn!(plugin = %id, file = %plugin.settings.path.display(),
                        error = %failure.error, "plugin reload failed; {keeps}");
                    self.metrics
                        .plugin_reloads
                        .get_or_create(&ReloadLabels {
                            plugin: id.clone(),
                            result: "failed",
                        })
                        .inc();
                    slot.last_failure = Some(failure);
                    slot.failed = key;
                }
            }
        }
        let removed: Vec<String> = self
            .slots
            .keys()
            .filter(|id| !wanted.plugins.contains_key(id.as_str()))
            .cloned()
            .collect();
        for id in &removed {
            self.slots.shift_remove(id);
            tracing::info!(plugin = %id, "plugin file removed; plugin left the chain");
            self.metrics
                .plugin_reloads
                .get_or_create(&ReloadLabels {
                    plugin: id.clone(),
                    result: "removed",
                })
                .inc();
        }
        let chains_changed = wanted.chains != self.wanted.chains;
        self.wanted = wanted;
        if !went_live.is_empty() || !removed.is_empty() || chains_changed {
            self.publish(&went_live);
        }
        self.update_board();
        recheck
    }
}

/// The pipelines (and their signals) whose chains hold plugin `id`.
pub(super) fn pipelines_of(wanted: &WantedSet, id: &str) -> Vec<(String, Signal)> {
    wanted
        .chains
        .iter()
        .filter(|c| c.plugins.iter().any(|p| p == id))
        .map(|c| (c.pipeline.clone(), c.signal))
        .collect()
}

/// `config` with the plugin directory and plugin paths made absolute, so
/// that they compare equal to the paths file events name.
fn absolute_paths(config: &Config) -> Config {
    let absolute = |p: &std::path::Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let mut config = config.clone();
    config.plugin_directory = config.plugin_directory.as_deref().map(absolute);
    for pipeline in &mut config.pipelines {
        for plugin in &mut pipeline.plugins {
            plugin.settings.path = absolute(&plugin.settings.path);
        }
    }
    config
}
