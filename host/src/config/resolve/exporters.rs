//! The `exporters` section: each exporter's own settings parsed and
//! checked by its type, and the keys every exporter takes
//! (`sending_queue`, `retry_on_failure`), with the `file_storage` a
//! durable queue names.

use indexmap::IndexMap;
use serde::Deserialize;

use super::extensions::{self, Extensions};
use super::{Exporter, ExporterSpec, component_type, field};
use crate::config::exporter_base::ExporterBase;
use crate::config::{RawConfig, Result, component};
use crate::exporter::{
    InfluxDbExporter, InvalidSetting, KafkaExporter, OtlpExporter, OtlpHttpExporter,
    PrometheusRemoteWriteExporter, S3Exporter, VictoriaLogsExporter, VictoriaMetricsExporter,
};

/// Every exporter defined, by id.
pub(super) fn resolve(
    raw: &RawConfig,
    extensions: &Extensions,
) -> Result<IndexMap<String, ExporterSpec>> {
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
        // Each type's settings, parsed and held to its own `validate`.
        let at = format!("exporters.{id}");
        let kind = match component_type(id) {
            "file" => Exporter::File(component("exporters", id, value)?),
            "debug" => Exporter::Debug(component("exporters", id, value)?),
            "null" => Exporter::Null(component("exporters", id, value)?),
            "otlp" => {
                let mut otlp = validated(id, value, OtlpExporter::validate)?;
                extensions::resolve_auth(&mut otlp.auth, &at, extensions)?;
                Exporter::Otlp(otlp)
            }
            "jaeger" => {
                let mut jaeger = validated(id, value, OtlpExporter::validate)?;
                extensions::resolve_auth(&mut jaeger.auth, &at, extensions)?;
                Exporter::Jaeger(jaeger)
            }
            "otlphttp" => {
                let mut otlphttp = validated(id, value, OtlpHttpExporter::validate)?;
                extensions::resolve_auth(&mut otlphttp.auth, &at, extensions)?;
                Exporter::OtlpHttp(otlphttp)
            }
            "kafka" => Exporter::Kafka(Box::new(validated(id, value, KafkaExporter::validate)?)),
            "influxdb" => {
                Exporter::InfluxDb(Box::new(validated(id, value, InfluxDbExporter::validate)?))
            }
            "prometheusremotewrite" => Exporter::PrometheusRemoteWrite(Box::new(validated(
                id,
                value,
                PrometheusRemoteWriteExporter::validate,
            )?)),
            "victoriametrics" => Exporter::VictoriaMetrics(Box::new(validated(
                id,
                value,
                VictoriaMetricsExporter::validate,
            )?)),
            "victorialogs" => Exporter::VictoriaLogs(Box::new(validated(
                id,
                value,
                VictoriaLogsExporter::validate,
            )?)),
            "s3" => {
                let s3 = validated(id, value, S3Exporter::validate)?;
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
    Ok(defined_exporters)
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

/// Exporter `id`'s settings of type `T`, parsed from `value` and checked
/// by `validate`, whose error names the key at fault under the exporter.
fn validated<T: for<'de> Deserialize<'de>>(
    id: &str,
    value: &serde_norway::Value,
    validate: impl FnOnce(&T) -> std::result::Result<(), InvalidSetting>,
) -> Result<T> {
    let settings: T = component("exporters", id, value)?;
    validate(&settings).map_err(|e| field(format!("exporters.{id}.{}", e.field), e.message))?;
    Ok(settings)
}
