//! weir's own log: `tracing` to stderr, filtered by `--log` / `WEIR_LOG`.

use tracing_subscriber::EnvFilter;

/// Installs the log subscriber: human-readable lines, or one JSON object
/// per line for log collectors (`json`). A bad filter falls back to `warn`
/// and says so, rather than refusing to start.
pub fn init_logging(filter: &str, json: bool) {
    let (filter, bad) = match EnvFilter::try_new(filter) {
        Ok(f) => (f, None),
        Err(e) => (EnvFilter::new("warn"), Some(e)),
    };
    use std::io::IsTerminal;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.with_ansi(std::io::stderr().is_terminal()).init();
    }
    if let Some(error) = bad {
        tracing::warn!(%error, "ignoring invalid log filter; using `warn`");
    }
}
