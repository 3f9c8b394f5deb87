//! `weir plugin check FILE`: is this a weir plugin, and what is in it?

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;

use super::config_text::plugin_config;
use crate::plugin::{InstanceOptions, Runtime, WORLD_PACKAGE, WORLD_VERSION};

/// Arguments of `weir plugin check`.
#[derive(Debug, clap::Args)]
pub(crate) struct CheckArgs {
    /// The plugin file (a `.wasm` component).
    file: PathBuf,
    /// Also start the plugin with this configuration file (YAML or JSON)
    /// and report whether its `init` accepts it.
    #[arg(long, value_name = "FILE", conflicts_with = "config_text")]
    config: Option<PathBuf>,
    /// Like `--config`, with the configuration given inline.
    #[arg(long, value_name = "YAML")]
    config_text: Option<String>,
}

pub(crate) fn run(runtime: &Runtime, args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let shown = args.file.display();
    let plugin = Arc::new(
        runtime
            .load(&args.file)
            .with_context(|| format!("{shown} is not a usable weir plugin"))?,
    );
    let info = plugin.info();

    if args.config.is_some() || args.config_text.is_some() {
        let config = plugin_config(args.config.as_deref(), args.config_text.as_deref())?;
        plugin
            .instantiate(InstanceOptions {
                config,
                ..InstanceOptions::default()
            })
            .with_context(|| format!("{shown} loads, but does not start"))?;
        println!("ok: {shown} is a weir plugin, and it accepts the configuration");
    } else {
        println!("ok: {shown} is a weir plugin");
    }
    let signals = if info.signals.is_empty() {
        "all".to_string()
    } else {
        info.signals
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!("  name:        {} {}", info.name, info.version);
    println!("  description: {}", info.description);
    println!("  signals:     {signals}");
    println!("  world:       {WORLD_PACKAGE}/plugin@{WORLD_VERSION}");
    println!("  sha256:      {}", plugin.content_hash());
    for (name, funcs) in plugin.report().weir_exports() {
        println!("  exports:     {name} ({})", funcs.join(", "));
    }
    for name in &plugin.report().imports {
        println!("  imports:     {name}");
    }
    Ok(ExitCode::SUCCESS)
}
