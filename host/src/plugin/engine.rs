//! The wasmtime engine weir runs every plugin on, and its epoch ticker.
//!
//! Call deadlines use epoch interruption: a background thread bumps the
//! engine's epoch every [`EPOCH_TICK`], and each call into a guest is given
//! a deadline in ticks. The thread holds only a weak reference to the
//! engine, so it ends when the last [`Runtime`] clone is dropped.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use wasmtime::component::Linker;
use wasmtime::{Config, Engine, OptLevel};

use super::bindings;
use super::cache::ArtifactCache;
use super::clocks;
use super::error::{Error, Result};
use super::function_cache::{self, FunctionCache};
use super::state::InstanceState;

/// How often the epoch advances; the granularity of call deadlines.
pub(crate) const EPOCH_TICK: Duration = Duration::from_millis(5);

/// Settings for a [`Runtime`].
#[derive(Clone, Debug, Default)]
pub struct RuntimeOptions {
    /// Where compiled plugins are cached; `None` disables the cache.
    pub cache_dir: Option<PathBuf>,
    /// The most the on-disk cache may hold; the least recently used
    /// entries are removed beyond it. `None`: the default, 1 GiB.
    pub cache_max_bytes: Option<u64>,
}

/// The engine, linker and artifact cache shared by every plugin.
#[derive(Clone)]
pub struct Runtime {
    pub(crate) engine: Engine,
    pub(crate) linker: Arc<Linker<InstanceState>>,
    pub(crate) cache: Option<ArtifactCache>,
    pub(crate) function_cache: Arc<FunctionCache>,
}

impl Runtime {
    /// Creates the engine, links the host's imports and starts the epoch
    /// ticker.
    pub fn new(options: RuntimeOptions) -> Result<Runtime> {
        let mut config = Config::new();
        config
            .wasm_component_model(true)
            .epoch_interruption(true)
            .cranelift_opt_level(OptLevel::Speed);
        let function_cache = Arc::new(FunctionCache::new(function_cache::DEFAULT_BUDGET_BYTES));
        config
            .enable_incremental_compilation(function_cache.clone())
            .map_err(|e| Error::wasmtime("enabling incremental compilation", e))?;
        let engine = Engine::new(&config).map_err(|e| Error::wasmtime("creating engine", e))?;

        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)
            .map_err(|e| Error::wasmtime("linking WASI", e))?;
        clocks::link_monotonic_clock(&mut linker)
            .map_err(|e| Error::wasmtime("linking the frozen monotonic clock", e))?;
        bindings::Plugin::add_to_linker::<_, wasmtime::component::HasSelf<InstanceState>>(
            &mut linker,
            |state| state,
        )
        .map_err(|e| Error::wasmtime("linking weir imports", e))?;

        spawn_epoch_ticker(&engine);
        let max_bytes = options
            .cache_max_bytes
            .unwrap_or(super::cache::DEFAULT_MAX_BYTES);
        let cache = options
            .cache_dir
            .map(|dir| ArtifactCache::new(dir, &engine, max_bytes));
        Ok(Runtime {
            engine,
            linker: Arc::new(linker),
            cache,
            function_cache,
        })
    }
}

fn spawn_epoch_ticker(engine: &Engine) {
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("weir-epoch".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .expect("spawn epoch ticker thread");
}
