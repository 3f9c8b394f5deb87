//! The command line: `weir run`, `weir gen`, `weir replay`, `weir plugin check|run|ls|new`,
//! `weir validate`, `weir config default`, and the global flags they share. `main.rs` only parses arguments and prints errors;
//! everything a command does starts here.

mod config_cmd;
mod config_text;
mod logging;
mod plugin_check;
mod plugin_ls;
mod plugin_new;
mod plugin_run;
mod replay;
mod run_cmd;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use logging::init_logging;

use crate::plugin::{Runtime, RuntimeOptions};

/// weir: a telemetry stream processor for OpenTelemetry logs, metrics and
/// traces, extended with WebAssembly plugins.
#[derive(Debug, Parser)]
#[command(name = "weir", version, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,

    /// Log filter, in `RUST_LOG` syntax (e.g. `info`, `weir=debug`).
    #[arg(long, global = true, env = "WEIR_LOG", default_value = "info")]
    log: String,

    /// Log format: `text` (default) or `json`, one object per line.
    #[arg(long, global = true, env = "WEIR_LOG_FORMAT", default_value = "text",
          value_parser = ["text", "json"])]
    log_format: String,

    /// Where compiled plugins are cached, so that a restart does not
    /// recompile them. Default: `$XDG_CACHE_HOME/weir/compiled` or
    /// `~/.cache/weir/compiled`.
    #[arg(long, global = true, env = "WEIR_CACHE_DIR", value_name = "DIR")]
    cache_dir: Option<PathBuf>,

    /// Do not read or write the compiled-plugin cache.
    #[arg(long, global = true)]
    no_cache: bool,

    /// The most the compiled-plugin cache may hold, in MiB; the least
    /// recently used entries are removed beyond it. Every hot-reloaded
    /// version adds an entry (1-3x the size of its `.wasm`: measured 1.1x
    /// for C, 2x for Python, 2.3x for Go, 2.9x for JavaScript).
    #[arg(
        long,
        global = true,
        env = "WEIR_CACHE_MAX_MIB",
        value_name = "MIB",
        default_value_t = 1024
    )]
    cache_max_mib: u64,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the daemon: receive OTLP, run the plugin chains, export.
    /// Stops on SIGTERM or Ctrl-C after exporting what it accepted.
    Run(run_cmd::RunArgs),
    /// Generate load: send realistic logs, metrics or traces over OTLP at
    /// a given rate or as fast as the receiver takes them, with a live
    /// progress line and a summary (records/s, refused, errors, latency).
    Gen(crate::loadgen::GenArgs),
    /// Check, inspect and try out plugins.
    #[command(subcommand)]
    Plugin(PluginCommand),
    /// Check a configuration file without serving anything: every field,
    /// every reference between components, and every plugin it asks for
    /// (loaded and started with its configuration, as `weir run` would).
    /// Exits non-zero naming the field or plugin at fault.
    Validate(config_cmd::ValidateArgs),
    /// Work with configuration files.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Read an S3 archive back (the `s3` exporter's, or the Collector's
    /// awss3exporter's) and feed it through a pipeline of a configuration
    /// file: its plugins and exporters. Prints a summary (objects,
    /// records, bytes, rate); a progress bar on a terminal.
    Replay(replay::ReplayArgs),
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Print the embedded default configuration (what `weir run` uses
    /// without `--config`), as a starting point for your own.
    Default,
}

#[derive(Debug, Subcommand)]
enum PluginCommand {
    /// Check that a file is a weir plugin: a WebAssembly component of the
    /// weir:plugin world, in a version this weir supports. Prints what it
    /// is, what it exports and imports; exits non-zero with the reason if
    /// it is not a plugin.
    Check(plugin_check::CheckArgs),
    /// Run a plugin over one batch read from an OTLP/JSON file and print
    /// what it kept, routed and dropped, as OTLP/JSON.
    Run(plugin_run::RunArgs),
    /// List the plugins a running daemon serves: id, state, name, version,
    /// content hash, when it went live, batches, errors, reloads, and the
    /// last reload that failed and why. Exits non-zero if a plugin has no
    /// serving version.
    Ls(plugin_ls::LsArgs),
    /// Make a new plugin project in Rust, Python, JavaScript, C or Go: its
    /// source (a severity filter to start from), weir's WIT and SDK for
    /// the language, a build script, a sample batch, a configuration and
    /// a README. It builds and passes `weir plugin run` as generated.
    New(plugin_new::NewArgs),
}

impl Cli {
    /// The log filter the user asked for.
    pub fn log_filter(&self) -> &str {
        &self.log
    }
}

/// The whole program: parse arguments, start logging, run the command,
/// print an error with its causes.
pub fn main() -> ExitCode {
    // reqwest (weir gen, weir plugin ls, the otlphttp exporter) is built
    // without a crypto provider of its own: rustls on `ring` for the whole
    // process, so no second TLS stack is compiled in.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cli = Cli::parse();
    init_logging(cli.log_filter(), cli.log_format == "json");
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the command the user asked for.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let runtime = || -> anyhow::Result<Runtime> {
        let cache_dir = if cli.no_cache {
            None
        } else {
            cli.cache_dir.clone().or_else(default_cache_dir)
        };
        Ok(Runtime::new(RuntimeOptions {
            cache_dir,
            cache_max_bytes: Some(cli.cache_max_mib.saturating_mul(1 << 20)),
        })?)
    };
    match &cli.command {
        Command::Plugin(PluginCommand::Check(args)) => plugin_check::run(&runtime()?, args),
        Command::Plugin(PluginCommand::Run(args)) => plugin_run::run(&runtime()?, args),
        Command::Plugin(PluginCommand::Ls(args)) => plugin_ls::run(args),
        Command::Plugin(PluginCommand::New(args)) => plugin_new::run(args),
        Command::Run(args) => run_cmd::run(runtime()?, args),
        Command::Validate(args) => config_cmd::validate(args, runtime),
        Command::Gen(args) => {
            let tokio = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            let summary = tokio.block_on(crate::loadgen::run(args.clone()))?;
            Ok(if summary.errors > 0 {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Config(ConfigCommand::Default) => config_cmd::print_default(),
        Command::Replay(args) => replay::run(runtime()?, args),
    }
}

fn default_cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("weir").join("compiled"))
}
