//! The `service` section: which components form which pipelines, named
//! routes, and weir's own telemetry (metrics, health, logs).

use indexmap::IndexMap;
use serde::Deserialize;

/// The `service` section.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// Pipelines by id: `logs`, `metrics`, `traces`, or `<signal>/<name>`.
    pub pipelines: IndexMap<String, Pipeline>,
    /// weir's own telemetry.
    #[serde(default)]
    pub telemetry: Telemetry,
    /// Plugins dropped into a directory rather than named as processors.
    #[serde(default)]
    pub plugins: PluginDirectory,
    /// Extension ids to start, e.g. `[file_storage]`; an extension defined
    /// under `extensions` but not listed here is not started.
    #[serde(default)]
    pub extensions: Vec<String>,
}

/// The plugin directory: every `*.wasm` file in it joins the end of every
/// pipeline's chain (a plugin is only called for the signals it wants), in
/// file-name order — so `10-filter.wasm` runs before `20-redact.wasm`. A
/// sidecar file `NAME.yaml` (or `.yml`, `.json`) next to `NAME.wasm` holds
/// the plugin's configuration. A file a `wasm/…` processor names keeps
/// that processor's place and settings. The directory is watched: files
/// added, changed or removed while weir runs are hot-reloaded.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PluginDirectory {
    /// The directory; none by default. Relative to the configuration
    /// file (to the working directory for the embedded default). A
    /// directory that does not exist holds no plugins.
    pub directory: Option<std::path::PathBuf>,
}

/// One pipeline: receivers → processors (in order) → exporters.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Pipeline {
    /// Receiver ids feeding this pipeline.
    pub receivers: Vec<String>,
    /// Processor ids, applied in this order (`batch`, `wasm/…`).
    #[serde(default)]
    pub processors: Vec<String>,
    /// Exporter ids that get every record the processors keep.
    pub exporters: Vec<String>,
    /// Named routes a plugin can send records to: route name → exporter
    /// ids. A record sent to a route not listed here goes to
    /// `dead_letter`, with the reason in the log and a metric.
    #[serde(default)]
    pub routes: IndexMap<String, Vec<String>>,
    /// Requests that may wait for the pipeline before receivers answer
    /// "retry later" (HTTP 503 with `Retry-After`, gRPC `UNAVAILABLE`).
    /// Default 256.
    #[serde(default = "default_queue_size")]
    pub queue_size: usize,
    /// Bytes (in MiB) of requests the pipeline may hold — in its queue,
    /// batcher and workers, until its exporters' queues take them —
    /// before receivers answer "retry later". Bounds the pipeline's
    /// memory however large the requests and however many connections
    /// send at once. A request is taken whatever its size while the
    /// pipeline holds nothing. Default 64.
    #[serde(default = "default_queue_size_mib")]
    pub queue_size_mib: u64,
    /// Exporter ids for batches a plugin failed on (when its `on_failure`
    /// is `dead_letter`) and records sent to unknown routes. Empty: such
    /// records are dropped, counted and logged.
    #[serde(default)]
    pub dead_letter: Vec<String>,
}

fn default_queue_size() -> usize {
    256
}

fn default_queue_size_mib() -> u64 {
    64
}

/// weir's own telemetry.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Telemetry {
    /// `host:port` serving `/metrics` (Prometheus), `/healthz` and
    /// `/readyz`. Default `localhost:8888`, the Collector's metrics port.
    pub address: String,
}

impl Default for Telemetry {
    fn default() -> Self {
        Telemetry {
            address: "localhost:8888".into(),
        }
    }
}
