//! What can go wrong loading a plugin, and how a call into one can fail.

use std::path::PathBuf;

/// Errors loading a plugin: each says what is wrong in terms a plugin
/// author can act on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be read.
    #[error("cannot read plugin {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file is larger than any plugin weir accepts.
    #[error(
        "plugin {path} is {} MiB, over the {} MiB limit for a plugin file",
        size >> 20,
        limit >> 20
    )]
    TooLarge {
        path: PathBuf,
        size: u64,
        limit: u64,
    },
    /// The bytes are not WebAssembly at all.
    #[error(
        "not a WebAssembly file: it does not start with the `\\0asm` magic bytes \
         (a weir plugin is a WebAssembly component, e.g. built with \
         `cargo build --target wasm32-wasip2`)"
    )]
    NotWasm,
    /// A core WebAssembly module, not a component.
    #[error(
        "this is a core WebAssembly module, not a component: weir plugins are \
         components (build for wasm32-wasip2, or wrap the module with \
         `wasm-tools component new`)"
    )]
    CoreModule,
    /// WebAssembly with a version/layer weir does not know.
    #[error("unsupported WebAssembly binary: version {version:#06x}, layer {layer}")]
    UnknownBinary { version: u16, layer: u16 },
    /// The component does not export the weir processor interface.
    #[error(
        "the component does not export `{expected}`, so it is not a weir plugin; \
         it exports: {found}"
    )]
    WrongWorld { expected: String, found: String },
    /// The component targets another version of the weir world.
    #[error(
        "the component is built for `{found}`, but this weir supports `{expected}`; \
         rebuild it against weir:plugin@{supported}"
    )]
    WrongVersion {
        found: String,
        expected: String,
        supported: &'static str,
    },
    /// The component imports something weir does not provide.
    #[error(
        "the component imports `{import}`, which weir does not provide to plugins{hint}; \
         weir provides {offered}"
    )]
    UnknownImport {
        import: String,
        /// How to avoid the import, for toolchains known to add it.
        hint: &'static str,
        /// What weir does provide.
        offered: String,
    },
    /// wasmtime refused to compile, link or instantiate the component.
    #[error("{context}: {message}")]
    Wasmtime {
        context: &'static str,
        message: String,
    },
    /// The plugin's `init` refused its configuration.
    #[error("plugin `{plugin}` refused its configuration: {message}")]
    Init { plugin: String, message: String },
    /// The plugin failed while being instantiated, described or
    /// initialised: trapped, or ran past its deadline or memory cap.
    #[error("plugin `{plugin}` failed in {during}: {failure}")]
    Start {
        plugin: String,
        /// Where: `instantiation`, `` `describe` `` or `` `init` ``.
        during: &'static str,
        failure: Failure,
    },
}

impl Error {
    pub(crate) fn wasmtime(context: &'static str, err: wasmtime::Error) -> Error {
        Error::Wasmtime {
            context,
            message: format!("{err:#}"),
        }
    }
}

/// Result alias for loading plugins.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// How one call into a plugin failed. Every failure is contained: the batch
/// follows the plugin's failure policy and the next batch is served.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum Failure {
    /// The call ran past its deadline and was interrupted.
    #[error("ran longer than its {limit_ms} ms deadline and was interrupted")]
    Timeout { limit_ms: u64 },
    /// The guest tried to grow its memory beyond its cap.
    #[error("tried to use more than its {limit_mib} MiB memory limit")]
    MemoryLimit { limit_mib: u64 },
    /// The guest trapped (a panic, `unreachable`, an out-of-bounds access,
    /// a bad argument to a host call, …).
    #[error("trapped: {message}")]
    Trap { message: String },
    /// The guest returned an error.
    #[error("returned an error: {message}")]
    Error { message: String },
    /// The guest's outcome named records that do not exist.
    #[error("returned an invalid outcome: {message}")]
    InvalidOutcome { message: String },
}

impl Failure {
    /// A short, stable name for metrics labels and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Failure::Timeout { .. } => "timeout",
            Failure::MemoryLimit { .. } => "memory",
            Failure::Trap { .. } => "trap",
            Failure::Error { .. } => "error",
            Failure::InvalidOutcome { .. } => "invalid_outcome",
        }
    }

    /// Whether the instance is unusable afterwards and must be replaced.
    /// After a trap wasmtime leaves the instance in an unknown state; a
    /// returned error or bad outcome leaves it intact.
    pub fn poisons_instance(&self) -> bool {
        matches!(
            self,
            Failure::Timeout { .. } | Failure::MemoryLimit { .. } | Failure::Trap { .. }
        )
    }
}
