//! `weir plugin run FILE --input BATCH.json`: the plugin test bench. Runs a
//! plugin over one OTLP/JSON batch and prints, as one JSON document, what
//! it kept, what it sent to each route and what it dropped.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use serde_json::{Map, Value, json};

use super::config_text::plugin_config;
use crate::otlp::Batch;
use crate::plugin::{InstanceOptions, Routed, Runtime};

/// Arguments of `weir plugin run`.
#[derive(Debug, clap::Args)]
pub(crate) struct RunArgs {
    /// The plugin file (a `.wasm` component).
    file: PathBuf,
    /// The batch: an OTLP/JSON export request (`{"resourceLogs": …}`,
    /// `{"resourceMetrics": …}` or `{"resourceSpans": …}`), as OTLP/HTTP
    /// sends it. `-` reads standard input.
    #[arg(long, short, value_name = "BATCH.json")]
    input: PathBuf,
    /// The plugin's configuration file (YAML or JSON).
    #[arg(long, value_name = "FILE", conflicts_with = "config_text")]
    config: Option<PathBuf>,
    /// The plugin's configuration, inline (YAML or JSON).
    #[arg(long, value_name = "YAML")]
    config_text: Option<String>,
    /// Deadline for the call, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 500)]
    timeout_ms: u64,
    /// Memory cap for the plugin, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 64)]
    memory_limit_mib: usize,
    /// Print compact JSON on one line instead of indented JSON.
    #[arg(long)]
    compact: bool,
}

pub(crate) fn run(runtime: &Runtime, args: &RunArgs) -> anyhow::Result<ExitCode> {
    let input = read_input(args)?;
    let batch = Batch::from_json(&input)
        .with_context(|| format!("cannot read the batch in {}", args.input.display()))?;
    let config = plugin_config(args.config.as_deref(), args.config_text.as_deref())?;
    let plugin = Arc::new(
        runtime
            .load(&args.file)
            .with_context(|| format!("{} is not a usable weir plugin", args.file.display()))?,
    );
    let mut instance = plugin.instantiate(InstanceOptions {
        config,
        memory_limit: args.memory_limit_mib << 20,
        timeout: Duration::from_millis(args.timeout_ms),
        keep_dropped: true,
        ..InstanceOptions::default()
    })?;

    let signal = batch.signal();
    let records_in = batch.len();
    let processed = instance.process(batch);
    if let Some(failure) = processed.failure {
        anyhow::bail!(
            "plugin `{}` failed on the batch: it {failure}\n\
             (in the daemon, the batch would be passed on unchanged or sent to the \
             dead-letter route, as the plugin's failure policy says)",
            plugin.info().name
        );
    }
    let report = report(
        &plugin.info().name,
        signal.as_str(),
        records_in,
        &processed.routed,
    );
    let text = if args.compact {
        serde_json::to_string(&report)?
    } else {
        serde_json::to_string_pretty(&report)?
    };
    println!("{text}");
    Ok(ExitCode::SUCCESS)
}

fn read_input(args: &RunArgs) -> anyhow::Result<String> {
    if args.input.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read the batch from standard input")?;
        return Ok(text);
    }
    std::fs::read_to_string(&args.input)
        .with_context(|| format!("cannot read the batch {}", args.input.display()))
}

/// The JSON document `weir plugin run` prints.
fn report(plugin: &str, signal: &str, records_in: usize, routed: &Routed) -> Value {
    let mut route_counts = Map::new();
    let mut routes = Map::new();
    for (name, batch) in &routed.routes {
        route_counts.insert(name.clone(), json!(batch.len()));
        routes.insert(name.clone(), batch.to_json_value());
    }
    json!({
        "summary": {
            "plugin": plugin,
            "signal": signal,
            "records_in": records_in,
            "kept": routed.kept(),
            "routed": route_counts,
            "dropped": routed.dropped,
        },
        "kept": routed.keep.as_ref().map(Batch::to_json_value),
        "routes": routes,
        "dropped": routed.dropped_records.as_ref().map(Batch::to_json_value),
    })
}
