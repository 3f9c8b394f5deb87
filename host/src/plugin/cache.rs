//! On-disk cache of compiled plugins, so a restart does not recompile.
//!
//! An entry is keyed by the SHA-256 of the plugin's bytes and by a hash of
//! everything about the engine that affects compiled code (wasmtime's
//! version, target, settings). Entries are written to a temporary file and
//! renamed into place, so a crash never leaves a half-written artifact. A
//! compiled artifact is native code that wasmtime maps and runs, so the
//! directory must be private to weir: it is created with mode 0700, and an
//! entry that fails to load is discarded and the plugin recompiled.
//!
//! Hot reload writes a new entry for every version of a plugin, so the
//! directory is kept under a size budget: after each store the least
//! recently used entries (by modification time, which a load refreshes)
//! are removed until the rest fit.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use wasmtime::Engine;
use wasmtime::component::Component;

/// The default size budget of the cache directory.
pub(crate) const DEFAULT_MAX_BYTES: u64 = 1 << 30;

/// What a cache entry's file name ends with; anything else in the
/// directory is left alone.
const ENTRY_SUFFIX: &str = ".cwasm";

#[derive(Clone, Debug)]
pub(crate) struct ArtifactCache {
    dir: PathBuf,
    engine_key: String,
    max_bytes: u64,
}

impl ArtifactCache {
    pub(crate) fn new(dir: PathBuf, engine: &Engine, max_bytes: u64) -> ArtifactCache {
        // A fixed-key SipHash: stable across runs of one build. A different
        // toolchain may hash differently, which only costs a recompile.
        #[allow(deprecated)]
        let mut hasher = std::hash::SipHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        ArtifactCache {
            dir,
            engine_key: format!("{:016x}", hasher.finish()),
            max_bytes,
        }
    }

    fn entry(&self, content_hash: &str) -> PathBuf {
        self.dir
            .join(format!("{content_hash}-{}{ENTRY_SUFFIX}", self.engine_key))
    }

    /// The cached compilation of the plugin with this content hash, if any.
    pub(crate) fn load(&self, engine: &Engine, content_hash: &str) -> Option<Component> {
        let path = self.entry(content_hash);
        if !path.exists() {
            return None;
        }
        // SAFETY: the file was written by `store` below from wasmtime's own
        // serialisation into weir's private cache directory; wasmtime
        // checks its header against this engine before using it.
        match unsafe { Component::deserialize_file(engine, &path) } {
            Ok(component) => {
                mark_used(&path);
                Some(component)
            }
            Err(error) => {
                tracing::warn!(path = %path.display(), error = %format!("{error:#}"),
                    "discarding unusable compiled plugin from cache");
                let _ = std::fs::remove_file(&path);
                None
            }
        }
    }

    /// Saves a compiled plugin. Failure only costs a recompile next time,
    /// so it is logged, not returned.
    pub(crate) fn store(&self, content_hash: &str, component: &Component) {
        if let Err(error) = self.try_store(content_hash, component) {
            tracing::warn!(dir = %self.dir.display(), %error, "cannot cache compiled plugin");
        }
    }

    fn try_store(&self, content_hash: &str, component: &Component) -> anyhow::Result<()> {
        create_private_dir(&self.dir)?;
        let bytes = component.serialize().map_err(anyhow::Error::from)?;
        let mut tmp = tempfile::NamedTempFile::new_in(&self.dir)?;
        std::io::Write::write_all(&mut tmp, &bytes)?;
        let entry = self.entry(content_hash);
        tmp.persist(&entry)?;
        prune(&self.dir, self.max_bytes, &entry)?;
        Ok(())
    }
}

/// Refreshes an entry's modification time, the recency [`prune`] goes by.
/// Failing only makes the entry look older than it is.
fn mark_used(path: &Path) {
    if let Ok(file) = std::fs::File::options().append(true).open(path) {
        let _ = file.set_modified(SystemTime::now());
    }
}

/// Removes the least recently used entries of `dir` until the rest fit in
/// `max_bytes`, never `keep` (the entry just written). Another weir sharing
/// the directory may be about to read an entry removed here; it then finds
/// it missing and recompiles, which is slow but correct.
fn prune(dir: &Path, max_bytes: u64, keep: &Path) -> std::io::Result<()> {
    let mut entries = Vec::new();
    for item in std::fs::read_dir(dir)? {
        let item = item?;
        if !item.file_name().to_string_lossy().ends_with(ENTRY_SUFFIX) {
            continue;
        }
        let Ok(meta) = item.metadata() else { continue };
        let used = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        entries.push((used, meta.len(), item.path()));
    }
    let mut total: u64 = entries.iter().map(|(_, len, _)| len).sum();
    entries.sort();
    for (_, len, path) in entries {
        if total <= max_bytes {
            break;
        }
        if path == keep {
            continue;
        }
        match std::fs::remove_file(&path) {
            Ok(()) => {
                tracing::debug!(path = %path.display(), "removed least recently used compiled plugin")
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        total -= len;
    }
    Ok(())
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}
