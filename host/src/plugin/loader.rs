//! Loading a plugin file: check, compile (or fetch from the cache), link,
//! pre-instantiate, and ask the plugin to describe itself.
//!
//! Everything slow happens here, once per file version, off the hot path;
//! making an [`Instance`](super::Instance) from the result is cheap.

use std::path::Path;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use wasmtime::component::Component;

use crate::otlp::Signal;

use super::bindings::PluginPre;
use super::check::{self, ComponentReport};
use super::convert::signal_from_wit;
use super::engine::Runtime;
use super::error::{Error, Result};
use super::imports;
use super::instance;
use super::stats::PluginStats;

/// What a plugin says about itself (its `describe` export).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PluginInfo {
    /// Short name, used in logs and metrics.
    pub name: String,
    /// The plugin's own version.
    pub version: String,
    /// One line on what it does.
    pub description: String,
    /// Signals it wants; empty means all.
    pub signals: Vec<Signal>,
}

impl PluginInfo {
    /// Whether the plugin wants batches of `signal`.
    pub fn wants(&self, signal: Signal) -> bool {
        self.signals.is_empty() || self.signals.contains(&signal)
    }
}

/// What compiling a plugin took, when it was not in the on-disk cache.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Compilation {
    /// Wall-clock time of the compile.
    pub seconds: f64,
    /// Functions whose code was reused from an earlier compile (the
    /// in-memory incremental cache).
    pub functions_reused: u64,
    /// Functions compiled anew.
    pub functions_compiled: u64,
    /// What the in-memory cache of compiled functions holds afterwards.
    pub function_cache_bytes: usize,
}

/// A compiled, linked and pre-instantiated plugin, ready to make instances.
pub struct Plugin {
    pub(crate) runtime: Runtime,
    pub(crate) pre: PluginPre<super::state::InstanceState>,
    pub(crate) name: Arc<str>,
    info: PluginInfo,
    content_hash: String,
    report: ComponentReport,
    compilation: Option<Compilation>,
    pub(crate) stats: Arc<PluginStats>,
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("info", &self.info)
            .field("content_hash", &self.content_hash)
            .finish_non_exhaustive()
    }
}

impl Plugin {
    /// What the plugin says about itself.
    pub fn info(&self) -> &PluginInfo {
        &self.info
    }

    /// SHA-256 of the plugin file, hex.
    pub fn content_hash(&self) -> &str {
        &self.content_hash
    }

    /// The component's imports and exports.
    pub fn report(&self) -> &ComponentReport {
        &self.report
    }

    /// Whether the compiled code came from the on-disk cache.
    pub fn from_cache(&self) -> bool {
        self.compilation.is_none()
    }

    /// What compiling took; `None` when it came from the on-disk cache.
    pub fn compilation(&self) -> Option<Compilation> {
        self.compilation
    }

    /// Counters shared by all instances of this plugin.
    pub fn stats(&self) -> &Arc<PluginStats> {
        &self.stats
    }
}

/// The largest plugin file weir reads. Compiling takes memory and time in
/// proportion to the code, so a file far beyond any real plugin (a
/// CPython-based component is about 40 MiB) is refused before it is read
/// rather than allowed to exhaust the daemon.
pub const MAX_PLUGIN_FILE_BYTES: u64 = 256 << 20;

/// The checks on a plugin file's bytes before they are compiled, which
/// takes seconds for the big runtimes: the binary header, then the
/// component's imports. Returns the imports.
pub(crate) fn precheck(bytes: &[u8]) -> Result<Vec<String>> {
    check::check_header(bytes)?;
    imports::check(bytes)
}

/// Reads a plugin file, refusing one over [`MAX_PLUGIN_FILE_BYTES`] (also
/// if it grows past that while being read).
pub fn read_plugin_file(path: &Path) -> Result<Vec<u8>> {
    use std::io::Read;
    let read_error = |source| Error::Read {
        path: path.to_path_buf(),
        source,
    };
    let too_large = |size| Error::TooLarge {
        path: path.to_path_buf(),
        size,
        limit: MAX_PLUGIN_FILE_BYTES,
    };
    let file = std::fs::File::open(path).map_err(read_error)?;
    let size = file.metadata().map_err(read_error)?.len();
    if size > MAX_PLUGIN_FILE_BYTES {
        return Err(too_large(size));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    file.take(MAX_PLUGIN_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(read_error)?;
    if bytes.len() as u64 > MAX_PLUGIN_FILE_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

impl Runtime {
    /// Loads a plugin from a file.
    pub fn load(&self, path: &Path) -> Result<Plugin> {
        self.load_bytes_from(&read_plugin_file(path)?, path)
    }

    /// Loads a plugin from its bytes, when there is no file to name in
    /// errors.
    pub fn load_bytes(&self, bytes: &[u8]) -> Result<Plugin> {
        self.load_bytes_named(bytes, "(plugin bytes)")
    }

    /// Loads a plugin from the bytes read from `path`, which errors before
    /// the plugin has said its name (instantiating it, `describe`) name.
    pub fn load_bytes_from(&self, bytes: &[u8], path: &Path) -> Result<Plugin> {
        self.load_bytes_named(bytes, &path.display().to_string())
    }

    fn load_bytes_named(&self, bytes: &[u8], file: &str) -> Result<Plugin> {
        precheck(bytes)?;
        let content_hash = hex::encode(Sha256::digest(bytes));
        let (component, compilation) = self.compile(bytes, &content_hash)?;
        let report = check::check_world(&self.engine, &component)?;
        let instance_pre = self.linker.instantiate_pre(&component).map_err(|e| {
            Error::wasmtime("the component's imports do not match what weir provides", e)
        })?;
        let pre = PluginPre::new(instance_pre).map_err(|e| {
            Error::wasmtime(
                "the component's exports do not match weir:plugin/processor",
                e,
            )
        })?;

        let info = instance::describe(self, &pre, Arc::from(file))?;
        let info = PluginInfo {
            signals: info.signals.into_iter().map(signal_from_wit).collect(),
            name: info.name,
            version: info.version,
            description: info.description,
        };
        Ok(Plugin {
            runtime: self.clone(),
            pre,
            name: Arc::from(info.name.as_str()),
            info,
            content_hash,
            report,
            compilation,
            stats: Arc::default(),
        })
    }

    fn compile(
        &self,
        bytes: &[u8],
        content_hash: &str,
    ) -> Result<(Component, Option<Compilation>)> {
        if let Some(cache) = &self.cache
            && let Some(component) = cache.load(&self.engine, content_hash)
        {
            return Ok((component, None));
        }
        let started = std::time::Instant::now();
        // Plugins are loaded one at a time (at startup and by the reload
        // manager), so the difference in the shared counters is this
        // compile's.
        let before = self.function_cache.stats();
        let compiled = Component::new(&self.engine, bytes);
        // Compiling (and serialising for the cache, below) takes memory in
        // proportion to the plugin's code, briefly and on many threads; it
        // is given back afterwards rather than kept at the peak.
        let mut component = compiled.map_err(|e| {
            crate::allocator::return_free_memory();
            Error::wasmtime("the component does not compile", e)
        })?;
        let functions = self.function_cache.stats().since(before);
        let compilation = Compilation {
            seconds: started.elapsed().as_secs_f64(),
            functions_reused: functions.reused,
            functions_compiled: functions.compiled,
            function_cache_bytes: self.function_cache.bytes(),
        };
        if let Some(cache) = &self.cache {
            cache.store(content_hash, &component);
            // Run from the file just written, as a later start would:
            // wasmtime then maps the code and the initial memory images
            // from it (page cache: shared, reclaimable) instead of keeping
            // the compile's copy in anonymous memory for the plugin's life
            // (for a Python or JavaScript plugin, ~35 MiB; measured with
            // plugin-langs-bench). Instances are copy-on-write either way.
            if let Some(mapped) = cache.load(&self.engine, content_hash) {
                component = mapped;
            }
        }
        crate::allocator::return_free_memory();
        Ok((component, Some(compilation)))
    }
}
