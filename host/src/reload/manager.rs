//! The plugin manager: loads what is wanted, keeps one serving version per
//! plugin, and publishes each pipeline's chain.
//!
//! [`PluginManager::reconcile`] compares what is wanted now (configuration
//! plus plugin directory) with what serves. A file whose content hash and
//! configuration are unchanged is left alone (a `touch`, or an editor
//! saving without a change). A new or changed one is loaded in full —
//! compiled, checked against the world, and given ready, initialised
//! instances for every worker of every pipeline it joins — before any
//! chain changes; only then are the new plans published. A file that
//! fails leaves its previous version serving. A file that may still be
//! being written (written less than [`SETTLE`] ago, or cut short
//! mid-section and written less than [`TRUNCATED_GRACE`] ago) is retried
//! once it has settled rather than reported. A plugin whose file leaves the
//! plugin directory stays in the chains for [`REMOVAL_GRACE`], in case the
//! file is coming back under the same name.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use indexmap::IndexMap;
use sha2::{Digest, Sha256};

use crate::config::{Config, OnFailure, WasmProcessor};
use crate::otlp::Signal;
use crate::pipeline::{ChainSource, Stage};
use crate::plugin::{
    Error as PluginError, FailurePolicy, InstanceOptions, Plugin, Runtime, WORLD_PACKAGE,
    WORLD_VERSION, read_plugin_file,
};
use crate::telemetry::metrics::{Metrics, PluginLabels, ReloadLabels};

use super::incomplete::looks_truncated;
use super::status::{
    CompiledReport, PluginStatus, ReloadFailure, Row, ServingVersion, StatusBoard,
};
use super::wanted::{Origin, WantedSet, wanted};

/// How long after its last write a file that fails to load is taken to be
/// complete, and its failure reported.
pub const SETTLE: Duration = Duration::from_secs(1);

/// How long a file that ends inside a section (a copy in progress, most
/// likely) is waited for after its last write before its failure is
/// reported.
pub const TRUNCATED_GRACE: Duration = Duration::from_secs(3);

/// How long a plugin whose file vanished from the plugin directory stays
/// in the chains, in case the file comes back (an editor moving the old
/// file away before writing the new one, a `mv` out and a `cp` in).
pub const REMOVAL_GRACE: Duration = Duration::from_secs(1);

/// What identifies a version: the file's content and everything it is
/// instantiated with.
#[derive(Clone, Debug, PartialEq)]
struct VersionKey {
    content: Content,
    /// The plugin's configuration as JSON, or why its sidecar file could
    /// not be read (a failure keyed like any other, so that it is reported
    /// once, not on every event in the directory).
    config: Result<String, String>,
    settings: WasmProcessor,
}

/// What was found at a plugin's path. A file that could not be read is
/// keyed too, so that its failure is reported once, not on every event in
/// its directory.
#[derive(Clone, Debug, PartialEq)]
enum Content {
    /// SHA-256 of the file, hex.
    Sha256(String),
    /// A file the configuration names is not there.
    Missing,
    /// The file is over the size limit, at this many bytes.
    TooLarge(u64),
}

impl Content {
    fn sha256(&self) -> Option<&str> {
        match self {
            Content::Sha256(hash) => Some(hash),
            Content::Missing | Content::TooLarge(_) => None,
        }
    }
}

/// A loaded version, with its stages in the pipelines it joins.
struct Version {
    key: VersionKey,
    plugin: Arc<Plugin>,
    /// Pipeline id → the stage this version holds there.
    stages: HashMap<String, Arc<Stage>>,
    loaded_at: SystemTime,
    latency: Option<Duration>,
}

/// A plugin's serving version and reload history.
#[derive(Default)]
struct Slot {
    serving: Option<Version>,
    reloads: u64,
    last_failure: Option<ReloadFailure>,
    /// The version whose failure was reported, so the same bytes are not
    /// compiled again on every event in the directory.
    failed: Option<VersionKey>,
    /// Since when its file has been missing from the plugin directory.
    missing_since: Option<Instant>,
}

/// What one look at a plugin's file came to.
enum Attempt {
    /// Same content and configuration as the serving version (or as the
    /// last failed one).
    Unchanged,
    /// A new version, ready to publish.
    Loaded(Version),
    /// It failed, but may still be being written: look again then.
    Wait(Instant),
    /// It failed.
    Failed(ReloadFailure, Option<VersionKey>),
    /// The file disappeared while being looked at; the next event rescans.
    Vanished,
}

/// Loads plugins and publishes pipeline chains; see the module docs.
pub struct PluginManager {
    config: Config,
    runtime: Runtime,
    workers: usize,
    metrics: Arc<Metrics>,
    board: StatusBoard,
    sources: IndexMap<String, ChainSource>,
    wanted: WantedSet,
    slots: IndexMap<String, Slot>,
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
            runtime,
            workers,
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
            match manager.attempt(&slot, plugin, &pipelines, Duration::ZERO) {
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

    /// The status the manager keeps up to date.
    pub fn board(&self) -> StatusBoard {
        self.board.clone()
    }

    /// The configuration, with absolute paths.
    pub(crate) fn config(&self) -> &Config {
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
            let attempt = self.attempt(slot.unwrap_or(&empty), plugin, &pipelines, SETTLE);
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
            for chain in &self.wanted.chains {
                let stages = self.stages_of(&chain.pipeline, &chain.plugins);
                if let Some(source) = self.sources.get(&chain.pipeline) {
                    source.publish(stages);
                }
            }
            let now = SystemTime::now();
            for id in &went_live {
                self.went_live(id, now);
            }
        }
        self.update_board();
        recheck
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

    /// Looks at plugin `wanted`'s file and loads it if it changed.
    /// Failures younger than `settle` (or of a file cut short) wait.
    fn attempt(
        &self,
        slot: &Slot,
        wanted: &super::wanted::Wanted,
        pipelines: &[(String, Signal)],
        settle: Duration,
    ) -> Attempt {
        let path = &wanted.settings.path;
        let written = last_write(path);
        let settled_at = |written: Option<SystemTime>| -> Option<Instant> {
            let age = written.and_then(|w| SystemTime::now().duration_since(w).ok())?;
            (age < settle).then(|| Instant::now() + (settle - age))
        };
        let failed = |error: String, key: Option<VersionKey>| {
            Attempt::Failed(
                ReloadFailure {
                    at: humantime::format_rfc3339_millis(SystemTime::now()).to_string(),
                    content_hash: key
                        .as_ref()
                        .and_then(|k| k.content.sha256())
                        .map(str::to_string),
                    error,
                },
                key,
            )
        };
        let read = read_plugin_file(path);
        let content = match &read {
            Ok(bytes) => Content::Sha256(hex::encode(Sha256::digest(bytes))),
            Err(PluginError::Read { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                match wanted.origin {
                    Origin::Directory => return Attempt::Vanished,
                    Origin::Config => Content::Missing,
                }
            }
            Err(PluginError::TooLarge { size, .. }) => Content::TooLarge(*size),
            Err(e) => return failed(format!("cannot read {}: {e}", path.display()), None),
        };
        let key = VersionKey {
            content,
            config: wanted.config.clone(),
            settings: wanted.settings.clone(),
        };
        if slot.serving.as_ref().is_some_and(|v| v.key == key) || slot.failed.as_ref() == Some(&key)
        {
            return Attempt::Unchanged;
        }
        let bytes = match read {
            Ok(bytes) => bytes,
            Err(_) if key.content == Content::Missing => {
                return failed(
                    format!("{}: the file is missing", path.display()),
                    Some(key),
                );
            }
            Err(error) => return failed(error.to_string(), Some(key)),
        };
        let config = match &key.config {
            Ok(config) => config.clone(),
            Err(error) => {
                return match settled_at(sidecar_write(path)) {
                    Some(at) => Attempt::Wait(at),
                    None => failed(error.clone(), Some(key)),
                };
            }
        };
        match self.load(&wanted.id, &bytes, &key, config, pipelines) {
            Ok(version) => Attempt::Loaded(version),
            Err(error) => {
                let age = written
                    .max(sidecar_write(path))
                    .and_then(|w| SystemTime::now().duration_since(w).ok())
                    .unwrap_or_default();
                if settle > Duration::ZERO && looks_truncated(&bytes) && age < TRUNCATED_GRACE {
                    // Look again soon: the rest is probably coming.
                    return Attempt::Wait(Instant::now() + Duration::from_millis(250));
                }
                match settled_at(written.max(sidecar_write(path))) {
                    Some(at) => Attempt::Wait(at),
                    None => failed(format!("{error:#}"), Some(key)),
                }
            }
        }
    }

    /// Compiles (or fetches from the cache) and prepares a version: one
    /// initialised instance per worker of every pipeline whose signal the
    /// plugin wants.
    fn load(
        &self,
        id: &str,
        bytes: &[u8],
        key: &VersionKey,
        config: String,
        pipelines: &[(String, Signal)],
    ) -> anyhow::Result<Version> {
        let plugin = Arc::new(self.runtime.load_bytes(bytes)?);
        let options = instance_options(&key.settings, config);
        let mut stages = HashMap::new();
        for (pipeline, signal) in pipelines {
            if !plugin.info().wants(*signal) {
                continue;
            }
            let labels = PluginLabels {
                pipeline: pipeline.clone(),
                plugin: id.to_string(),
            };
            let stage = Stage::prepare(labels, plugin.clone(), options.clone(), self.workers)?;
            stages.insert(pipeline.clone(), Arc::new(stage));
        }
        Ok(Version {
            key: key.clone(),
            plugin,
            stages,
            loaded_at: SystemTime::now(),
            latency: None,
        })
    }

    /// The serving stages of `plugins` in `pipeline`, in order.
    fn stages_of(&self, pipeline: &str, plugins: &[String]) -> Vec<Arc<Stage>> {
        plugins
            .iter()
            .filter_map(|id| self.slots.get(id)?.serving.as_ref())
            .filter_map(|v| v.stages.get(pipeline).cloned())
            .collect()
    }

    fn update_board(&self) {
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
                            "serving"
                        } else {
                            "failed"
                        }
                        .into(),
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
                        }),
                        reloads: slot.map_or(0, |s| s.reloads),
                        last_failure: slot.and_then(|s| s.last_failure.clone()),
                    },
                    stats: serving.map(|v| v.plugin.stats().clone()),
                }
            })
            .collect();
        let directory = self
            .config
            .plugin_directory
            .as_ref()
            .map(|d| d.display().to_string());
        self.board.set(directory, rows);
    }
}

/// The pipelines (and their signals) whose chains hold plugin `id`.
fn pipelines_of(wanted: &WantedSet, id: &str) -> Vec<(String, Signal)> {
    wanted
        .chains
        .iter()
        .filter(|c| c.plugins.iter().any(|p| p == id))
        .map(|c| (c.pipeline.clone(), c.signal))
        .collect()
}

/// When the file last changed: its modification time, or its status
/// change time if later — a file renamed into place (`mv`, an editor's
/// save) keeps the mtime of when it was written elsewhere, but its ctime
/// is the rename.
fn last_write(path: &std::path::Path) -> Option<SystemTime> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(path).ok()?;
    let changed = u64::try_from(meta.ctime())
        .ok()
        .map(|s| SystemTime::UNIX_EPOCH + Duration::new(s, meta.ctime_nsec() as u32));
    meta.modified().ok().max(changed)
}

/// The latest modification time of the plugin's sidecar files.
fn sidecar_write(wasm: &std::path::Path) -> Option<SystemTime> {
    ["yaml", "yml", "json"]
        .iter()
        .filter_map(|ext| last_write(&wasm.with_extension(ext)))
        .max()
}

/// How instances of a plugin with `settings` and `config` are made.
pub(crate) fn instance_options(settings: &WasmProcessor, config: String) -> InstanceOptions {
    InstanceOptions {
        config,
        memory_limit: (settings.memory_limit_mib << 20) as usize,
        timeout: settings.timeout,
        on_failure: match settings.on_failure {
            OnFailure::Pass => FailurePolicy::Pass,
            OnFailure::DeadLetter => FailurePolicy::DeadLetter,
        },
        keep_dropped: false,
    }
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
