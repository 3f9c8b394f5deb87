//! The plugin half of `weir validate`: every plugin a configuration asks
//! for, loaded and started once without serving anything, so that a
//! missing file, a plugin built for another world or a configuration its
//! `init` refuses is found before a deploy rather than by a daemon that
//! will not start.
//!
//! It lives with hot reload because it asks the same questions the same
//! way: [`wanted`](super::wanted) says which plugins, from where and with
//! which configuration, and each is instantiated with the options
//! `weir run` would give it. `cli/config_cmd.rs` prints the verdicts.

use std::path::PathBuf;
use std::sync::Arc;

use crate::config::Config;
use crate::plugin::Runtime;

use super::load::instance_options;
use super::wanted::{Origin, wanted};

/// One plugin's verdict.
#[derive(Debug)]
pub struct PluginVerdict {
    /// Processor id (`wasm/…` or `dir/…`).
    pub id: String,
    /// Where its place and settings come from.
    pub origin: Origin,
    /// Its file.
    pub path: PathBuf,
    /// The plugin's name and version and the file's SHA-256, or why it
    /// cannot serve.
    pub result: Result<(String, String, String), String>,
}

/// Loads each plugin `config` names or its plugin directory holds and
/// starts one instance with its configuration and limits, as `weir run`
/// would, in chain order.
pub fn validate_plugins(
    config: &Config,
    runtime: &Runtime,
) -> crate::config::Result<Vec<PluginVerdict>> {
    let wanted = wanted(config)?;
    Ok(wanted
        .plugins
        .values()
        .map(|plugin| {
            let result = (|| {
                let config = plugin.config.clone()?;
                let loaded = Arc::new(
                    runtime
                        .load(&plugin.settings.path)
                        .map_err(|e| format!("{e:#}"))?,
                );
                loaded
                    .instantiate(instance_options(&plugin.settings, config))
                    .map_err(|e| format!("it loads, but does not start: {e:#}"))?;
                Ok((
                    loaded.info().name.clone(),
                    loaded.info().version.clone(),
                    loaded.content_hash().to_string(),
                ))
            })();
            PluginVerdict {
                id: plugin.id.clone(),
                origin: plugin.origin,
                path: plugin.settings.path.clone(),
                result,
            }
        })
        .collect())
}
