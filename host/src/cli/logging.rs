//! weir's own log: `tracing` to stderr, filtered by `--log` / `WEIR_LOG`.

use tracing_subscriber::EnvFilter;

/// Installs the log subscriber. A bad filter falls back to `warn` and says
/// so, rather than refusing to start.
pub fn init_logging(filter: &str) {
    let (filter, bad) = match EnvFilter::try_new(filter) {
        Ok(f) => (f, None),
        Err(e) => (EnvFilter::new("warn"), Some(e)),
    };
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    if let Some(error) = bad {
        tracing::warn!(%error, "ignoring invalid log filter; using `warn`");
    }
}
