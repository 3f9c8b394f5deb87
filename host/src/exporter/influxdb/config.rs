//! The settings of the `influxdb` exporter, with the OpenTelemetry
//! Collector's keys, the checks `weir validate` runs on them, and the
//! write URL and credentials they make.

use std::time::Duration;

use indexmap::IndexMap;
use serde::Deserialize;

use crate::exporter::InvalidSetting;
use crate::exporter::http::settings::{check_endpoint, check_headers};
use crate::exporter::tls::TlsSettings;

/// Exporter `influxdb`: writes metrics, logs and spans to InfluxDB as
/// line protocol, mapped as the Collector's `influxdb` exporter maps them
/// (its otel2influx library). The keys are the Collector's.
///
/// Which write API is used:
/// - `v1_compatibility.enabled: true` → InfluxDB 1.x `POST /write?db=<db>&precision=ns`,
///   with HTTP basic authentication if `username` and `password` are set
///   (also VictoriaMetrics' Influx endpoint);
/// - an `endpoint` whose path ends in `/api/v3/write_lp` → InfluxDB 3
///   `POST …/api/v3/write_lp?db=<bucket>&precision=nanosecond`, with
///   `Authorization: Bearer <token>`;
/// - otherwise InfluxDB 2.x `POST /api/v2/write?org=<org>&bucket=<bucket>&precision=ns`,
///   with `Authorization: Token <token>` (InfluxDB 3 and Cloud take this too).
///
/// An `endpoint` with no path gets the API's path (`/write` or
/// `/api/v2/write`); one with a path is used as it is, as the Collector
/// does. Each batch is sent as one request per `payload_max_lines` /
/// `payload_max_bytes`. A 2xx answer is success; 408, 429 and 5xx are
/// retried (after `Retry-After`); any other answer (a 400 for a field
/// type conflict, a 401, a 404 for a missing database) refuses the batch
/// for good, with InfluxDB's message. Rewriting a point InfluxDB already
/// has overwrites it with the same values, so a retried batch whose first
/// payloads had been written duplicates nothing.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct InfluxDbExporter {
    /// Base URL of InfluxDB, e.g. `http://influxdb:8086`, or a full write
    /// URL. `https://` is sent over TLS, configured by `tls`. Required.
    pub endpoint: Option<String>,
    /// Organisation owning `bucket` (v2). Required for the v2 API.
    pub org: String,
    /// Bucket written to (v2), or database (v3). Required unless
    /// `v1_compatibility` is enabled.
    pub bucket: String,
    /// API token (v2: `Authorization: Token …`, v3: `Bearer …`);
    /// `${env:VAR}` keeps it out of the file. Default none.
    pub token: Option<String>,
    /// The InfluxDB 1.x write API. Default disabled.
    pub v1_compatibility: V1Compatibility,
    /// How metric points become lines: `telegraf-prometheus-v1`
    /// (default; measurement = metric name, fields `gauge`, `counter`,
    /// `sum`, `count`, one per bucket bound and quantile) or
    /// `telegraf-prometheus-v2` (measurement `prometheus`, field = metric
    /// name, `le` / `quantile` tags).
    pub metrics_schema: MetricsSchema,
    /// Span attributes (and `span.name`, `span.kind`, `parent_span_id`)
    /// written as tags of the `spans` measurement; the others go into the
    /// `attributes` field as JSON. Default `[service.name, span.name]`.
    pub span_dimensions: Vec<String>,
    /// Attributes written as tags of the `logs` measurement; the others
    /// go into the `attributes` field as JSON. Default `[service.name]`.
    pub log_record_dimensions: Vec<String>,
    /// Most lines in one request. Default 10000.
    pub payload_max_lines: usize,
    /// A request is ended once it holds this many bytes (before
    /// compression; a single line may exceed it). Default 10000000.
    pub payload_max_bytes: usize,
    /// How long one request may take before it counts as a retryable
    /// failure; `0s` means no limit. Default `5s`, as the Collector's.
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
    /// Extra headers sent with every request. `Content-Type`,
    /// `Content-Encoding`, `Content-Length` and (when `token` or
    /// `v1_compatibility.username` is set) `Authorization` are set by the
    /// exporter. Default none.
    pub headers: IndexMap<String, String>,
    /// Transport security for an `https://` endpoint; see
    /// [`TlsSettings`]. Default: the system's roots.
    pub tls: TlsSettings,
    /// `gzip` (default) or `none`.
    pub compression: Compression,
}

/// `v1_compatibility`: InfluxDB 1.x's write API.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct V1Compatibility {
    /// Use `/write?db=…`. Default `false`.
    pub enabled: bool,
    /// The database written to. Required when enabled.
    pub db: String,
    /// Basic authentication user; needs `password`. Default none.
    pub username: Option<String>,
    /// Basic authentication password. Default none.
    pub password: Option<String>,
}

/// `metrics_schema`.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
pub enum MetricsSchema {
    /// Measurement = metric name; fields named by the point's kind.
    #[default]
    #[serde(rename = "telegraf-prometheus-v1")]
    TelegrafPrometheusV1,
    /// Measurement `prometheus`; fields named by the metric.
    #[serde(rename = "telegraf-prometheus-v2")]
    TelegrafPrometheusV2,
}

/// Compression of request bodies.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Compression {
    /// `Content-Encoding: gzip`.
    #[default]
    Gzip,
    /// Uncompressed.
    None,
}

impl Default for InfluxDbExporter {
    fn default() -> Self {
        InfluxDbExporter {
            endpoint: None,
            org: String::new(),
            bucket: String::new(),
            token: None,
            v1_compatibility: V1Compatibility::default(),
            metrics_schema: MetricsSchema::default(),
            span_dimensions: vec!["service.name".into(), "span.name".into()],
            log_record_dimensions: vec!["service.name".into()],
            payload_max_lines: 10_000,
            payload_max_bytes: 10_000_000,
            timeout: Duration::from_secs(5),
            headers: IndexMap::new(),
            tls: TlsSettings::default(),
            compression: Compression::Gzip,
        }
    }
}

/// The write API a configuration chose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Api {
    V1,
    V2,
    V3,
}

impl InfluxDbExporter {
    /// The API the settings choose (see the type's documentation).
    pub(crate) fn api(&self) -> Api {
        if self.v1_compatibility.enabled {
            Api::V1
        } else if self
            .endpoint
            .as_deref()
            .and_then(|e| reqwest::Url::parse(e).ok())
            .is_some_and(|u| u.path().trim_end_matches('/').ends_with("/api/v3/write_lp"))
        {
            Api::V3
        } else {
            Api::V2
        }
    }

    /// The URL each payload is POSTed to.
    pub(crate) fn write_url(&self) -> Result<reqwest::Url, String> {
        let endpoint = self.endpoint.as_deref().ok_or("set `endpoint`")?;
        let mut url =
            reqwest::Url::parse(endpoint).map_err(|e| format!("`{endpoint}` is not a URL: {e}"))?;
        let api = self.api();
        if url.path().is_empty() || url.path() == "/" {
            url.set_path(match api {
                Api::V1 => "/write",
                Api::V2 => "/api/v2/write",
                Api::V3 => unreachable!("v3 is chosen by its path"),
            });
        }
        {
            let mut query = url.query_pairs_mut();
            match api {
                Api::V1 => {
                    query.append_pair("db", &self.v1_compatibility.db);
                    query.append_pair("precision", "ns");
                }
                Api::V2 => {
                    query.append_pair("org", &self.org);
                    query.append_pair("bucket", &self.bucket);
                    query.append_pair("precision", "ns");
                }
                Api::V3 => {
                    query.append_pair("db", &self.bucket);
                    query.append_pair("precision", "nanosecond");
                }
            }
        }
        Ok(url)
    }

    /// The `Authorization` header the settings ask for, if any.
    pub(crate) fn authorization(&self) -> Option<String> {
        use base64::Engine;
        let v1 = &self.v1_compatibility;
        match self.api() {
            Api::V1 => match (&v1.username, &v1.password) {
                (Some(user), Some(password)) => Some(format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
                )),
                _ => self.token.as_ref().map(|t| format!("Token {t}")),
            },
            Api::V2 => self.token.as_ref().map(|t| format!("Token {t}")),
            Api::V3 => self.token.as_ref().map(|t| format!("Bearer {t}")),
        }
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
            .ok_or_else(|| invalid("endpoint", "required, e.g. `http://influxdb:8086`"))?;
        check_endpoint("endpoint", endpoint, &self.tls)?;
        let v1 = &self.v1_compatibility;
        match self.api() {
            Api::V1 => {
                if v1.db.is_empty() {
                    return Err(invalid(
                        "v1_compatibility.db",
                        "required when `v1_compatibility.enabled` is true",
                    ));
                }
                if v1.username.is_some() != v1.password.is_some() {
                    return Err(invalid(
                        "v1_compatibility.username",
                        "`username` and `password` go together",
                    ));
                }
            }
            Api::V2 | Api::V3 => {
                if !v1.db.is_empty() || v1.username.is_some() || v1.password.is_some() {
                    return Err(invalid(
                        "v1_compatibility.enabled",
                        "`db`, `username` and `password` are used only with `enabled: true`",
                    ));
                }
                if self.bucket.is_empty() {
                    return Err(invalid(
                        "bucket",
                        "required (or set `v1_compatibility.enabled` and `db` for InfluxDB 1.x)",
                    ));
                }
                if self.api() == Api::V2 && self.org.is_empty() {
                    return Err(invalid("org", "required by the InfluxDB v2 write API"));
                }
            }
        }
        if self.payload_max_lines == 0 {
            return Err(invalid("payload_max_lines", "must be at least 1"));
        }
        if self.payload_max_bytes == 0 {
            return Err(invalid("payload_max_bytes", "must be at least 1"));
        }
        for (field, dimensions) in [
            ("span_dimensions", &self.span_dimensions),
            ("log_record_dimensions", &self.log_record_dimensions),
        ] {
            for (i, d) in dimensions.iter().enumerate() {
                if d.is_empty() {
                    return Err(invalid(&format!("{field}[{i}]"), "empty"));
                }
                if dimensions[..i].contains(d) {
                    return Err(invalid(&format!("{field}[{i}]"), "listed twice"));
                }
            }
        }
        let mut reserved = vec!["content-type", "content-encoding", "content-length"];
        if self.authorization().is_some() {
            reserved.push("authorization");
        }
        check_headers(
            &self.headers,
            &reserved,
            "set by the exporter (from `compression`, `token` or `v1_compatibility`)",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str) -> InfluxDbExporter {
        serde_norway::from_str(yaml).unwrap()
    }

    fn err(yaml: &str) -> String {
        parse(yaml).validate().unwrap_err().to_string()
    }

    #[test]
    fn defaults_are_the_collectors() {
        let s = parse("endpoint: http://i:8086\norg: o\nbucket: b");
        assert_eq!(s.validate(), Ok(()));
        assert_eq!(s.metrics_schema, MetricsSchema::TelegrafPrometheusV1);
        assert_eq!(s.span_dimensions, ["service.name", "span.name"]);
        assert_eq!(s.log_record_dimensions, ["service.name"]);
        assert_eq!(
            (s.payload_max_lines, s.payload_max_bytes),
            (10_000, 10_000_000)
        );
        assert_eq!(s.timeout, Duration::from_secs(5));
        assert_eq!(s.compression, Compression::Gzip);
        assert!(serde_norway::from_str::<InfluxDbExporter>("endpont: x").is_err());
        assert!(serde_norway::from_str::<InfluxDbExporter>("metrics_schema: v3").is_err());
    }

    #[test]
    fn the_api_and_its_url_follow_the_settings() {
        let v2 = parse("endpoint: http://i:8086\norg: my org\nbucket: b&c\ntoken: t0k");
        assert_eq!(v2.api(), Api::V2);
        assert_eq!(
            v2.write_url().unwrap().as_str(),
            "http://i:8086/api/v2/write?org=my+org&bucket=b%26c&precision=ns"
        );
        assert_eq!(v2.authorization().as_deref(), Some("Token t0k"));

        let v1 = parse(
            "endpoint: http://vm:8428/\nv1_compatibility: {enabled: true, db: metrics, username: u, password: p}",
        );
        assert_eq!(v1.validate(), Ok(()));
        assert_eq!(
            v1.write_url().unwrap().as_str(),
            "http://vm:8428/write?db=metrics&precision=ns"
        );
        assert_eq!(v1.authorization().as_deref(), Some("Basic dTpw"));

        let v3 = parse("endpoint: http://i3:8181/api/v3/write_lp\nbucket: db1\ntoken: t");
        assert_eq!(v3.validate(), Ok(()));
        assert_eq!(
            v3.write_url().unwrap().as_str(),
            "http://i3:8181/api/v3/write_lp?db=db1&precision=nanosecond"
        );
        assert_eq!(v3.authorization().as_deref(), Some("Bearer t"));

        let path = parse("endpoint: http://proxy/influx/api/v2/write\norg: o\nbucket: b");
        assert_eq!(
            path.write_url().unwrap().as_str(),
            "http://proxy/influx/api/v2/write?org=o&bucket=b&precision=ns"
        );
    }

    #[test]
    fn validation_names_the_field() {
        assert_eq!(
            err("org: o\nbucket: b"),
            "endpoint: required, e.g. `http://influxdb:8086`"
        );
        assert_eq!(
            err("endpoint: http://i\norg: o"),
            "bucket: required (or set `v1_compatibility.enabled` and `db` for InfluxDB 1.x)"
        );
        assert_eq!(
            err("endpoint: http://i\nbucket: b"),
            "org: required by the InfluxDB v2 write API"
        );
        assert_eq!(
            err("endpoint: http://i\nv1_compatibility: {enabled: true}"),
            "v1_compatibility.db: required when `v1_compatibility.enabled` is true"
        );
        assert_eq!(
            err("endpoint: http://i\nv1_compatibility: {enabled: true, db: d, username: u}"),
            "v1_compatibility.username: `username` and `password` go together"
        );
        assert_eq!(
            err("endpoint: http://i\norg: o\nbucket: b\ntoken: t\nheaders: {Authorization: x}"),
            "headers.Authorization: set by the exporter (from `compression`, `token` or `v1_compatibility`)"
        );
        assert_eq!(
            err("endpoint: http://i\norg: o\nbucket: b\nspan_dimensions: [a, a]"),
            "span_dimensions[1]: listed twice"
        );
        assert_eq!(
            err("endpoint: http://i\norg: o\nbucket: b\npayload_max_lines: 0"),
            "payload_max_lines: must be at least 1"
        );
        assert_eq!(
            err("endpoint: http://i\norg: o\nbucket: b\ntls: {insecure_skip_verify: true}"),
            "tls.insecure_skip_verify: has no effect: `http://i` is not `https://`"
        );
    }
}
