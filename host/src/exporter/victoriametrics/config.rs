//! The settings of the `victoriametrics` exporter, the URL they make, and
//! the checks `weir validate` runs on them.

use std::time::Duration;

use indexmap::IndexMap;
use serde::Deserialize;

use crate::exporter::http::settings::{check_endpoint, check_headers};
use crate::exporter::tls::TlsSettings;
use crate::exporter::{InvalidSetting, RemoteWriteOptions};

/// Exporter `victoriametrics` (metrics only): writes to VictoriaMetrics
/// with its own defaults, on the `otlphttp` or `prometheusremotewrite`
/// exporter's sink.
///
/// - `mode: otlp` (default): OTLP/HTTP protobuf to
///   `<endpoint>/opentelemetry/v1/metrics` (VictoriaMetrics 1.92 and
///   later; its OTLP endpoint takes protobuf only, so `encoding: json` is
///   refused). Answers are read as OTLP/HTTP says: 429, 502, 503 and 504
///   are retried.
/// - `mode: remote_write`: Prometheus remote write to
///   `<endpoint>/api/v1/write` (every version), translated as
///   `prometheusremotewrite` does, with its translation keys under
///   `remote_write`. Answers are read with the stores' rule: 408, 429 and
///   5xx are retried.
///
/// With `tenant` the endpoint is a cluster's `vminsert` and the paths are
/// `/insert/<tenant>/opentelemetry/v1/metrics` and
/// `/insert/<tenant>/prometheus/api/v1/write`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct VictoriaMetricsExporter {
    /// Base URL: a single node (`http://victoriametrics:8428`) or, with
    /// `tenant`, a cluster's vminsert (`http://vminsert:8480`). Required.
    pub endpoint: Option<String>,
    /// `otlp` (default) or `remote_write`.
    pub mode: Mode,
    /// Cluster tenant, `accountID` or `accountID:projectID` (e.g. `0:0`).
    /// Default none: a single-node URL.
    pub tenant: Option<String>,
    /// `proto` only: VictoriaMetrics refuses OTLP/JSON. Default `proto`.
    pub encoding: Encoding,
    /// `gzip` (default) or `none`, for `mode: otlp` (remote write bodies
    /// are always snappy).
    pub compression: Compression,
    /// Extra headers sent with every request (e.g. `Authorization`).
    /// Default none.
    pub headers: IndexMap<String, String>,
    /// How long one request may take before it counts as a retryable
    /// failure; `0s` means no limit. Default `30s`.
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
    /// Transport security for an `https://` endpoint. Default: the
    /// system's roots.
    pub tls: TlsSettings,
    /// `mode: remote_write`'s translation: the `prometheusremotewrite`
    /// keys `namespace`, `external_labels`,
    /// `resource_to_telemetry_conversion`, `target_info`,
    /// `add_metric_suffixes`, `max_batch_size_bytes`, `send_metadata`,
    /// with its defaults.
    pub remote_write: Option<RemoteWriteOptions>,
}

/// How the metrics are sent.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// OTLP/HTTP protobuf.
    #[default]
    Otlp,
    /// Prometheus remote write.
    RemoteWrite,
}

/// `encoding`: only protobuf is accepted, but `json` parses so that the
/// refusal can say why.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    /// OTLP protobuf.
    #[default]
    Proto,
    /// OTLP/JSON: refused.
    Json,
}

/// `compression` in `mode: otlp`.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Compression {
    /// gzip.
    #[default]
    Gzip,
    /// Uncompressed.
    None,
}

impl Default for VictoriaMetricsExporter {
    fn default() -> Self {
        VictoriaMetricsExporter {
            endpoint: None,
            mode: Mode::Otlp,
            tenant: None,
            encoding: Encoding::Proto,
            compression: Compression::Gzip,
            headers: IndexMap::new(),
            timeout: Duration::from_secs(30),
            tls: TlsSettings::default(),
            remote_write: None,
        }
    }
}

impl VictoriaMetricsExporter {
    /// The URL metrics are POSTed to.
    pub(crate) fn url(&self) -> Option<String> {
        let base = self.endpoint.as_deref()?.trim_end_matches('/');
        Some(match (&self.tenant, self.mode) {
            (None, Mode::Otlp) => format!("{base}/opentelemetry/v1/metrics"),
            (None, Mode::RemoteWrite) => format!("{base}/api/v1/write"),
            (Some(t), Mode::Otlp) => format!("{base}/insert/{t}/opentelemetry/v1/metrics"),
            (Some(t), Mode::RemoteWrite) => format!("{base}/insert/{t}/prometheus/api/v1/write"),
        })
    }

    /// Checks what deserialising cannot.
    pub fn validate(&self) -> Result<(), InvalidSetting> {
        let invalid = |field: &str, message: &str| InvalidSetting {
            field: field.to_string(),
            message: message.to_string(),
        };
        let endpoint = self
            .endpoint
            .as_deref()
            .ok_or_else(|| invalid("endpoint", "required, e.g. `http://victoriametrics:8428`"))?;
        check_endpoint("endpoint", endpoint, &self.tls)?;
        if self.encoding == Encoding::Json {
            return Err(invalid(
                "encoding",
                "VictoriaMetrics' OTLP endpoint takes protobuf only; remove `encoding` or set `proto`",
            ));
        }
        if let Some(tenant) = &self.tenant {
            let ids: Vec<&str> = tenant.split(':').collect();
            if ids.len() > 2 || ids.iter().any(|id| id.parse::<u32>().is_err()) {
                return Err(invalid(
                    "tenant",
                    "`accountID` or `accountID:projectID`, numbers (e.g. `0:0`)",
                ));
            }
        }
        match (self.mode, &self.remote_write) {
            (Mode::Otlp, Some(_)) => {
                return Err(invalid(
                    "remote_write",
                    "used only with `mode: remote_write`",
                ));
            }
            (Mode::RemoteWrite, Some(options)) => {
                options.validate().map_err(|e| InvalidSetting {
                    field: format!("remote_write.{}", e.field),
                    message: e.message,
                })?
            }
            _ => {}
        }
        if self.mode == Mode::RemoteWrite && self.compression != Compression::Gzip {
            return Err(invalid(
                "compression",
                "remote write bodies are always snappy; `compression` is for `mode: otlp`",
            ));
        }
        check_headers(
            &self.headers,
            &[
                "content-type",
                "content-encoding",
                "content-length",
                "x-prometheus-remote-write-version",
            ],
            "set by the exporter from `mode` and `compression`",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str) -> VictoriaMetricsExporter {
        serde_norway::from_str(yaml).unwrap()
    }

    #[test]
    fn urls_for_single_nodes_and_cluster_tenants() {
        let url = |yaml: &str| {
            let s = parse(yaml);
            assert_eq!(s.validate(), Ok(()), "{yaml}");
            s.url().unwrap()
        };
        assert_eq!(
            url("endpoint: http://vm:8428/"),
            "http://vm:8428/opentelemetry/v1/metrics"
        );
        assert_eq!(
            url("endpoint: http://vm:8428\nmode: remote_write"),
            "http://vm:8428/api/v1/write"
        );
        assert_eq!(
            url("endpoint: http://vminsert:8480\ntenant: '0:0'"),
            "http://vminsert:8480/insert/0:0/opentelemetry/v1/metrics"
        );
        assert_eq!(
            url(
                "endpoint: http://vminsert:8480\ntenant: '42'\nmode: remote_write\nremote_write: {namespace: weir}"
            ),
            "http://vminsert:8480/insert/42/prometheus/api/v1/write"
        );
    }

    #[test]
    fn validation_names_the_field() {
        let err = |yaml: &str| parse(yaml).validate().unwrap_err().to_string();
        assert_eq!(
            err("endpoint: http://vm:8428\nencoding: json"),
            "encoding: VictoriaMetrics' OTLP endpoint takes protobuf only; remove `encoding` or set `proto`"
        );
        assert_eq!(
            err("endpoint: http://vm\ntenant: a:b"),
            "tenant: `accountID` or `accountID:projectID`, numbers (e.g. `0:0`)"
        );
        assert_eq!(
            err("endpoint: http://vm\nremote_write: {namespace: x}"),
            "remote_write: used only with `mode: remote_write`"
        );
        assert_eq!(
            err("endpoint: http://vm\nmode: remote_write\nremote_write: {max_batch_size_bytes: 0}"),
            "remote_write.max_batch_size_bytes: must be at least 1"
        );
        assert_eq!(
            err("{}"),
            "endpoint: required, e.g. `http://victoriametrics:8428`"
        );
        assert!(
            serde_norway::from_str::<VictoriaMetricsExporter>("endpoint: x\nmode: influx").is_err()
        );
    }
}
