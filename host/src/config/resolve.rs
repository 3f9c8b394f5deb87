//! Stage two: from the raw sections to a [`Config`] whose every reference
//! is known to exist and every component's settings are parsed. Nothing is
//! started until this has succeeded, so a bad file fails at once, whole.

use std::path::Path;

use indexmap::IndexMap;

use super::components::{
    BatchProcessor, DebugExporter, FileExporter, MemoryLimiterProcessor, NullExporter,
    WasmProcessor,
};
use super::exporter_base::{ExporterBase, FileStorage};
use super::service::Telemetry;
use super::{Error, RawConfig, Result, component};
use crate::auth::{AuthSettings, BearerTokenAuth};
use crate::exporter::{
    InfluxDbExporter, KafkaExporter, OtlpExporter, OtlpHttpExporter, PrometheusRemoteWriteExporter,
    S3Exporter, VictoriaLogsExporter, VictoriaMetricsExporter,
};
use crate::otlp::Signal;
use crate::receiver::tls::ServerTlsSettings;
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

/// The largest `queue_size_mib`: 1 TiB, far past any machine's memory,
/// and small enough that the byte count cannot overflow.
const MAX_QUEUE_SIZE_MIB: u64 = 1 << 20;

fn component_type(id: &str) -> &str {
    id.split_once('/').map_or(id, |(t, _)| t)
}

fn field(path: impl Into<String>, message: impl Into<String>) -> Error {
    Error::Field {
        path: path.into(),
        message: message.into(),
    }
}

/// The extensions `service.extensions` turns on, by id and type.
#[derive(Default)]
struct Extensions {
    storages: IndexMap<String, FileStorage>,
    authenticators: IndexMap<String, BearerTokenAuth>,
}

fn resolve_extensions(raw: &RawConfig) -> Result<Extensions> {
    let mut extensions = Extensions::default();
    for (i, id) in raw.service.extensions.iter().enumerate() {
        let value = raw.extensions.get(id).ok_or_else(|| {
            field(
                format!("service.extensions[{i}]"),
                format!("extension `{id}` is not defined under `extensions`"),
            )
        })?;
        match component_type(id) {
            "file_storage" => {
                let storage: FileStorage = component("extensions", id, value)?;
                extensions.storages.insert(id.clone(), storage);
            }
            "bearertokenauth" => {
                let auth: BearerTokenAuth = component("extensions", id, value)?;
                auth.validate()
                    .map_err(|(key, message)| field(format!("extensions.{id}.{key}"), message))?;
                extensions.authenticators.insert(id.clone(), auth);
            }
            other => {
                return Err(field(
                    format!("extensions.{id}"),
                    format!(
                        "unknown extension type `{other}` (known: file_storage, bearertokenauth)"
                    ),
                ));
            }
        }
    }
    for id in raw.extensions.keys() {
        if !raw.service.extensions.contains(id) {
            tracing::warn!(extension = %id, "extension defined but not listed in service.extensions: not started");
        }
    }
    Ok(extensions)
}

/// Fills in the extension an `auth` block at `at` names.
fn resolve_auth(auth: &mut Option<AuthSettings>, at: &str, extensions: &Extensions) -> Result<()> {
    if let Some(auth) = auth {
        let name = &auth.authenticator;
        let settings = extensions.authenticators.get(name).ok_or_else(|| {
            field(
                format!("{at}.auth.authenticator"),
                format!(
                    "`{name}` is not a bearertokenauth extension defined under `extensions` \
                     and listed in `service.extensions`"
                ),
            )
        })?;
        auth.resolved = Some(settings.clone());
    }
    Ok(())
}

/// Checks a receiver protocol's `tls` block at `at`, reading its files.
fn check_server_tls(tls: Option<&ServerTlsSettings>, at: &str) -> Result<()> {
    if let Some(tls) = tls {
        tls.validate()
            .map_err(|e| field(format!("{at}.{}", e.field), e.message))?;
    }
    Ok(())
}

/// Splits an exporter's settings into the keys every exporter takes and
/// the type's own.
fn split_base(
    id: &str,
    value: &serde_norway::Value,
) -> Result<(ExporterBase, serde_norway::Value)> {
    let mut own = match value {
        serde_norway::Value::Mapping(map) => map.clone(),
        _ => return Ok((ExporterBase::default(), value.clone())),
    };
    let mut base = serde_norway::Mapping::new();
    for key in ["sending_queue", "retry_on_failure"] {
        if let Some(v) = own.remove(key) {
            base.insert(key.into(), v);
        }
    }
    let base = component("exporters", id, &serde_norway::Value::Mapping(base))?;
    Ok((base, serde_norway::Value::Mapping(own)))
}

/// An exporter for some signals only (a store of logs, of metrics or of
/// traces) is refused in a pipeline of another signal. An `otlphttp`
/// exporter needs a URL for each signal it is sent: a logs-only one may
/// give `logs_endpoint` alone, as in the Collector.
fn check_signal_endpoint(
    id: &str,
    exporter: &Exporter,
    pipeline: &str,
    signal: Signal,
) -> Result<()> {
    if let Some(signals) = exporter.only_signals()
        && !signals.contains(&signal)
    {
        let takes = signals
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" or ");
        return Err(field(
            format!("exporters.{id}"),
            format!(
                "pipeline `{pipeline}` sends it {signal}, but a {} exporter takes {takes} only: \
                 use it in {takes} pipelines",
                component_type(id),
            ),
        ));
    }
    if let Exporter::OtlpHttp(settings) = exporter
        && settings.signal_url(signal).is_none()
    {
        return Err(field(
            format!("exporters.{id}"),
            format!(
                "pipeline `{pipeline}` sends it {signal}, but it has no endpoint for them: \
                 set `endpoint` or `{signal}_endpoint`"
            ),
        ));
    }
    Ok(())
}

/// The longest `rollover.max_age` of an `s3` exporter fed by an OTLP
/// receiver: the receiver answers "retry later" once a request has waited
/// 30 s for its acknowledgement, and the s3 exporter acknowledges a batch
/// only once its object is uploaded, so a longer age would make every
/// sender retry (and its records be archived twice).
pub const S3_MAX_AGE_UNDER_OTLP: std::time::Duration = std::time::Duration::from_secs(20);

fn check_s3_age(
    id: &str,
    exporter: &Exporter,
    pipeline: &str,
    pipeline_receivers: &[String],
    receivers: &IndexMap<String, Receiver>,
) -> Result<()> {
    let Exporter::S3(settings) = exporter else {
        return Ok(());
    };
    let otlp = pipeline_receivers
        .iter()
        .find(|r| matches!(receivers.get(*r), Some(Receiver::Otlp(_))));
    if let Some(otlp) = otlp
        && settings.rollover.max_age > S3_MAX_AGE_UNDER_OTLP
    {
        return Err(field(
            format!("exporters.{id}.rollover.max_age"),
            format!(
                "pipeline `{pipeline}` is fed by OTLP receiver `{otlp}`, whose senders wait at \
                 most 30s for their records to be archived; set it to {}s or less, or feed the \
                 archive from Kafka",
                S3_MAX_AGE_UNDER_OTLP.as_secs()
            ),
        ));
    }
    Ok(())
}

/// Validates `raw`; relative plugin paths are taken from `base`.
pub(crate) fn resolve(raw: RawConfig, base: &Path) -> Result<Config> {
    let extensions = resolve_extensions(&raw)?;
    let mut receivers = IndexMap::new();
    for (id, value) in &raw.receivers {
        match component_type(id) {
            "otlp" => {
                let mut otlp: OtlpReceiver = component("receivers", id, value)?;
                if otlp.protocols.grpc.is_none() && otlp.protocols.http.is_none() {
                    return Err(field(
                        format!("receivers.{id}.protocols"),
                        "enable at least one of `grpc` and `http`",
                    ));
                }
                if let Some(grpc) = &mut otlp.protocols.grpc {
                    let at = format!("receivers.{id}.protocols.grpc");
                    check_server_tls(grpc.tls.as_ref(), &at)?;
                    resolve_auth(&mut grpc.auth, &at, &extensions)?;
                }
                if let Some(http) = &mut otlp.protocols.http {
                    let at = format!("receivers.{id}.protocols.http");
                    check_server_tls(http.tls.as_ref(), &at)?;
                    resolve_auth(&mut http.auth, &at, &extensions)?;
                }
                receivers.insert(id.clone(), Receiver::Otlp(Box::new(otlp)));
            }
            "kafka" => {
                let kafka: KafkaReceiver = component("receivers", id, value)?;
                kafka
                    .validate()
                    .map_err(|e| field(format!("receivers.{id}.{}", e.field), e.message))?;
                receivers.insert(id.clone(), Receiver::Kafka(Box::new(kafka)));
            }
            other => {
                return Err(field(
                    format!("receivers.{id}"),
                    format!("unknown receiver type `{other}` (known: otlp, kafka)"),
                ));
            }
        }
    }

    let mut batches = IndexMap::new();
    let mut plugins = IndexMap::new();
    let mut limiters = IndexMap::new();
    for (id, value) in &raw.processors {
        match component_type(id) {
            "memory_limiter" => {
                let limiter: MemoryLimiterProcessor = component("processors", id, value)?;
                if limiter.check_interval.is_zero() {
                    return Err(field(
                        format!("processors.{id}.check_interval"),
                        "required, above 0 (e.g. 1s)",
                    ));
                }
                let (limit, spike, unit) = if limiter.limit_mib > 0 {
                    (limiter.limit_mib, limiter.spike_limit_mib, "mib")
                } else if limiter.limit_percentage > 0 {
                    if limiter.limit_percentage > 100 {
                        return Err(field(
                            format!("processors.{id}.limit_percentage"),
                            "at most 100",
                        ));
                    }
                    (
                        u64::from(limiter.limit_percentage),
                        limiter.spike_limit_percentage.map(u64::from),
                        "percentage",
                    )
                } else {
                    return Err(field(
                        format!("processors.{id}.limit_mib"),
                        "give `limit_mib` or `limit_percentage`",
                    ));
                };
                if spike.is_some_and(|spike| spike >= limit) {
                    return Err(field(
                        format!("processors.{id}.spike_limit_{unit}"),
                        format!("must be below `limit_{unit}`"),
                    ));
                }
                limiters.insert(id.clone(), limiter);
            }
            "batch" => {
                let batch: BatchProcessor = component("processors", id, value)?;
                if batch.send_batch_size == 0 {
                    return Err(field(
                        format!("processors.{id}.send_batch_size"),
                        "must be at least 1",
                    ));
                }
                batches.insert(id.clone(), batch);
            }
            "wasm" => {
                let mut wasm: WasmProcessor = component("processors", id, value)?;
                if wasm.path.is_relative() {
                    wasm.path = base.join(&wasm.path);
                }
                let config_json = match &wasm.config {
                    None => "{}".to_string(),
                    Some(v) => serde_json::to_string(v)
                        .map_err(|e| field(format!("processors.{id}.config"), e.to_string()))?,
                };
                plugins.insert(
                    id.clone(),
                    PluginSpec {
                        id: id.clone(),
                        settings: wasm,
                        config_json,
                    },
                );
            }
            other => {
                return Err(field(
                    format!("processors.{id}"),
                    format!(
                        "unknown processor type `{other}` (known: batch, memory_limiter, wasm)"
                    ),
                ));
            }
        }
    }

    let mut defined_exporters = IndexMap::new();
    let storages = &extensions.storages;
    for (id, value) in &raw.exporters {
        let (base, value) = split_base(id, value)?;
        let storage = match &base.sending_queue.storage {
            None => None,
            Some(name) => Some(storages.get(name).cloned().ok_or_else(|| {
                field(
                    format!("exporters.{id}.sending_queue.storage"),
                    format!(
                        "`{name}` is not a file_storage extension defined under `extensions` \
                         and listed in `service.extensions`"
                    ),
                )
            })?),
        };
        if base.sending_queue.queue_size == 0 {
            return Err(field(
                format!("exporters.{id}.sending_queue.queue_size"),
                "must be at least 1",
            ));
        }
        if storage.is_some() && base.sending_queue.max_size_mib == 0 {
            return Err(field(
                format!("exporters.{id}.sending_queue.max_size_mib"),
                "must be at least 1",
            ));
        }
        let value = &value;
        let kind = match component_type(id) {
            "file" => Exporter::File(component("exporters", id, value)?),
            "debug" => Exporter::Debug(component("exporters", id, value)?),
            "null" => Exporter::Null(component("exporters", id, value)?),
            "otlp" => {
                let mut otlp: OtlpExporter = component("exporters", id, value)?;
                otlp.validate()
                    .map_err(|e| field(format!("exporters.{id}.{}", e.field), e.message))?;
                resolve_auth(&mut otlp.auth, &format!("exporters.{id}"), &extensions)?;
                Exporter::Otlp(otlp)
            }
            "jaeger" => {
                let mut jaeger: OtlpExporter = component("exporters", id, value)?;
                jaeger
                    .validate()
                    .map_err(|e| field(format!("exporters.{id}.{}", e.field), e.message))?;
                resolve_auth(&mut jaeger.auth, &format!("exporters.{id}"), &extensions)?;
                Exporter::Jaeger(jaeger)
            }
            "otlphttp" => {
                let mut otlphttp: OtlpHttpExporter = component("exporters", id, value)?;
                otlphttp
                    .validate()
                    .map_err(|e| field(format!("exporters.{id}.{}", e.field), e.message))?;
                resolve_auth(&mut otlphttp.auth, &format!("exporters.{id}"), &extensions)?;
                Exporter::OtlpHttp(otlphttp)
            }
            "kafka" => {
                let kafka: KafkaExporter = component("exporters", id, value)?;
                kafka
                    .validate()
                    .map_err(|e| field(format!("exporters.{id}.{}", e.field), e.message))?;
                Exporter::Kafka(Box::new(kafka))
            }
            "influxdb" => {
                let influxdb: InfluxDbExporter = component("exporters", id, value)?;
                influxdb
                    .validate()
                    .map_err(|e| field(format!("exporters.{id}.{}", e.field), e.message))?;
                Exporter::InfluxDb(Box::new(influxdb))
            }
            "prometheusremotewrite" => {
                let prw: PrometheusRemoteWriteExporter = component("exporters", id, value)?;
                prw.validate()
                    .map_err(|e| field(format!("exporters.{id}.{}", e.field), e.message))?;
                Exporter::PrometheusRemoteWrite(Box::new(prw))
            }
            "victoriametrics" => {
                let vm: VictoriaMetricsExporter = component("exporters", id, value)?;
                vm.validate()
                    .map_err(|e| field(format!("exporters.{id}.{}", e.field), e.message))?;
                Exporter::VictoriaMetrics(Box::new(vm))
            }
            "victorialogs" => {
                let victorialogs: VictoriaLogsExporter = component("exporters", id, value)?;
                victorialogs
                    .validate()
                    .map_err(|e| field(format!("exporters.{id}.{}", e.field), e.message))?;
                Exporter::VictoriaLogs(Box::new(victorialogs))
            }
            "s3" => {
                let s3: S3Exporter = component("exporters", id, value)?;
                s3.validate()
                    .map_err(|e| field(format!("exporters.{id}.{}", e.field), e.message))?;
                if storage.is_some() {
                    return Err(field(
                        format!("exporters.{id}.sending_queue.storage"),
                        "the s3 exporter acknowledges a batch once the object holding it is \
                         uploaded; a durable queue in front of it is not supported",
                    ));
                }
                Exporter::S3(Box::new(s3))
            }
            other => {
                return Err(field(
                    format!("exporters.{id}"),
                    format!(
                        "unknown exporter type `{other}` (known: file, debug, null, otlp, \
                         otlphttp, kafka, influxdb, prometheusremotewrite, victoriametrics, \
                         victorialogs, jaeger, s3)"
                    ),
                ));
            }
        };
        defined_exporters.insert(
            id.clone(),
            ExporterSpec {
                kind,
                base,
                storage,
            },
        );
    }

    if raw.service.pipelines.is_empty() {
        return Err(field("service.pipelines", "define at least one pipeline"));
    }
    let mut pipelines = Vec::new();
    let mut used_exporters = IndexMap::new();
    let mut used_limiters = IndexMap::new();
    for (id, p) in &raw.service.pipelines {
        let at = |what: &str| format!("service.pipelines.{id}.{what}");
        let signal: Signal = component_type(id)
            .parse()
            .map_err(|e: String| field(format!("service.pipelines.{id}"), e))?;
        if p.receivers.is_empty() {
            return Err(field(at("receivers"), "list at least one receiver"));
        }
        for (i, r) in p.receivers.iter().enumerate() {
            if !receivers.contains_key(r) {
                return Err(field(
                    format!("{}[{i}]", at("receivers")),
                    format!("receiver `{r}` is not defined under `receivers`"),
                ));
            }
        }
        let mut batch = None;
        let mut memory_limiter = None;
        let mut chain = Vec::new();
        for (i, proc_id) in p.processors.iter().enumerate() {
            if let Some(limiter) = limiters.get(proc_id) {
                // It guards the door: data refused there costs nothing.
                if i != 0 {
                    return Err(field(
                        format!("{}[{i}]", at("processors")),
                        "memory_limiter refuses data as it arrives: list it first",
                    ));
                }
                used_limiters.insert(proc_id.clone(), limiter.clone());
                memory_limiter = Some(proc_id.clone());
            } else if let Some(b) = batches.get(proc_id) {
                if batch.is_some() {
                    return Err(field(
                        format!("{}[{i}]", at("processors")),
                        "only one batch processor per pipeline",
                    ));
                }
                batch = Some(b.clone());
            } else if let Some(plugin) = plugins.get(proc_id) {
                chain.push(plugin.clone());
            } else {
                return Err(field(
                    format!("{}[{i}]", at("processors")),
                    format!("processor `{proc_id}` is not defined under `processors`"),
                ));
            }
        }
        if p.exporters.is_empty() {
            return Err(field(at("exporters"), "list at least one exporter"));
        }
        if p.queue_size == 0 {
            return Err(field(at("queue_size"), "must be at least 1"));
        }
        if p.queue_size_mib == 0 || p.queue_size_mib > MAX_QUEUE_SIZE_MIB {
            return Err(field(
                at("queue_size_mib"),
                format!("must be from 1 to {MAX_QUEUE_SIZE_MIB}"),
            ));
        }
        let mut check_exporters = |list: &[String], what: String| -> Result<()> {
            for (i, e) in list.iter().enumerate() {
                let exporter = defined_exporters.get(e).ok_or_else(|| {
                    field(
                        format!("{what}[{i}]"),
                        format!("exporter `{e}` is not defined under `exporters`"),
                    )
                })?;
                check_signal_endpoint(e, &exporter.kind, id, signal)?;
                check_s3_age(e, &exporter.kind, id, &p.receivers, &receivers)?;
                used_exporters.insert(e.clone(), exporter.clone());
            }
            Ok(())
        };
        check_exporters(&p.exporters, at("exporters"))?;
        check_exporters(&p.dead_letter, at("dead_letter"))?;
        for (route, list) in &p.routes {
            if list.is_empty() {
                return Err(field(
                    at(&format!("routes.{route}")),
                    "list at least one exporter",
                ));
            }
            check_exporters(list, at(&format!("routes.{route}")))?;
        }
        pipelines.push(PipelineSpec {
            id: id.clone(),
            signal,
            receivers: p.receivers.clone(),
            batch,
            memory_limiter,
            plugins: chain,
            exporters: p.exporters.clone(),
            routes: p.routes.clone(),
            dead_letter: p.dead_letter.clone(),
            queue_size: p.queue_size,
            queue_size_mib: p.queue_size_mib,
        });
    }

    Ok(Config {
        receivers,
        exporters: used_exporters,
        pipelines,
        telemetry: raw.service.telemetry,
        plugin_directory: raw.service.plugins.directory.map(|d| base.join(d)),
        memory_limiters: used_limiters,
    })
}

#[cfg(test)]
mod tests {
    use super::super::{DEFAULT_YAML, parse};
    use super::*;

    fn resolve_text(text: &str) -> Result<Config> {
        resolve(parse(text)?, Path::new("/etc/weir"))
    }

    fn error(text: &str) -> String {
        resolve_text(text).unwrap_err().to_string()
    }

    #[test]
    fn the_embedded_default_resolves() {
        let config = resolve_text(DEFAULT_YAML).unwrap();
        let signals: Vec<_> = config.pipelines.iter().map(|p| p.signal).collect();
        assert_eq!(signals, [Signal::Logs, Signal::Metrics, Signal::Traces]);
        let Receiver::Otlp(otlp) = &config.receivers["otlp"] else {
            panic!("an otlp receiver")
        };
        assert_eq!(
            otlp.protocols.grpc.as_ref().unwrap().endpoint,
            "localhost:4317"
        );
        assert_eq!(
            otlp.protocols.http.as_ref().unwrap().max_request_body_size,
            20 << 20
        );
    }

    #[test]
    fn auth_names_a_listed_bearertokenauth_extension() {
        let config = |auth: &str, listed: &str| {
            format!(
                "extensions:\n  bearertokenauth:\n    token: t\n\
                 receivers:\n  otlp:\n    protocols:\n      http:\n        auth: {{authenticator: {auth}}}\n\
                 exporters:\n  null:\n\
                 service:\n  extensions: [{listed}]\n  pipelines:\n    logs:\n      receivers: [otlp]\n      exporters: [null]\n"
            )
        };
        let resolved = resolve_text(&config("bearertokenauth", "bearertokenauth")).unwrap();
        let Receiver::Otlp(otlp) = &resolved.receivers["otlp"] else {
            panic!("an otlp receiver")
        };
        let auth = otlp.protocols.http.as_ref().unwrap().auth.as_ref().unwrap();
        assert_eq!(auth.resolved.as_ref().unwrap().token.as_deref(), Some("t"));
        assert!(
            error(&config("bearertokenauth/other", "bearertokenauth")).starts_with(
                "receivers.otlp.protocols.http.auth.authenticator: `bearertokenauth/other` is not"
            ),
            "{}",
            error(&config("bearertokenauth/other", "bearertokenauth"))
        );
        let empty = "extensions:\n  bearertokenauth:\n    token: \"\"\n\
                     receivers:\n  otlp:\n    protocols:\n      http:\n\
                     exporters:\n  null:\n\
                     service:\n  extensions: [bearertokenauth]\n  pipelines:\n    logs:\n      receivers: [otlp]\n      exporters: [null]\n";
        assert!(
            error(empty).starts_with("extensions.bearertokenauth.token: "),
            "{}",
            error(empty)
        );
    }

    #[test]
    fn a_receiver_tls_block_needs_readable_files() {
        let text = "receivers:\n  otlp:\n    protocols:\n      grpc:\n        tls: {cert_file: /nonexistent/c.pem, key_file: /nonexistent/k.pem}\n\
                    exporters:\n  null:\n\
                    service:\n  pipelines:\n    logs:\n      receivers: [otlp]\n      exporters: [null]\n";
        assert!(
            error(text).starts_with("receivers.otlp.protocols.grpc.tls.cert_file: cannot read"),
            "{}",
            error(text)
        );
    }

    const MINIMAL: &str = "
receivers:
  otlp:
    protocols:
      grpc:
processors:
  wasm/filter:
    path: plugins/severity_filter.wasm
    config: {min_severity: WARN}
    timeout: 2s
exporters:
  null:
service:
  pipelines:
    logs:
      receivers: [otlp]
      processors: [wasm/filter]
      exporters: [null]
";

    #[test]
    fn metrics_only_exporters_are_refused_other_signals_naming_the_exporter() {
        let with = |exporter: &str, settings: &str| {
            MINIMAL
                .replace("  null:\n", &format!("  null:\n  {exporter}:\n{settings}"))
                .replace(
                    "exporters: [null]",
                    &format!("exporters: [null, {exporter}]"),
                )
        };
        assert_eq!(
            error(&with("victoriametrics", "    endpoint: http://vm:8428\n")),
            "exporters.victoriametrics: pipeline `logs` sends it logs, but a victoriametrics \
             exporter takes metrics only: use it in metrics pipelines"
        );
        assert_eq!(
            error(&with(
                "prometheusremotewrite/p",
                "    endpoint: http://p:9090/api/v1/write\n"
            )),
            "exporters.prometheusremotewrite/p: pipeline `logs` sends it logs, but a \
             prometheusremotewrite exporter takes metrics only: use it in metrics pipelines"
        );
        // influxdb takes every signal.
        let config = resolve_text(&with(
            "influxdb",
            "    endpoint: http://i:8086\n    v1_compatibility: {enabled: true, db: d}\n",
        ))
        .unwrap();
        assert!(matches!(
            config.exporters["influxdb"].kind,
            Exporter::InfluxDb(_)
        ));
        assert_eq!(
            error(&with("influxdb", "    endpoint: http://i:8086\n")),
            "exporters.influxdb.bucket: required (or set `v1_compatibility.enabled` and `db` for InfluxDB 1.x)"
        );
    }

    #[test]
    fn a_bare_protocol_key_means_its_defaults_and_plugins_resolve() {
        let config = resolve_text(MINIMAL).unwrap();
        let Receiver::Otlp(otlp) = &config.receivers["otlp"] else {
            panic!("an otlp receiver")
        };
        assert_eq!(
            otlp.protocols.grpc.as_ref().unwrap().max_recv_msg_size_mib,
            4
        );
        assert!(otlp.protocols.http.is_none());
        let plugin = &config.pipelines[0].plugins[0];
        assert_eq!(
            plugin.settings.path,
            Path::new("/etc/weir/plugins/severity_filter.wasm")
        );
        assert_eq!(plugin.config_json, r#"{"min_severity":"WARN"}"#);
        assert_eq!(plugin.settings.timeout, std::time::Duration::from_secs(2));
    }

    #[test]
    fn errors_name_the_field() {
        let typo = MINIMAL.replace("timeout: 2s", "timeout: soon");
        let err = error(&typo);
        assert!(err.starts_with("processors.wasm/filter.timeout:"), "{err}");

        let unknown = MINIMAL.replace("      grpc:", "      grpc:\n        endpont: x");
        let err = error(&unknown);
        assert!(
            err.contains("receivers.otlp.protocols.grpc") && err.contains("endpont"),
            "{err}"
        );

        let missing = MINIMAL.replace("exporters: [null]", "exporters: [file]");
        let err = error(&missing);
        assert_eq!(
            err,
            "service.pipelines.logs.exporters[0]: exporter `file` is not defined under `exporters`"
        );

        let bad_signal = MINIMAL.replace("    logs:\n", "    spans:\n");
        assert!(error(&bad_signal).contains("unknown signal `spans`"));

        let bad_type = MINIMAL.replace("  null:", "  nosuchsink:");
        assert!(error(&bad_type).contains("unknown exporter type `nosuchsink`"));

        let top = format!("{MINIMAL}\nconnectors: {{}}\n");
        assert!(error(&top).contains("connectors"), "{}", error(&top));
    }

    #[test]
    fn otlp_exporters_resolve_and_their_errors_name_the_field() {
        let with = |settings: &str| {
            MINIMAL
                .replace("  null:", &format!("  otlp/b:\n{settings}"))
                .replace("exporters: [null]", "exporters: [otlp/b]")
        };
        let config = resolve_text(&with(
            "    endpoint: collector:4317\n    tls: {insecure: true}\n    compression: zstd",
        ))
        .unwrap();
        let Exporter::Otlp(settings) = &config.exporters["otlp/b"].kind else {
            panic!("{:?}", config.exporters["otlp/b"]);
        };
        assert_eq!(settings.uri().as_deref(), Some("http://collector:4317"));

        assert!(
            error(&with("    endpoint: http://collector:4317")).starts_with(
                "exporters.otlp/b.tls.insecure: `http://collector:4317` asks for plaintext"
            )
        );
        assert_eq!(
            error(&with(
                "    endpoint: collector:4317\n    tls: {insecure: true, key_file: k.pem}"
            )),
            "exporters.otlp/b.tls.key_file: has no effect with `tls.insecure: true` \
             (plaintext); remove one of them"
        );
        // TLS files are read when the configuration is resolved, not on the
        // first export.
        assert!(
            error(&with(
                "    endpoint: collector:4317\n    tls: {ca_file: /nonexistent/ca.pem}"
            ))
            .starts_with("exporters.otlp/b.tls.ca_file: cannot read `/nonexistent/ca.pem`: "),
        );
        assert_eq!(
            error(&with("    tls: {insecure: true}")),
            "exporters.otlp/b.endpoint: set `endpoint`, e.g. `collector:4317` or \
             `http://collector:4317`"
        );
        assert!(
            error(&with(
                "    endpoint: c:4317\n    tls: {insecure: true}\n    timeout: soon"
            ))
            .starts_with("exporters.otlp/b.timeout:")
        );
        assert!(error(&MINIMAL.replace("  null:", "  otlpgrpc:")).contains(
            "unknown exporter type `otlpgrpc` (known: file, debug, null, otlp, otlphttp, kafka, \
             influxdb, prometheusremotewrite, victoriametrics, victorialogs, jaeger, s3)"
        ));
    }

    #[test]
    fn kafka_components_resolve_with_collector_keys_and_name_the_field_at_fault() {
        let yaml = "
receivers:
  kafka:
    brokers: [k1:9092, k2:9092]
    group_id: phase2
    logs: {topics: [tenant_a_logs, tenant_b_logs]}
    header_extraction: {extract_headers: true, headers: [tenant]}
exporters:
  kafka/out:
    brokers: [k1:9092]
    partition_traces_by_id: true
    traces: {topic: spans, encoding: otlp_json}
    producer: {compression: zstd, max_message_bytes: 500000}
    auth:
      sasl: {username: u, password: p, mechanism: SCRAM-SHA-256}
service:
  pipelines:
    logs:
      receivers: [kafka]
      exporters: [kafka/out]
";
        let config = resolve_text(yaml).unwrap();
        let Receiver::Kafka(receiver) = &config.receivers["kafka"] else {
            panic!("a kafka receiver")
        };
        assert_eq!(
            receiver.topics(Signal::Logs),
            ["tenant_a_logs", "tenant_b_logs"]
        );
        assert_eq!(receiver.topics(Signal::Traces), ["otlp_spans"]);
        let Exporter::Kafka(exporter) = &config.exporters["kafka/out"].kind else {
            panic!("a kafka exporter")
        };
        assert_eq!(exporter.topic(Signal::Logs), "otlp_logs");
        assert_eq!(exporter.topic(Signal::Traces), "spans");
        let client = exporter.client_config().unwrap();
        assert_eq!(client.get("compression.codec"), Some("zstd"));
        assert_eq!(client.get("acks"), Some("-1"));
        assert_eq!(client.get("enable.idempotence"), Some("true"));
        assert_eq!(client.get("security.protocol"), Some("sasl_plaintext"));

        let error = |from: &str, to: &str| {
            resolve_text(&yaml.replace(from, to))
                .unwrap_err()
                .to_string()
        };
        assert!(
            error("compression: zstd", "compression: brotli")
                .starts_with("exporters.kafka/out.producer.compression: unknown variant `brotli`"),
        );
        assert_eq!(
            error("mechanism: SCRAM-SHA-256", "mechanism: GSSAPI"),
            "exporters.kafka/out.auth.sasl.mechanism: `GSSAPI` is not supported \
             (supported: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512)"
        );
        assert_eq!(
            error(
                "group_id: phase2",
                "group_id: phase2\n    librdkafka: {enable.auto.commit: \"true\"}"
            ),
            "receivers.kafka.librdkafka.enable.auto.commit: weir commits offsets itself, \
             only once records are exported; this property cannot be changed"
        );
        assert_eq!(
            error(
                "logs: {topics: [tenant_a_logs, tenant_b_logs]}",
                "logs: {topics: [shared]}\n    traces: {topics: [shared]}"
            ),
            "receivers.kafka.traces.topics: topic `shared` is also a logs topic: one signal per topic"
        );
        assert!(
            error(
                "group_id: phase2",
                "group_id: phase2\n    message_marking: {after: true}"
            )
            .contains("unknown field `message_marking`")
        );
    }

    #[test]
    fn otlphttp_exporters_resolve_and_their_errors_name_the_field() {
        let with = |settings: &str| {
            MINIMAL
                .replace("  null:", &format!("  otlphttp/b:\n{settings}"))
                .replace("exporters: [null]", "exporters: [otlphttp/b]")
        };
        let config = resolve_text(&with(
            "    endpoint: http://collector:4318\n    encoding: json",
        ))
        .unwrap();
        let Exporter::OtlpHttp(settings) = &config.exporters["otlphttp/b"].kind else {
            panic!("{:?}", config.exporters["otlphttp/b"]);
        };
        assert_eq!(settings.endpoint.as_deref(), Some("http://collector:4318"));
        assert_eq!(
            settings.signal_url(Signal::Logs).as_deref(),
            Some("http://collector:4318/v1/logs")
        );

        assert_eq!(
            error(&with("    endpoint: collector:4318")),
            "exporters.otlphttp/b.endpoint: `collector:4318`: scheme `collector` is not http or https"
        );
        assert_eq!(
            error(&with(
                "    endpoint: http://c\n    headers: {Content-Encoding: br}"
            )),
            "exporters.otlphttp/b.headers.Content-Encoding: \
             set by the exporter from `encoding` and `compression`"
        );
        assert!(
            error(&with("    endpoint: http://c\n    compression: lz4"))
                .starts_with("exporters.otlphttp/b.compression: unknown variant `lz4`")
        );
        assert_eq!(
            error(&with("    traces_endpoint: http://jaeger:4318/v1/traces")),
            "exporters.otlphttp/b: pipeline `logs` sends it logs, but it has no endpoint \
             for them: set `endpoint` or `logs_endpoint`"
        );
        resolve_text(&with(
            "    logs_endpoint: http://vl:9428/insert/opentelemetry/v1/logs",
        ))
        .unwrap();
        assert!(
            error(&with(
                "    endpoint: https://c:4318\n    tls: {ca_file: /nonexistent/ca.pem}"
            ))
            .starts_with("exporters.otlphttp/b.tls.ca_file: cannot read `/nonexistent/ca.pem`: "),
        );
    }

    #[test]
    fn victorialogs_takes_logs_only_and_its_errors_name_the_field() {
        let with = |settings: &str| {
            MINIMAL
                .replace("  null:", &format!("  victorialogs/vl:\n{settings}"))
                .replace("exporters: [null]", "exporters: [victorialogs/vl]")
        };
        let config = resolve_text(&with(
            "    endpoint: http://vl:9428\n    mode: jsonline\n    account_id: 5",
        ))
        .unwrap();
        let Exporter::VictoriaLogs(settings) = &config.exporters["victorialogs/vl"].kind else {
            panic!("{:?}", config.exporters["victorialogs/vl"]);
        };
        assert_eq!(settings.account_id, Some(5));
        assert_eq!(
            settings.url().as_deref(),
            Some("http://vl:9428/insert/jsonline")
        );

        assert_eq!(
            error(&with("    mode: otlp")),
            "exporters.victorialogs/vl.endpoint: set the VictoriaLogs URL, \
             e.g. `http://victorialogs:9428`"
        );
        let traces = with("    endpoint: http://vl:9428").replace("    logs:", "    traces:");
        assert_eq!(
            error(&traces),
            "exporters.victorialogs/vl: pipeline `traces` sends it traces, \
             but a victorialogs exporter takes logs only: use it in logs pipelines"
        );
        let dead_letter = MINIMAL
            .replace(
                "  null:",
                "  null:\n  victorialogs:\n    endpoint: http://vl:9428",
            )
            .replace(
                "      exporters: [null]",
                "      exporters: [null]\n    metrics:\n      receivers: [otlp]\n      \
                 exporters: [null]\n      dead_letter: [victorialogs]",
            );
        assert_eq!(
            error(&dead_letter),
            "exporters.victorialogs: pipeline `metrics` sends it metrics, \
             but a victorialogs exporter takes logs only: use it in logs pipelines"
        );
    }

    #[test]
    fn jaeger_is_the_otlp_exporter_for_traces_only() {
        let with = |settings: &str, pipeline: &str| {
            MINIMAL
                .replace("  null:", &format!("  jaeger:\n{settings}"))
                .replace("exporters: [null]", "exporters: [jaeger]")
                .replace("    logs:", &format!("    {pipeline}:"))
                .replace("      processors: [wasm/filter]\n", "")
        };
        let config = resolve_text(&with(
            "    endpoint: jaeger-collector:4317\n    tls: {insecure: true}\n    compression: none",
            "traces",
        ))
        .unwrap();
        let Exporter::Jaeger(settings) = &config.exporters["jaeger"].kind else {
            panic!("{:?}", config.exporters["jaeger"]);
        };
        let otlp: OtlpExporter = serde_norway::from_str(
            "endpoint: jaeger-collector:4317\ntls: {insecure: true}\ncompression: none",
        )
        .unwrap();
        assert_eq!(settings, &otlp, "the otlp exporter's keys and meaning");

        assert_eq!(
            error(&with("    endpoint: jaeger:4317", "logs")),
            "exporters.jaeger: pipeline `logs` sends it logs, \
             but a jaeger exporter takes traces only: use it in traces pipelines"
        );
        assert_eq!(
            error(&with(
                "    endpoint: jaeger:4317\n    tls: {insecure: true}",
                "metrics/app"
            )),
            "exporters.jaeger: pipeline `metrics/app` sends it metrics, \
             but a jaeger exporter takes traces only: use it in traces pipelines"
        );
        assert!(
            error(&with("    tls: {insecure: true}", "traces"))
                .starts_with("exporters.jaeger.endpoint:"),
        );
    }

    #[test]
    fn s3_exporters_resolve_with_collector_keys_and_name_the_field_at_fault() {
        // Fed by Kafka: the default five-minute rollover is allowed.
        let config = |exporter: &str| {
            format!(
                "receivers:\n  kafka:\n    brokers: [k:9092]\n\
                 extensions:\n  file_storage: {{}}\n\
                 exporters:\n  s3/archive:\n{exporter}\n\
                 service:\n  extensions: [file_storage]\n  pipelines:\n    logs:\n      \
                 receivers: [kafka]\n      exporters: [s3/archive]\n"
            )
        };
        let resolved = resolve_text(&config(
            "    s3uploader:\n      s3_bucket: archive\n      compression: gzip\n    marshaler: parquet",
        ))
        .unwrap();
        let Exporter::S3(s3) = &resolved.exporters["s3/archive"].kind else {
            panic!("an s3 exporter")
        };
        assert_eq!(s3.s3uploader.s3_bucket, "archive");
        assert_eq!(s3.rollover.max_age, std::time::Duration::from_secs(300));
        assert_eq!(
            s3.s3uploader.request_checksum_calculation,
            crate::exporter::s3::ChecksumWhen::WhenRequired
        );

        let refused = |exporter: &str| error(&config(exporter));
        assert_eq!(
            refused("    s3uploader:\n      s3_bucket: ab"),
            "exporters.s3/archive.s3uploader.s3_bucket: required: the bucket's name (at least 3 characters)"
        );
        assert!(
            refused(
                "    s3uploader:\n      s3_bucket: archive\n      s3_partition_format: \"%Y/%Q\""
            )
            .starts_with(
                "exporters.s3/archive.s3uploader.s3_partition_format: `%Q` is not supported"
            )
        );
        assert!(
            refused("    s3uploader:\n      s3_bucket: archive\n    sending_queue:\n      storage: file_storage")
                .starts_with("exporters.s3/archive.sending_queue.storage: the s3 exporter acknowledges")
        );
        assert!(
            refused("    s3uploader:\n      s3_bucket: archive\n    bucket: x")
                .contains("unknown field `bucket`")
        );
    }
}
