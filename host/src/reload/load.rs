//! Loading a plugin's file off the hot path: one look at the file, and
//! either a new version ready to publish or a verdict on why there is none.
//!
//! [`Loader::attempt`] reads the file, keys it by content hash,
//! configuration and settings ([`VersionKey`]), and stops there if the key
//! is the serving version's or the last failed one's (a `touch`, an editor
//! saving without a change, an event for another file). A new key is
//! compiled (or fetched from the cache), checked against the world, and
//! given one initialised instance per worker of every pipeline it joins —
//! all on the reload thread, never on a pipeline worker. A failure of a
//! file written less than [`SETTLE`] ago, or of one cut short mid-section
//! and written less than [`TRUNCATED_GRACE`] ago, is a [`Attempt::Wait`]:
//! the file is probably still being written.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use sha2::{Digest, Sha256};

use crate::config::{OnFailure, WasmProcessor};
use crate::otlp::Signal;
use crate::pipeline::Stage;
use crate::plugin::{
    Error as PluginError, FailurePolicy, InstanceOptions, Plugin, Runtime, read_plugin_file,
};
use crate::telemetry::metrics::PluginLabels;

use super::incomplete::looks_truncated;
use super::manager::Slot;
use super::status::ReloadFailure;
use super::wanted::{Origin, Wanted};

/// How long after its last write a file that fails to load is taken to be
/// complete, and its failure reported.
pub(super) const SETTLE: Duration = Duration::from_secs(1);

/// How long a file that ends inside a section (a copy in progress, most
/// likely) is waited for after its last write before its failure is
/// reported.
const TRUNCATED_GRACE: Duration = Duration::from_secs(3);

/// What identifies a version: the file's content and everything it is
/// instantiated with.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct VersionKey {
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
pub(super) struct Version {
    key: VersionKey,
    pub(super) plugin: Arc<Plugin>,
    /// Pipeline id → the stage this version holds there.
    pub(super) stages: HashMap<String, Arc<Stage>>,
    /// When it went live (when it was loaded, until it is published).
    pub(super) loaded_at: SystemTime,
    /// From the file's last write to going live; none for start-up.
    pub(super) latency: Option<Duration>,
}

/// What one look at a plugin's file came to.
pub(super) enum Attempt {
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

/// Compiles plugins and prepares their instances.
pub(super) struct Loader {
    runtime: Runtime,
    /// Instances per pipeline: one per worker.
    workers: usize,
}

impl Loader {
    pub(super) fn new(runtime: Runtime, workers: usize) -> Loader {
        Loader { runtime, workers }
    }

    /// Looks at plugin `wanted`'s file and loads it if it changed since
    /// `slot`'s serving (or last failed) version, for `pipelines`.
    /// Failures younger than `settle` (or of a file cut short) wait.
    pub(super) fn attempt(
        &self,
        slot: &Slot,
        wanted: &Wanted,
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
        match self.load(&wanted.id, path, &bytes, &key, config, pipelines) {
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
        path: &Path,
        bytes: &[u8],
        key: &VersionKey,
        config: String,
        pipelines: &[(String, Signal)],
    ) -> anyhow::Result<Version> {
        let plugin = Arc::new(self.runtime.load_bytes_from(bytes, path)?);
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
}

/// How instances of a plugin with `settings` and `config` are made.
pub(super) fn instance_options(settings: &WasmProcessor, config: String) -> InstanceOptions {
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

/// When the file last changed: its modification time, or its status
/// change time if later — a file renamed into place (`mv`, an editor's
/// save) keeps the mtime of when it was written elsewhere, but its ctime
/// is the rename.
pub(super) fn last_write(path: &Path) -> Option<SystemTime> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(path).ok()?;
    let changed = u64::try_from(meta.ctime())
        .ok()
        .map(|s| SystemTime::UNIX_EPOCH + Duration::new(s, meta.ctime_nsec() as u32));
    meta.modified().ok().max(changed)
}

/// The latest modification time of the plugin's sidecar files.
pub(super) fn sidecar_write(wasm: &Path) -> Option<SystemTime> {
    ["yaml", "yml", "json"]
        .iter()
        .filter_map(|ext| last_write(&wasm.with_extension(ext)))
        .max()
}
