//! `weir run`: the daemon, on a configuration file or the embedded default.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::config;
use crate::plugin::Runtime;

/// Arguments of `weir run`.
#[derive(Debug, clap::Args)]
pub(crate) struct RunArgs {
    /// The configuration file (Collector-style YAML). Without it, weir
    /// runs its embedded default: OTLP on localhost:4317 (gRPC) and
    /// localhost:4318 (HTTP), OTLP/JSON files under ./data, metrics and
    /// health on localhost:8888 (see `weir config default`).
    #[arg(long, short, value_name = "FILE")]
    config: Option<PathBuf>,
}

pub(crate) fn run(runtime: Runtime, args: &RunArgs) -> anyhow::Result<ExitCode> {
    let config = match &args.config {
        Some(path) => config::load(path)
            .with_context(|| format!("{} is not a valid weir configuration", path.display()))?,
        None => config::embedded_default().context("the embedded default configuration")?,
    };
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("weir-io")
        .on_thread_park(crate::allocator::tidy_this_thread)
        .build()
        .context("starting the async runtime")?;
    tokio.block_on(crate::daemon::run(config, runtime))?;
    Ok(ExitCode::SUCCESS)
}
