//! weir's configuration: a YAML file in the shape OpenTelemetry Collector
//! users know (`receivers`, `processors`, `exporters`, `service.pipelines`),
//! read in two stages. [`parse`] turns text into the raw sections, with
//! `${env:VAR}` substituted; [`resolve`](resolve::resolve) checks every
//! reference and every component's settings and produces a [`Config`]
//! that nothing downstream needs to second-guess. Every error names the
//! field at fault, e.g. `processors.wasm/filter.timeout: invalid duration`.

mod components;
mod env;
mod exporter_base;
mod plugin_dir;
pub(crate) mod resolve;
mod service;

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::Deserialize;

pub use components::{
    BatchProcessor, FileExporter, MemoryLimiterProcessor, OnFailure, Verbosity, WasmProcessor,
};
pub use exporter_base::{FileStorage, RetryOnFailure};
pub use plugin_dir::{dropped_in_settings, scan_plugin_directory};
pub use resolve::{Config, Exporter, ExporterSpec, PipelineSpec, Receiver};
pub use service::Service;

/// The embedded default: OTLP in on 4317/4318, plugins from `./plugins`,
/// OTLP/JSON files out under `./data`.
pub const DEFAULT_YAML: &str = include_str!("default.yaml");

/// Errors reading a configuration.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be read.
    #[error("cannot read {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// An `${env:…}` reference could not be resolved.
    #[error("{0}")]
    Env(String),
    /// The text is not valid YAML, or a section has the wrong shape.
    #[error("{0}")]
    Syntax(String),
    /// A field has a bad value; `path` says which.
    #[error("{path}: {message}")]
    Field { path: String, message: String },
}

/// Result alias for configuration.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The top level of the file, before validation.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// Receivers by id (`type` or `type/name`), e.g. `otlp`.
    #[serde(default)]
    pub receivers: IndexMap<String, serde_norway::Value>,
    /// Processors by id, e.g. `batch`, `wasm/redact`.
    #[serde(default)]
    pub processors: IndexMap<String, serde_norway::Value>,
    /// Exporters by id, e.g. `file`, `debug`, `null`.
    #[serde(default)]
    pub exporters: IndexMap<String, serde_norway::Value>,
    /// Extensions by id, e.g. `file_storage` (durable queues).
    #[serde(default)]
    pub extensions: IndexMap<String, serde_norway::Value>,
    /// Pipelines and weir's own telemetry.
    pub service: Service,
}

/// Reads, substitutes, parses and resolves a configuration file.
pub fn load(path: &Path) -> Result<Config> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let base = path.parent().unwrap_or(Path::new("."));
    resolve::resolve(parse(&text)?, base)
}

/// The embedded default configuration, resolved against the current
/// directory.
pub fn embedded_default() -> Result<Config> {
    resolve::resolve(parse(DEFAULT_YAML)?, Path::new("."))
}

/// Parses configuration text: `${env:…}` substitution, then YAML.
pub fn parse(text: &str) -> Result<RawConfig> {
    let text = env::substitute(text, |name| std::env::var(name).ok()).map_err(Error::Env)?;
    let de = serde_norway::Deserializer::from_str(&text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        // An empty path is an unknown key `''` at the top level (found by
        // the config_yaml fuzz target): the message names the key.
        if path == "." || path.is_empty() {
            Error::Syntax(inner.to_string())
        } else {
            Error::Field {
                path,
                message: inner.to_string(),
            }
        }
    })
}

/// Deserialises one component's settings, naming the full path of a bad
/// field (`exporters.file.max_megabytes: invalid type …`).
pub(crate) fn component<T: for<'de> Deserialize<'de>>(
    section: &str,
    id: &str,
    value: &serde_norway::Value,
) -> Result<T> {
    // `otlp:` with nothing under it means "all defaults".
    let value = match value {
        serde_norway::Value::Null => serde_norway::Value::Mapping(Default::default()),
        other => other.clone(),
    };
    serde_path_to_error::deserialize(value).map_err(|e| {
        let inner = e.path().to_string();
        let path = if inner == "." {
            format!("{section}.{id}")
        } else {
            format!("{section}.{id}.{inner}")
        };
        Error::Field {
            path,
            message: e.into_inner().to_string(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_top_level_key_is_refused_without_an_empty_field_path() {
        let Err(e) = parse("'': 1\n") else {
            panic!("an empty key was accepted")
        };
        assert!(matches!(e, Error::Syntax(_)), "{e:?}");
        assert!(e.to_string().starts_with("unknown field ``"), "{e}");
    }
}
