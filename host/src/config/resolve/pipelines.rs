//! The pipelines of `service.pipelines`: each one's receivers,
//! processors and exporters looked up among those defined, its exporters
//! checked against its signal, and what the pipelines use gathered (the
//! only exporters and memory limiters that start).

use indexmap::IndexMap;

use super::processors::Processors;
use super::{Exporter, ExporterSpec, PipelineSpec, Receiver, component_type, field};
use crate::config::components::MemoryLimiterProcessor;
use crate::config::{RawConfig, Result};
use crate::otlp::Signal;

/// The largest `queue_size_mib`: 1 TiB, far past any machine's memory,
/// and small enough that the byte count cannot overflow.
const MAX_QUEUE_SIZE_MIB: u64 = 1 << 20;

/// The pipelines, and what they use.
pub(super) struct Used {
    pub pipelines: Vec<PipelineSpec>,
    /// The exporters some pipeline lists, by id.
    pub exporters: IndexMap<String, ExporterSpec>,
    /// The memory limiters some pipeline lists, by id.
    pub memory_limiters: IndexMap<String, MemoryLimiterProcessor>,
}

/// Every pipeline, checked against the components defined.
pub(super) fn resolve(
    raw: &RawConfig,
    receivers: &IndexMap<String, Receiver>,
    processors: &Processors,
    defined_exporters: &IndexMap<String, ExporterSpec>,
) -> Result<Used> {
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
            if let Some(limiter) = processors.limiters.get(proc_id) {
                // It guards the door: data refused there costs nothing.
                if i != 0 {
                    return Err(field(
                        format!("{}[{i}]", at("processors")),
                        "memory_limiter refuses data as it arrives: list it first",
                    ));
                }
                used_limiters.insert(proc_id.clone(), limiter.clone());
                memory_limiter = Some(proc_id.clone());
            } else if let Some(b) = processors.batches.get(proc_id) {
                if batch.is_some() {
                    return Err(field(
                        format!("{}[{i}]", at("processors")),
                        "only one batch processor per pipeline",
                    ));
                }
                batch = Some(b.clone());
            } else if let Some(plugin) = processors.plugins.get(proc_id) {
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
                check_s3_age(e, &exporter.kind, id, &p.receivers, receivers)?;
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
    Ok(Used {
        pipelines,
        exporters: used_exporters,
        memory_limiters: used_limiters,
    })
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
