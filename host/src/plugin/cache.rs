//! On-disk cache of compiled plugins, so a restart does not recompile.
//!
//! An entry is keyed by the SHA-256 of the plugin's bytes and by a hash of
//! everything about the engine that affects compiled code (wasmtime's
//! version, target, settings). Entries are written to a temporary file and
//! renamed into place, so a crash never leaves a half-written artifact. A
//! compiled artifact is native code that wasmtime maps and runs, so the
//! directory must be private to weir: it is created with mode 0700, and an
//! entry that fails to load is discarded and the plugin recompiled.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use wasmtime::Engine;
use wasmtime::component::Component;

#[derive(Clone, Debug)]
pub(crate) struct ArtifactCache {
    dir: PathBuf,
    engine_key: String,
}

impl ArtifactCache {
    pub(crate) fn new(dir: PathBuf, engine: &Engine) -> ArtifactCache {
        // A fixed-key SipHash: stable across runs of one build. A different
        // toolchain may hash differently, which only costs a recompile.
        #[allow(deprecated)]
        let mut hasher = std::hash::SipHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        ArtifactCache {
            dir,
            engine_key: format!("{:016x}", hasher.finish()),
        }
    }

    fn entry(&self, content_hash: &str) -> PathBuf {
        self.dir
            .join(format!("{content_hash}-{}.cwasm", self.engine_key))
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
            Ok(component) => Some(component),
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
        tmp.persist(self.entry(content_hash))?;
        Ok(())
    }
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}
