//! `weir validate` and `weir config default`: check a configuration
//! without starting anything, and print the embedded default to start from.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::config;

/// Arguments of `weir validate`.
#[derive(Debug, clap::Args)]
pub(crate) struct ValidateArgs {
    /// The configuration file (YAML, Collector-style).
    #[arg(long, short, value_name = "FILE")]
    config: PathBuf,
}

pub(crate) fn validate(args: &ValidateArgs) -> anyhow::Result<ExitCode> {
    let config = config::load(&args.config).with_context(|| {
        format!(
            "{} is not a valid weir configuration",
            args.config.display()
        )
    })?;
    println!("ok: {} is valid", args.config.display());
    for p in &config.pipelines {
        let plugins: Vec<&str> = p.plugins.iter().map(|s| s.id.as_str()).collect();
        println!(
            "  pipeline {}: {} → {}{} → {}",
            p.id,
            p.receivers.join(", "),
            if p.batch.is_some() { "batch, " } else { "" },
            if plugins.is_empty() {
                "(no plugins)".to_string()
            } else {
                plugins.join(", ")
            },
            p.exporters.join(", "),
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn print_default() -> anyhow::Result<ExitCode> {
    print!("{}", config::DEFAULT_YAML);
    Ok(ExitCode::SUCCESS)
}
