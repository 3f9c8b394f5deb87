//! Stage two: from the raw sections to a [`Config`] whose every reference
//! is known to exist and every component's settings are parsed. Nothing is
//! started until this has succeeded, so a bad file fails at once, whole.
//!
//! One step per section, in the order their references need: the
//! [`extensions`] (which receivers and exporters name), the
//! [`receivers`], the [`processors`], the [`exporters`], and last the
//! [`pipelines`] that tie them together, which also keep only the
//! exporters and memory limiters some pipeline uses.

mod exporters;
mod extensions;
mod pipelines;
mod processors;
mod receivers;
#[cfg(test)]
mod tests;

use std::path::Path;

use indexmap::IndexMap;

use super::components::{
    BatchProcessor, DebugExporter, FileExporter, MemoryLimiterProcessor, NullExporter,
    WasmProcessor,
};
use super::exporter_base::{ExporterBase, FileStorage};
use super::service::Telemetry;
use super::{Error, RawConfig, Result};
use crate::exporter::{
    InfluxDbExporter, KafkaExporter, OtlpExporter, OtlpHttpExporter, PrometheusRemoteWriteExporter,
    S3Exporter, VictoriaLogsExporter, VictoriaMetricsExporter,
};
use crate::otlp::Signal;
use crate::receiver::{KafkaReceiver, OtlpReceiver};

/// A validated configuration, ready to start.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Receivers by id.
    pub receivers: IndexMap<String, Receiver>,
    /// Exporters by id (only those some pipeline uses).
    pub exporters: IndexMap<String, ExporterSpec>,
    /// Pipelines, in file order.
    pub pipelines: Vec<PipelineSpec>,
    /// weir's own telemetry.
    pub telemetry: Telemetry,
    /// The plugin directory, if any (absolute or relative to the working
    /// directory).
    pub plugin_directory: Option<std::path::PathBuf>,
    /// The `memory_limiter` processors some pipeline lists, by id.
    pub memory_limiters: IndexMap<String, MemoryLimiterProcessor>,
}

/// A receiver's resolved settings.
#[derive(Clone, Debug, PartialEq)]
pub enum Receiver {
    /// OTLP over gRPC and HTTP.
    Otlp(Box<OtlpReceiver>),
    /// OTLP messages from Kafka topics.
    Kafka(Box<KafkaReceiver>),
}

/// An exporter: its own settings and the ones every exporter takes.
#[derive(Clone, Debug, PartialEq)]
pub struct ExporterSpec {
    /// The type's own settings.
    pub kind: Exporter,
    /// `sending_queue` and `retry_on_failure`.
    pub base: ExporterBase,
    /// The durable queue's storage, when `sending_queue.storage` names a
    /// `file_storage` extension.
    pub storage: Option<FileStorage>,
}

/// An exporter's resolved settings.
#[derive(Clone, Debug, PartialEq)]
pub enum Exporter {
    /// OTLP/JSON files.
    File(FileExporter),
    /// Log lines.
    Debug(DebugExporter),
    /// Discard.
    Null(NullExporter),
    /// OTLP/gRPC to a Collector or a store.
    Otlp(OtlpExporter),
    /// OTLP/HTTP to a Collector or a store.
    OtlpHttp(OtlpHttpExporter),
    /// OTLP messages to Kafka topics.
    Kafka(Box<KafkaExporter>),
    /// Line protocol to InfluxDB.
    InfluxDb(Box<InfluxDbExporter>),
    /// Prometheus remote write (metrics only).
    PrometheusRemoteWrite(Box<PrometheusRemoteWriteExporter>),
    /// VictoriaMetrics over OTLP/HTTP or remote write (metrics only).
    VictoriaMetrics(Box<VictoriaMetricsExporter>),
    /// Log records to VictoriaLogs.
    VictoriaLogs(Box<VictoriaLogsExporter>),
    /// Spans to Jaeger: exactly the `otlp` exporter (OTLP/gRPC, to
    /// Jaeger's port 4317) under a name that says where they go, and
    /// refused for logs and metrics, which Jaeger does not store.
    Jaeger(OtlpExporter),
    /// Objects in S3: the archive.
    S3(Box<S3Exporter>),
}

impl Exporter {
    /// The signals an exporter of this type takes, if not all of them.
    fn only_signals(&self) -> Option<&'static [Signal]> {
        match self {
            Exporter::VictoriaLogs(_) => Some(&[Signal::Logs]),
            Exporter::Jaeger(_) => Some(&[Signal::Traces]),
            Exporter::PrometheusRemoteWrite(_) | Exporter::VictoriaMetrics(_) => {
                Some(&[Signal::Metrics])
            }
            _ => None,
        }
    }
}

/// A plugin in a pipeline's chain.
#[derive(Clone, Debug, PartialEq)]
pub struct PluginSpec {
    /// The processor id, e.g. `wasm/redact`.
    pub id: String,
    /// Its settings, with `path` made absolute and `config` as JSON.
    pub settings: WasmProcessor,
    /// The plugin's configuration as JSON text (`{}` if none).
    pub config_json: String,
}

/// One resolved pipeline.
#[derive(Clone, Debug, PartialEq)]
pub struct PipelineSpec {
    /// The id, e.g. `logs` or `logs/audit`.
    pub id: String,
    /// Its signal, from the id.
    pub signal: Signal,
    /// Receiver ids.
    pub receivers: Vec<String>,
    /// Batching, if a `batch` processor is in the chain.
    pub batch: Option<BatchProcessor>,
    /// The id of its `memory_limiter` processor, if it has one.
    pub memory_limiter: Option<String>,
    /// Plugins, in order.
    pub plugins: Vec<PluginSpec>,
    /// Exporter ids for kept records.
    pub exporters: Vec<String>,
    /// Route name → exporter ids.
    pub routes: IndexMap<String, Vec<String>>,
    /// Exporter ids for dead letters.
    pub dead_letter: Vec<String>,
    /// Capacity of the input queue, in requests.
    pub queue_size: usize,
    /// Bytes the pipeline may hold, in MiB.
    pub queue_size_mib: u64,
}

fn component_type(id: &str) -> &str {
    id.split_once('/').map_or(id, |(t, _)| t)
}

fn field(path: impl Into<String>, message: impl Into<String>) -> Error {
    Error::Field {
        path: path.into(),
        message: message.into(),
    }
}

/// Validates `raw`; relative plugin paths are taken from `base`.
pub(crate) fn resolve(raw: RawConfig, base: &Path) -> Result<Config> {
    let extensions = extensions::resolve(&raw)?;
    let receivers = receivers::resolve(&raw, &extensions)?;
    let processors = processors::resolve(&raw, base)?;
    let exporters = exporters::resolve(&raw, &extensions)?;
    let used = pipelines::resolve(&raw, &receivers, &processors, &exporters)?;
    Ok(Config {
        receivers,
        exporters: used.exporters,
        pipelines: used.pipelines,
        telemetry: raw.service.telemetry,
        plugin_directory: raw.service.plugins.directory.map(|d| base.join(d)),
        memory_limiters: used.memory_limiters,
    })
}
