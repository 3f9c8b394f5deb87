//! `weir validate` and `weir config default`: check a configuration —
//! and try the plugins it asks for — without serving anything, and print
//! the embedded default to start from.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::config;
use crate::plugin::Runtime;
use crate::reload::{Origin, validate_plugins};

/// Arguments of `weir validate`.
#[derive(Debug, clap::Args)]
pub(crate) struct ValidateArgs {
    /// The configuration file (YAML, Collector-style).
    #[arg(long, short, value_name = "FILE")]
    config: PathBuf,

    /// Check the configuration only; do not load the plugins it names or
    /// its plugin directory holds (for checking on a machine without them).
    #[arg(long)]
    skip_plugins: bool,
}

pub(crate) fn validate(
    args: &ValidateArgs,
    runtime: impl FnOnce() -> anyhow::Result<Runtime>,
) -> anyhow::Result<ExitCode> {
    let config = config::load(&args.config).with_context(|| {
        format!(
            "{} is not a valid weir configuration",
            args.config.display()
        )
    })?;
    println!("ok: {} is a valid configuration", args.config.display());
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
    if args.skip_plugins {
        return Ok(ExitCode::SUCCESS);
    }
    let verdicts = validate_plugins(&config, &runtime()?)?;
    let mut failed = 0;
    for verdict in &verdicts {
        let place = match verdict.origin {
            Origin::Config => "",
            Origin::Directory => " (plugin directory: every pipeline, after the processors)",
        };
        match &verdict.result {
            Ok((name, version, hash)) => println!(
                "  plugin {}{place}: ok, {name} {version}, sha256 {}",
                verdict.id,
                &hash[..12]
            ),
            Err(error) => {
                failed += 1;
                println!(
                    "  plugin {}{place}: FAILED ({}): {error}",
                    verdict.id,
                    verdict.path.display()
                );
            }
        }
    }
    if failed > 0 {
        anyhow::bail!(
            "{failed} of {} plugins cannot serve; `weir run` would not start",
            verdicts.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn print_default() -> anyhow::Result<ExitCode> {
    print!("{}", config::DEFAULT_YAML);
    Ok(ExitCode::SUCCESS)
}
