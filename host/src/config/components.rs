//! The settings of the processors and of the local exporters (`file`,
//! `debug`, `null`): what goes under their ids in the configuration file.
//! Receivers and network exporters keep their settings in their own
//! folders (`receiver/otlp/config.rs`, `exporter/otlp/config.rs`, …), and
//! the keys every exporter takes are in `exporter_base.rs`. Every field is
//! documented; these docs are the user's reference, and every struct
//! refuses unknown fields so a misspelt key is an error, not a no-op.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

/// Processor `batch`: groups requests into batches by size and time.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct BatchProcessor {
    /// Send a batch once it holds this many records. Default 8192.
    pub send_batch_size: usize,
    /// Send a batch this long after its first record arrived, however
    /// small. Default `200ms`.
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
    /// Upper bound on a batch's records (larger requests are split); 0
    /// means no bound. Default 0.
    pub send_batch_max_size: usize,
}

impl Default for BatchProcessor {
    fn default() -> Self {
        BatchProcessor {
            send_batch_size: 8192,
            timeout: Duration::from_millis(200),
            send_batch_max_size: 0,
        }
    }
}

/// Processor `memory_limiter`: refuses new data (503 / `UNAVAILABLE`,
/// which senders retry) while weir's resident memory is above the soft
/// limit, `limit - spike`. The Collector's keys. List it first in a
/// pipeline's processors.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct MemoryLimiterProcessor {
    /// How often resident memory is read, e.g. `1s`. Required, above 0.
    #[serde(with = "humantime_serde")]
    pub check_interval: Duration,
    /// The hard limit, in MiB. This or `limit_percentage` is required.
    pub limit_mib: u64,
    /// How much memory may grow between two checks, in MiB; the soft
    /// limit is `limit_mib - spike_limit_mib`. Default a fifth of
    /// `limit_mib`.
    pub spike_limit_mib: Option<u64>,
    /// The hard limit as a percentage of the memory there is (the
    /// cgroup's limit if one is set, else the machine's), when
    /// `limit_mib` is not given.
    pub limit_percentage: u32,
    /// The spike as a percentage, with `limit_percentage`. Default a
    /// fifth of the limit.
    pub spike_limit_percentage: Option<u32>,
}

/// Processor `wasm`: a WebAssembly plugin.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WasmProcessor {
    /// The plugin file (`.wasm` component). Relative paths are relative to
    /// the configuration file.
    pub path: PathBuf,
    /// The plugin's own configuration, handed to its `init` as JSON.
    #[serde(default)]
    pub config: Option<serde_norway::Value>,
    /// What happens to a batch the plugin fails on: `pass` it on unchanged
    /// (default) or send it to the pipeline's `dead_letter` exporters.
    #[serde(default)]
    pub on_failure: OnFailure,
    /// Memory cap of each instance, in MiB. Default 64.
    #[serde(default = "default_memory_limit_mib")]
    pub memory_limit_mib: u64,
    /// Deadline of one call into the plugin. Default `500ms`.
    #[serde(default = "default_plugin_timeout", with = "humantime_serde")]
    pub timeout: Duration,
}

fn default_memory_limit_mib() -> u64 {
    64
}

fn default_plugin_timeout() -> Duration {
    Duration::from_millis(500)
}

/// A plugin's failure policy.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OnFailure {
    /// Pass the batch on unchanged.
    #[default]
    Pass,
    /// Send the batch to the pipeline's dead-letter exporters.
    DeadLetter,
}

/// Exporter `file`: OTLP/JSON lines on local disk, one directory per
/// signal, rotated by size.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct FileExporter {
    /// Directory to write under; each signal gets `logs/`, `metrics/`,
    /// `traces/` inside it. Default `./data`.
    pub path: PathBuf,
    /// Start a new file when the current one reaches this size, in MiB.
    /// Default 100.
    pub max_megabytes: u64,
    /// Keep at most this many rotated files per signal (0: keep all).
    /// Default 10.
    pub max_backups: usize,
}

impl Default for FileExporter {
    fn default() -> Self {
        FileExporter {
            path: PathBuf::from("./data"),
            max_megabytes: 100,
            max_backups: 10,
        }
    }
}

/// Exporter `debug`: a line per batch in weir's log.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DebugExporter {
    /// `basic`: counts per batch (default); `detailed`: every record too.
    pub verbosity: Verbosity,
}

/// How much the `debug` exporter prints.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Verbosity {
    /// One line per batch with its counts.
    #[default]
    Basic,
    /// Also each record, as OTLP/JSON.
    Detailed,
}

/// Exporter `null`: accepts and discards everything (for benchmarks).
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NullExporter {}
