//! `weir plugin ls`: the plugins a running daemon serves, from its
//! `/plugins` endpoint — version, counters and the last reload failure.

use std::process::ExitCode;

use anyhow::Context;

use crate::reload::{PluginState, PluginsStatus};

/// Arguments of `weir plugin ls`.
#[derive(Debug, clap::Args)]
pub(crate) struct LsArgs {
    /// The daemon's telemetry address (`service.telemetry.address` in its
    /// configuration).
    #[arg(long, default_value = "localhost:8888", value_name = "HOST:PORT")]
    address: String,
    /// Print the status as JSON, as the endpoint serves it.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: &LsArgs) -> anyhow::Result<ExitCode> {
    let url = format!("http://{}/plugins", args.address);
    let body = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(async {
            let response = reqwest::Client::new()
                .get(&url)
                .timeout(std::time::Duration::from_secs(10))
                .send()
                .await?
                .error_for_status()?;
            response.text().await
        })
        .with_context(|| format!("cannot get {url}; is `weir run` running there?"))?;
    let status: PluginsStatus = serde_json::from_str(&body)
        .with_context(|| format!("{url} did not answer with a plugin status"))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&status)?);
    } else {
        print!("{}", table(&status));
    }
    let failing = status
        .plugins
        .iter()
        .any(|p| p.state != PluginState::Serving);
    Ok(if failing {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The status as a table, then one line per plugin whose last reload
/// failed.
fn table(status: &PluginsStatus) -> String {
    let mut rows = vec![
        [
            "ID",
            "STATE",
            "NAME",
            "VERSION",
            "HASH",
            "LOADED AT",
            "LIVE AFTER",
            "BATCHES",
            "ERRORS",
            "RELOADS",
        ]
        .map(String::from),
    ];
    for p in &status.plugins {
        let s = p.serving.as_ref();
        let or_dash = |v: Option<String>| v.unwrap_or_else(|| "-".into());
        rows.push([
            p.id.clone(),
            p.state.to_string(),
            or_dash(s.map(|s| s.name.clone())),
            or_dash(s.map(|s| s.version.clone())),
            or_dash(s.map(|s| s.content_hash.chars().take(12).collect())),
            or_dash(s.map(|s| s.loaded_at.clone())),
            // From the file's last write to serving; none for start-up.
            or_dash(
                s.and_then(|s| s.reload_latency_ms)
                    .map(|ms| format!("{ms:.0} ms")),
            ),
            or_dash(s.map(|s| s.batches.to_string())),
            or_dash(s.map(|s| s.errors.to_string())),
            p.reloads.to_string(),
        ]);
    }
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in &rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    if status.plugins.is_empty() {
        out.push_str("(no plugins)\n");
    }
    if let Some(dir) = &status.directory {
        out.push_str(&format!("plugin directory: {dir}\n"));
    }
    for p in &status.plugins {
        if let Some(f) = &p.last_failure {
            out.push_str(&format!(
                "{}: last reload failed at {}: {}\n",
                p.id, f.at, f.error
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reload::Origin;
    use crate::reload::status::{PluginStatus, ReloadFailure, ServingVersion};

    #[test]
    fn a_failed_plugin_shows_dashes_and_its_failure() {
        let status = PluginsStatus {
            directory: Some("/srv/plugins".into()),
            plugins: vec![PluginStatus {
                id: "dir/10-filter".into(),
                origin: Origin::Directory,
                file: "/srv/plugins/10-filter.wasm".into(),
                state: PluginState::Failed,
                pipelines: vec!["logs".into()],
                serving: None,
                reloads: 0,
                last_failure: Some(ReloadFailure {
                    at: "2026-11-25T10:00:00.000Z".into(),
                    content_hash: None,
                    error: "not a WebAssembly file".into(),
                }),
            }],
        };
        let text = table(&status);
        assert!(text.starts_with("ID "), "{text}");
        assert!(text.contains("dir/10-filter  failed  -"), "{text}");
        assert!(
            text.contains("dir/10-filter: last reload failed at 2026-11-25T10:00:00.000Z: not a WebAssembly file"),
            "{text}"
        );
    }

    #[test]
    fn a_serving_plugin_shows_its_version_and_how_fast_it_went_live() {
        let serving = |latency: Option<f64>| ServingVersion {
            name: "tagger".into(),
            version: "0.1.0".into(),
            content_hash: "0123456789abcdef".into(),
            world: "weir:plugin@0.1.0".into(),
            loaded_at: "2026-11-25T10:00:00.000Z".into(),
            reload_latency_ms: latency,
            compiled: None,
            batches: 42,
            records: 4200,
            errors: 0,
            restarts: 0,
            log_lines_dropped: 0,
        };
        let row = |id: &str, latency| PluginStatus {
            id: id.into(),
            origin: Origin::Directory,
            file: format!("/srv/plugins/{id}.wasm"),
            state: PluginState::Serving,
            pipelines: vec!["logs".into()],
            serving: Some(serving(latency)),
            reloads: 1,
            last_failure: None,
        };
        let status = PluginsStatus {
            directory: None,
            plugins: vec![row("dir/10-a", Some(64.4)), row("dir/20-b", None)],
        };
        let text = table(&status);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].contains("LIVE AFTER"), "{text}");
        assert!(
            lines[1].contains("0123456789ab  2026-11-25T10:00:00.000Z  64 ms"),
            "{text}"
        );
        assert!(lines[2].contains("2026-11-25T10:00:00.000Z  -"), "{text}");
    }
}
