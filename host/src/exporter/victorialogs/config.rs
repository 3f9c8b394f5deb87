//! The settings of the `victorialogs` exporter and the checks
//! [`resolve`](crate::config) runs on them before anything starts.

use std::time::Duration;

use indexmap::IndexMap;
use serde::Deserialize;

use crate::exporter::InvalidSetting;
use crate::exporter::compression::{Compression, CompressionParams};
use crate::exporter::http::settings::{check_endpoint, check_headers};
use crate::exporter::tls::TlsSettings;

/// Exporter `victorialogs` (logs only): writes log records to
/// VictoriaLogs (single node, or `vlinsert` of a cluster), either as
/// OTLP/HTTP protobuf to `/insert/opentelemetry/v1/logs` (`mode: otlp`,
/// the default) or as JSON lines to `/insert/jsonline` (`mode: jsonline`).
///
/// A 2xx answer is success; 408, 429 and 5xx, a refused connection and a
/// timeout are retried (after the store's `Retry-After`, if any); any
/// other answer refuses the batch for good, with the store's reason, and
/// the batch goes to the pipeline's `dead_letter` exporters.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct VictoriaLogsExporter {
    /// Base URL of VictoriaLogs, e.g. `http://victorialogs:9428` (or of a
    /// cluster's `vlinsert`); the mode's path (`/insert/opentelemetry/v1/logs`
    /// or `/insert/jsonline`) is appended to it. `https://` URLs are sent
    /// over TLS, configured by `tls`. Required; no default.
    pub endpoint: Option<String>,
    /// `otlp` (default): OTLP/HTTP protobuf, mapped to fields by
    /// VictoriaLogs itself. `jsonline`: one JSON object per log record,
    /// mapped by weir the same way (see the README), for VictoriaLogs
    /// versions or proxies without the OpenTelemetry endpoint.
    pub mode: Mode,
    /// The fields that make up a log stream (`VL-Stream-Fields` in `otlp`
    /// mode, `_stream_fields` in `jsonline` mode). VictoriaLogs keeps each
    /// stream apart and indexes it, so these should identify where logs
    /// come from and change rarely: the default,
    /// `[service.namespace, service.name, deployment.environment.name,
    /// deployment.environment, host.name, k8s.namespace.name,
    /// k8s.container.name]`, leaves out what changes with every process or
    /// pod (`service.instance.id`, `process.pid`, `k8s.pod.name`,
    /// `container.id`), which would make a new stream at each restart.
    /// A field a record lacks is simply not part of its stream. An empty
    /// list sends none, which leaves the choice to VictoriaLogs: in `otlp`
    /// mode every resource attribute is a stream field; in `jsonline` mode
    /// there are none.
    pub stream_fields: Vec<String>,
    /// `otlp` mode: the fields of a map-valued log body that hold the
    /// message (`VL-Msg-Field`), e.g. `[message, msg]`; a string body is
    /// the message anyway. Not allowed in `jsonline` mode, where weir
    /// writes the body to `_msg` itself. Default none.
    pub msg_field: Vec<String>,
    /// The tenant's `AccountID` (sent as that header). Default none:
    /// VictoriaLogs' tenant `0`.
    pub account_id: Option<u32>,
    /// The tenant's `ProjectID` (sent as that header). Default none:
    /// VictoriaLogs' project `0`.
    pub project_id: Option<u32>,
    /// `jsonline` mode: how `_time` is written: `rfc3339` (default,
    /// `2024-05-01T12:00:00.123456789Z`) or `unix_nano` (nanoseconds since
    /// the epoch, as a decimal string). A record without a time is written
    /// without `_time`, and VictoriaLogs stamps it on arrival, as its
    /// OpenTelemetry endpoint does.
    pub time_format: TimeFormat,
    /// Transport security for an `https://` endpoint, with the Collector's
    /// keys; see [`TlsSettings`]. TLS keys with an `http://` endpoint, or
    /// `insecure: true` with an `https://` one, are refused as
    /// contradictions. Default: the system's roots, no client certificate.
    pub tls: TlsSettings,
    /// Extra headers sent with every request: an `Authorization` token
    /// (`${env:VAR}` keeps it out of the file), or VictoriaLogs' own, e.g.
    /// `VL-Ignore-Fields` or `VL-Extra-Fields`. Headers weir sets from the
    /// keys above (`Content-Type`, `Content-Encoding`, `Content-Length`,
    /// `AccountID`, `ProjectID`, `VL-Stream-Fields`, `VL-Msg-Field`,
    /// `VL-Time-Field`) may not be given here. Default none.
    pub headers: IndexMap<String, String>,
    /// How request bodies are compressed: `gzip` (default), `zstd` or
    /// `none`.
    pub compression: Compression,
    /// How hard to compress, as the `otlphttp` exporter's: `{level: 1}`
    /// trades larger bodies for much less CPU. Default: the algorithm's
    /// default level.
    pub compression_params: CompressionParams,
    /// How long one request may take, from connecting to the end of the
    /// answer, before it is abandoned and counts as a retryable failure.
    /// `0s` means no limit. Default `30s`.
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
}

/// The stream fields when `stream_fields` is not given: resource
/// attributes of the OpenTelemetry semantic conventions that name where
/// logs come from and stay the same across restarts.
pub const DEFAULT_STREAM_FIELDS: [&str; 7] = [
    "service.namespace",
    "service.name",
    "deployment.environment.name",
    "deployment.environment",
    "host.name",
    "k8s.namespace.name",
    "k8s.container.name",
];

impl Default for VictoriaLogsExporter {
    fn default() -> Self {
        VictoriaLogsExporter {
            endpoint: None,
            mode: Mode::Otlp,
            stream_fields: DEFAULT_STREAM_FIELDS.map(String::from).to_vec(),
            msg_field: Vec::new(),
            account_id: None,
            project_id: None,
            time_format: TimeFormat::Rfc3339,
            tls: TlsSettings::default(),
            headers: IndexMap::new(),
            compression: Compression::Gzip,
            compression_params: CompressionParams::default(),
            timeout: Duration::from_secs(30),
        }
    }
}

/// How log records are sent.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// OTLP/HTTP protobuf to `/insert/opentelemetry/v1/logs`.
    #[default]
    Otlp,
    /// JSON lines to `/insert/jsonline`.
    Jsonline,
}

/// How `_time` is written in `jsonline` mode.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TimeFormat {
    /// RFC 3339 in UTC with nanoseconds.
    #[default]
    Rfc3339,
    /// Nanoseconds since the Unix epoch.
    UnixNano,
}

/// Headers the exporter sets itself, lower-case.
const RESERVED_HEADERS: [&str; 8] = [
    "content-type",
    "content-encoding",
    "content-length",
    "accountid",
    "projectid",
    "vl-stream-fields",
    "vl-msg-field",
    "vl-time-field",
];

impl VictoriaLogsExporter {
    /// The URL batches are posted to: `endpoint` and the mode's path,
    /// joined with exactly one `/`.
    pub fn url(&self) -> Option<String> {
        let base = self.endpoint.as_deref()?.trim_end_matches('/');
        Some(match self.mode {
            Mode::Otlp => format!("{base}/insert/opentelemetry/v1/logs"),
            Mode::Jsonline => format!("{base}/insert/jsonline"),
        })
    }

    /// Checks what deserialising cannot: the endpoint is an `http` or
    /// `https` URL without a query, `tls` agrees with its scheme, field
    /// names can travel in a header, the keys fit the mode, and every
    /// header is valid and not one the exporter sets itself.
    pub fn validate(&self) -> Result<(), InvalidSetting> {
        let invalid = |field: &str, message: String| InvalidSetting {
            field: field.to_string(),
            message,
        };
        let Some(endpoint) = &self.endpoint else {
            return Err(invalid(
                "endpoint",
                "set the VictoriaLogs URL, e.g. `http://victorialogs:9428`".into(),
            ));
        };
        check_endpoint("endpoint", endpoint, &self.tls)?;
        self.compression_params
            .check(self.compression)
            .map_err(|message| invalid("compression_params.level", message))?;
        if endpoint.contains('?') {
            return Err(invalid(
                "endpoint",
                format!("`{endpoint}`: give the base URL without a query"),
            ));
        }
        for (key, names) in [
            ("stream_fields", &self.stream_fields),
            ("msg_field", &self.msg_field),
        ] {
            for (i, name) in names.iter().enumerate() {
                // Sent comma-separated in a header or a query argument.
                if name.is_empty() || name.contains(',') || !is_header_text(name) {
                    return Err(invalid(
                        &format!("{key}[{i}]"),
                        format!(
                            "`{name}` cannot be sent: field names here must be non-empty \
                             visible ASCII without commas"
                        ),
                    ));
                }
            }
        }
        if self.mode == Mode::Jsonline && !self.msg_field.is_empty() {
            return Err(invalid(
                "msg_field",
                "only for `mode: otlp`; in `jsonline` mode weir writes the body to `_msg`".into(),
            ));
        }
        check_headers(
            &self.headers,
            &RESERVED_HEADERS,
            "set by the exporter from its own keys (`compression`, `account_id`, \
             `project_id`, `stream_fields`, `msg_field`)",
        )?;
        Ok(())
    }
}

/// Whether `text` is visible ASCII, so it can be a header value as is.
fn is_header_text(text: &str) -> bool {
    text.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str) -> Result<VictoriaLogsExporter, serde_norway::Error> {
        serde_norway::from_str(yaml)
    }

    fn err(yaml: &str) -> String {
        parse(yaml).unwrap().validate().unwrap_err().to_string()
    }

    #[test]
    fn defaults_send_otlp_with_stable_stream_fields() {
        let s = parse("endpoint: http://vl:9428").unwrap();
        assert_eq!(s.validate(), Ok(()));
        assert_eq!(s.mode, Mode::Otlp);
        assert_eq!(s.compression, Compression::Gzip);
        assert_eq!(s.timeout, Duration::from_secs(30));
        assert_eq!(s.time_format, TimeFormat::Rfc3339);
        assert_eq!(s.stream_fields[..2], ["service.namespace", "service.name"]);
        assert!(!s.stream_fields.iter().any(|f| f == "service.instance.id"));
        assert_eq!(
            s.url().as_deref(),
            Some("http://vl:9428/insert/opentelemetry/v1/logs")
        );
    }

    #[test]
    fn all_keys_parse() {
        let s = parse(
            "endpoint: https://vl.example:9428/prefix/
mode: jsonline
stream_fields: [app]
account_id: 12
project_id: 34
time_format: unix_nano
headers: {Authorization: Bearer x, VL-Ignore-Fields: 'a,b'}
compression: zstd
timeout: 2s",
        )
        .unwrap();
        assert_eq!(s.validate(), Ok(()));
        assert_eq!(s.mode, Mode::Jsonline);
        assert_eq!(s.stream_fields, ["app"]);
        assert_eq!((s.account_id, s.project_id), (Some(12), Some(34)));
        assert_eq!(s.time_format, TimeFormat::UnixNano);
        assert_eq!(s.compression, Compression::Zstd);
        assert_eq!(
            s.url().as_deref(),
            Some("https://vl.example:9428/prefix/insert/jsonline")
        );
        assert!(parse("endpoint: http://a\nmode: loki").is_err());
        assert!(parse("endpoint: http://a\naccount_id: -1").is_err());
        assert!(parse("endpoint: http://a\nstream_field: [x]").is_err());
    }

    #[test]
    fn validation_names_the_field() {
        assert_eq!(
            err("{}"),
            "endpoint: set the VictoriaLogs URL, e.g. `http://victorialogs:9428`"
        );
        assert_eq!(
            err("endpoint: vl:9428"),
            "endpoint: `vl:9428`: scheme `vl` is not http or https"
        );
        assert_eq!(
            err("endpoint: http://vl:9428?x=1"),
            "endpoint: `http://vl:9428?x=1`: give the base URL without a query"
        );
        assert_eq!(
            err("endpoint: http://vl\nstream_fields: [service.name, 'a,b']"),
            "stream_fields[1]: `a,b` cannot be sent: field names here must be non-empty \
             visible ASCII without commas"
        );
        assert_eq!(
            err("endpoint: http://vl\nmode: jsonline\nmsg_field: [message]"),
            "msg_field: only for `mode: otlp`; in `jsonline` mode weir writes the body to `_msg`"
        );
        assert!(
            err("endpoint: http://vl\nheaders: {accountid: '3'}")
                .starts_with("headers.accountid: set by the exporter"),
        );
        assert_eq!(
            err("endpoint: http://vl\ntls: {insecure_skip_verify: true}"),
            "tls.insecure_skip_verify: has no effect: `http://vl` is not `https://`"
        );
        assert_eq!(
            err("endpoint: https://vl\ntls: {insecure: true}"),
            "tls.insecure: `true` asks for plaintext, but `https://vl` asks for TLS; \
             remove one of them"
        );
        assert_eq!(
            parse("endpoint: http://vl\nstream_fields: []")
                .unwrap()
                .validate(),
            Ok(())
        );
    }
}
