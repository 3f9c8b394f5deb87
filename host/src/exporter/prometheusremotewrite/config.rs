//! The settings of the `prometheusremotewrite` exporter, with the
//! OpenTelemetry Collector's keys, and the checks `weir validate` runs.

use std::time::Duration;

use indexmap::IndexMap;
use serde::Deserialize;

use super::series::Translation;
use crate::exporter::InvalidSetting;
use crate::exporter::http::settings::{check_endpoint, check_headers};
use crate::exporter::tls::TlsSettings;

/// Exporter `prometheusremotewrite` (metrics only): sends metrics as
/// Prometheus remote write 1.0 requests (a snappy-compressed protobuf
/// `WriteRequest`) to Prometheus (`--web.enable-remote-write-receiver`,
/// `/api/v1/write`), Mimir, Thanos, Cortex or VictoriaMetrics. The keys
/// are the Collector's; OTLP metrics become series as the Collector's
/// translator makes them (see the README's mapping).
///
/// Delta sums and histograms, and exponential histograms, are refused:
/// the rest of the batch is sent, and those metrics go to the pipeline's
/// dead-letter exporters with the reason. A 2xx answer is success; 408,
/// 429 and 5xx are retried (after `Retry-After`); any other answer (a 400
/// for an out-of-order sample) refuses the batch for good with the
/// store's message.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PrometheusRemoteWriteExporter {
    /// The remote write URL, e.g. `http://prometheus:9090/api/v1/write`,
    /// used as it is. Required.
    pub endpoint: Option<String>,
    /// Extra headers sent with every request (e.g. `X-Scope-OrgID` for
    /// Mimir). `Content-Type`, `Content-Encoding`, `Content-Length` and
    /// `X-Prometheus-Remote-Write-Version` are set by the exporter.
    /// Default none.
    pub headers: IndexMap<String, String>,
    /// How long one request may take before it counts as a retryable
    /// failure; `0s` means no limit. Default `5s`, as the Collector's.
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
    /// Transport security for an `https://` endpoint; see
    /// [`TlsSettings`]. Default: the system's roots.
    pub tls: TlsSettings,
    /// Prefix (and `_`) of every metric name. Default none.
    pub namespace: String,
    /// Labels added to every series that has no label of that name.
    /// Default none.
    pub external_labels: IndexMap<String, String>,
    /// `enabled: true` turns every resource attribute into a label of
    /// each series. Default disabled.
    pub resource_to_telemetry_conversion: Enabled,
    /// `enabled: true` (default) sends a `target_info` series per
    /// resource, carrying its attributes.
    pub target_info: Enabled,
    /// Add unit and type suffixes to names (`_seconds`, `_total`,
    /// `_ratio`), as Prometheus names metrics. Default `true`.
    pub add_metric_suffixes: bool,
    /// A request is split so that no body exceeds this many bytes before
    /// compression (a single larger series is sent alone). Default
    /// 3000000.
    pub max_batch_size_bytes: usize,
    /// Also send each metric's type, description and unit. Default
    /// `false`.
    pub send_metadata: bool,
}

/// `{enabled: bool}`.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct Enabled {
    /// Whether it is on.
    pub enabled: bool,
}

impl Default for PrometheusRemoteWriteExporter {
    fn default() -> Self {
        let options = RemoteWriteOptions::default();
        PrometheusRemoteWriteExporter {
            endpoint: None,
            headers: IndexMap::new(),
            timeout: Duration::from_secs(5),
            tls: TlsSettings::default(),
            namespace: options.namespace,
            external_labels: options.external_labels,
            resource_to_telemetry_conversion: options.resource_to_telemetry_conversion,
            target_info: options.target_info,
            add_metric_suffixes: options.add_metric_suffixes,
            max_batch_size_bytes: options.max_batch_size_bytes,
            send_metadata: options.send_metadata,
        }
    }
}

/// The translation keys of `prometheusremotewrite`, as a block of their
/// own (the `victoriametrics` exporter's `remote_write`); each key means
/// what it means there.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RemoteWriteOptions {
    /// Prefix (and `_`) of every metric name. Default none.
    pub namespace: String,
    /// Labels added to every series without one of that name. Default
    /// none.
    pub external_labels: IndexMap<String, String>,
    /// `enabled: true` turns resource attributes into labels. Default
    /// disabled.
    pub resource_to_telemetry_conversion: Enabled,
    /// `enabled: true` (default) sends `target_info` series.
    pub target_info: Enabled,
    /// Unit and type suffixes on names. Default `true`.
    pub add_metric_suffixes: bool,
    /// Largest body before compression. Default 3000000.
    pub max_batch_size_bytes: usize,
    /// Send metric metadata. Default `false`.
    pub send_metadata: bool,
}

impl Default for RemoteWriteOptions {
    fn default() -> Self {
        RemoteWriteOptions {
            namespace: String::new(),
            external_labels: IndexMap::new(),
            resource_to_telemetry_conversion: Enabled { enabled: false },
            target_info: Enabled { enabled: true },
            add_metric_suffixes: true,
            max_batch_size_bytes: 3_000_000,
            send_metadata: false,
        }
    }
}

impl RemoteWriteOptions {
    pub(crate) fn translation(&self) -> Translation {
        Translation {
            namespace: self.namespace.clone(),
            external_labels: self.external_labels.clone(),
            resource_to_telemetry: self.resource_to_telemetry_conversion.enabled,
            target_info: self.target_info.enabled,
            add_metric_suffixes: self.add_metric_suffixes,
            send_metadata: self.send_metadata,
        }
    }

    /// Checks the keys; field names relative to the block.
    pub(crate) fn validate(&self) -> Result<(), InvalidSetting> {
        let invalid = |field: String, message: &str| InvalidSetting {
            field,
            message: message.to_string(),
        };
        if self.max_batch_size_bytes == 0 {
            return Err(invalid("max_batch_size_bytes".into(), "must be at least 1"));
        }
        if !self.namespace.is_empty()
            && (self.namespace.starts_with(|c: char| c.is_ascii_digit())
                || !self
                    .namespace
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        {
            return Err(invalid(
                "namespace".into(),
                "letters, digits, `_` and `:` only, not starting with a digit",
            ));
        }
        for (name, value) in &self.external_labels {
            let field = format!("external_labels.{name}");
            if name.is_empty()
                || name.starts_with(|c: char| c.is_ascii_digit())
                || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                return Err(invalid(
                    field,
                    "not a Prometheus label name (letters, digits and `_`, not starting with a digit)",
                ));
            }
            if value.is_empty() {
                return Err(invalid(field, "empty: Prometheus drops empty labels"));
            }
        }
        Ok(())
    }
}

/// Headers the exporter sets itself.
pub(crate) const RESERVED_HEADERS: [&str; 4] = [
    "content-type",
    "content-encoding",
    "content-length",
    "x-prometheus-remote-write-version",
];

impl PrometheusRemoteWriteExporter {
    /// The translation keys as their block.
    pub(crate) fn options(&self) -> RemoteWriteOptions {
        RemoteWriteOptions {
            namespace: self.namespace.clone(),
            external_labels: self.external_labels.clone(),
            resource_to_telemetry_conversion: self.resource_to_telemetry_conversion,
            target_info: self.target_info,
            add_metric_suffixes: self.add_metric_suffixes,
            max_batch_size_bytes: self.max_batch_size_bytes,
            send_metadata: self.send_metadata,
        }
    }

    /// Checks what deserialising cannot.
    pub fn validate(&self) -> Result<(), InvalidSetting> {
        let endpoint = self.endpoint.as_deref().ok_or_else(|| InvalidSetting {
            field: "endpoint".into(),
            message: "required, e.g. `http://prometheus:9090/api/v1/write`".into(),
        })?;
        check_endpoint("endpoint", endpoint, &self.tls)?;
        self.options().validate()?;
        check_headers(
            &self.headers,
            &RESERVED_HEADERS,
            "set by the exporter (remote write 1.0's own headers)",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str) -> PrometheusRemoteWriteExporter {
        serde_norway::from_str(yaml).unwrap()
    }

    #[test]
    fn defaults_are_the_collectors_and_every_key_parses() {
        let s = parse("endpoint: http://p:9090/api/v1/write");
        assert_eq!(s.validate(), Ok(()));
        assert!(s.target_info.enabled && s.add_metric_suffixes && !s.send_metadata);
        assert!(!s.resource_to_telemetry_conversion.enabled);
        assert_eq!(s.max_batch_size_bytes, 3_000_000);
        assert_eq!(s.timeout, Duration::from_secs(5));
        let s = parse(
            "endpoint: http://p/api/v1/write
namespace: weir
external_labels: {cluster: eu}
resource_to_telemetry_conversion: {enabled: true}
target_info: {enabled: false}
add_metric_suffixes: false
max_batch_size_bytes: 1000
send_metadata: true
headers: {X-Scope-OrgID: t1}
timeout: 2s",
        );
        assert_eq!(s.validate(), Ok(()));
        assert_eq!(s.external_labels["cluster"], "eu");
        assert!(
            serde_norway::from_str::<PrometheusRemoteWriteExporter>("endpoint: x\nwal: {}")
                .is_err()
        );
    }

    #[test]
    fn validation_names_the_field() {
        let err = |yaml: &str| parse(yaml).validate().unwrap_err().to_string();
        assert_eq!(
            err("{}"),
            "endpoint: required, e.g. `http://prometheus:9090/api/v1/write`"
        );
        assert_eq!(
            err("endpoint: http://p\nexternal_labels: {1x: a}"),
            "external_labels.1x: not a Prometheus label name (letters, digits and `_`, not starting with a digit)"
        );
        assert_eq!(
            err("endpoint: http://p\nnamespace: a-b"),
            "namespace: letters, digits, `_` and `:` only, not starting with a digit"
        );
        assert_eq!(
            err("endpoint: http://p\nheaders: {X-Prometheus-Remote-Write-Version: '2'}"),
            "headers.X-Prometheus-Remote-Write-Version: set by the exporter (remote write 1.0's own headers)"
        );
    }
}
