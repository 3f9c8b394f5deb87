//! The settings of the `otlphttp` exporter, with the OpenTelemetry
//! Collector's keys, and the checks [`resolve`](crate::config) runs on
//! them before anything starts.

use std::time::Duration;

use indexmap::IndexMap;
use serde::Deserialize;

use crate::auth::AuthSettings;
use crate::exporter::InvalidSetting;
use crate::exporter::compression::{Compression, CompressionParams};
use crate::exporter::http::settings::check_url;
use crate::exporter::tls::TlsSettings;
use crate::otlp::Signal;

/// Exporter `otlphttp`: sends each batch as an OTLP/HTTP export request
/// (`POST` to `/v1/logs`, `/v1/metrics` or `/v1/traces`) to a Collector,
/// weir, or any store that ingests OTLP/HTTP. The keys are those of the
/// Collector's `otlphttp` exporter.
///
/// A 2xx answer is success (a partial success is logged as a warning);
/// 429, 502, 503 and 504, a refused connection and a timeout may be tried
/// again, after the server's `Retry-After` if it sent one; every other
/// answer refuses the batch for good, as the OTLP specification says.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct OtlpHttpExporter {
    /// Base URL, e.g. `http://collector:4318`; the signal's path
    /// (`/v1/logs`, `/v1/metrics`, `/v1/traces`) is appended to it. Needed
    /// unless every signal the exporter receives has its own endpoint
    /// below. `https://` URLs are sent over TLS, configured by `tls`.
    /// No default.
    pub endpoint: Option<String>,
    /// Full URL for logs, used as is instead of `endpoint` + `/v1/logs`.
    pub logs_endpoint: Option<String>,
    /// Full URL for metrics, used as is instead of `endpoint` +
    /// `/v1/metrics`.
    pub metrics_endpoint: Option<String>,
    /// Full URL for traces, used as is instead of `endpoint` +
    /// `/v1/traces`.
    pub traces_endpoint: Option<String>,
    /// Transport security for `https://` endpoints, with the Collector's
    /// keys; see [`TlsSettings`]. The URL's scheme decides whether TLS is
    /// used, so TLS keys with no `https://` endpoint, or `insecure: true`
    /// with one, are refused as contradictions. Default: the system's
    /// roots, no client certificate.
    pub tls: TlsSettings,
    /// Extra headers sent with every request, e.g. an `Authorization`
    /// token (`${env:VAR}` keeps it out of the file). `Content-Type`,
    /// `Content-Encoding` and `Content-Length` are set from `encoding` and
    /// `compression` and may not be given here. Default none.
    pub headers: IndexMap<String, String>,
    /// How request bodies are compressed: `gzip` (default), `zstd` or
    /// `none`.
    pub compression: Compression,
    /// How hard to compress: `{level: 1}` (gzip 1 to 9, zstd 1 to 22)
    /// trades larger bodies for much less CPU; see [`CompressionParams`].
    /// Default: the algorithm's default level (gzip 6, zstd 3).
    pub compression_params: CompressionParams,
    /// How batches are encoded: `proto` (OTLP protobuf, default) or `json`
    /// (OTLP/JSON).
    pub encoding: Encoding,
    /// How long one request may take, from connecting to the end of the
    /// answer, before it is abandoned and counts as a retryable failure.
    /// `0s` means no limit. Default `30s`, as the Collector's.
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
    /// Send a token: `{authenticator: <id of a bearertokenauth
    /// extension>}` adds its `Authorization: Bearer <token>` to every
    /// request (re-read when its token file rotates). Default none.
    pub auth: Option<AuthSettings>,
}

impl Default for OtlpHttpExporter {
    fn default() -> Self {
        OtlpHttpExporter {
            endpoint: None,
            logs_endpoint: None,
            metrics_endpoint: None,
            traces_endpoint: None,
            tls: TlsSettings::default(),
            headers: IndexMap::new(),
            compression: Compression::Gzip,
            compression_params: CompressionParams::default(),
            encoding: Encoding::Proto,
            timeout: Duration::from_secs(30),
            auth: None,
        }
    }
}

/// Encoding of request bodies.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    /// OTLP protobuf, `Content-Type: application/x-protobuf`.
    #[default]
    Proto,
    /// OTLP/JSON, `Content-Type: application/json`.
    Json,
}

/// Headers the exporter sets itself.
const RESERVED_HEADERS: [&str; 3] = ["content-type", "content-encoding", "content-length"];

impl OtlpHttpExporter {
    /// The URL batches of `signal` are sent to, if the settings give one:
    /// the signal's own endpoint, else `endpoint` + `/v1/<signal>` (joined
    /// with exactly one `/`, as the Collector joins them).
    pub fn signal_url(&self, signal: Signal) -> Option<String> {
        let own = match signal {
            Signal::Logs => &self.logs_endpoint,
            Signal::Metrics => &self.metrics_endpoint,
            Signal::Traces => &self.traces_endpoint,
        };
        if let Some(url) = own {
            return Some(url.clone());
        }
        let base = self.endpoint.as_deref()?;
        Some(format!("{}/v1/{signal}", base.trim_end_matches('/')))
    }

    /// Checks what deserialising cannot: that at least one endpoint is
    /// given, each is an `http` or `https` URL, `tls` agrees with the
    /// schemes and its files can be read, and each header is a valid HTTP header the exporter does not set
    /// itself. Whether a signal the exporter is used for has an endpoint
    /// is checked where the pipelines are known, with
    /// [`signal_url`](Self::signal_url).
    pub fn validate(&self) -> Result<(), InvalidSetting> {
        let invalid = |field: &str, message: String| InvalidSetting {
            field: field.to_string(),
            message,
        };
        self.compression_params
            .check(self.compression)
            .map_err(|message| invalid("compression_params.level", message))?;
        let endpoints = [
            ("endpoint", &self.endpoint),
            ("logs_endpoint", &self.logs_endpoint),
            ("metrics_endpoint", &self.metrics_endpoint),
            ("traces_endpoint", &self.traces_endpoint),
        ];
        if endpoints.iter().all(|(_, url)| url.is_none()) {
            return Err(invalid(
                "endpoint",
                "set `endpoint` (or `logs_endpoint`, `metrics_endpoint`, `traces_endpoint`)".into(),
            ));
        }
        let mut https = None;
        for (field, url) in endpoints {
            if let Some(url) = url
                && check_url(url).map_err(|message| invalid(field, message))?
            {
                https = https.or(Some(url));
            }
        }
        match https {
            Some(url) if self.tls.insecure => {
                return Err(invalid(
                    "tls.insecure",
                    format!(
                        "`true` asks for plaintext, but `{url}` asks for TLS; \
                         remove one of them"
                    ),
                ));
            }
            Some(_) => {
                self.tls
                    .client_config()
                    .map_err(|e| invalid(&e.field, e.message))?;
            }
            None => {
                if let Some(key) = self.tls.tls_keys_set().first() {
                    return Err(invalid(
                        &format!("tls.{key}"),
                        "has no effect: no endpoint is `https://`".into(),
                    ));
                }
            }
        }
        for (name, value) in &self.headers {
            let field = format!("headers.{name}");
            let header = http::HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| invalid(&field, "not a valid HTTP header name".into()))?;
            if RESERVED_HEADERS.contains(&header.as_str()) {
                return Err(invalid(
                    &field,
                    "set by the exporter from `encoding` and `compression`".into(),
                ));
            }
            http::HeaderValue::from_str(value).map_err(|_| {
                invalid(
                    &field,
                    "not a valid HTTP header value (visible ASCII, spaces and tabs only)".into(),
                )
            })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exporter::tls::testing::Pki;

    fn parse(yaml: &str) -> Result<OtlpHttpExporter, serde_norway::Error> {
        serde_norway::from_str(yaml)
    }

    #[test]
    fn defaults_are_the_collectors() {
        let s = parse("endpoint: http://collector:4318").unwrap();
        assert_eq!(s.compression, Compression::Gzip);
        assert_eq!(s.encoding, Encoding::Proto);
        assert_eq!(s.timeout, Duration::from_secs(30));
        assert!(s.headers.is_empty());
        assert_eq!(s.validate(), Ok(()));
    }

    #[test]
    fn signal_urls_append_the_path_or_use_the_override() {
        let s = parse(
            "endpoint: http://collector:4318/\ntraces_endpoint: http://jaeger:4318/custom/traces",
        )
        .unwrap();
        assert_eq!(
            s.signal_url(Signal::Logs).as_deref(),
            Some("http://collector:4318/v1/logs")
        );
        assert_eq!(
            s.signal_url(Signal::Traces).as_deref(),
            Some("http://jaeger:4318/custom/traces")
        );
        let only_logs =
            parse("logs_endpoint: http://vl:9428/insert/opentelemetry/v1/logs").unwrap();
        assert_eq!(only_logs.validate(), Ok(()));
        assert_eq!(only_logs.signal_url(Signal::Metrics), None);
    }

    #[test]
    fn all_keys_parse() {
        let s = parse(
            "endpoint: http://a:4318/prefix
headers: {Authorization: Bearer x}
compression: zstd
compression_params: {level: 1}
encoding: json
timeout: 2s",
        )
        .unwrap();
        assert_eq!(s.compression, Compression::Zstd);
        assert_eq!(s.compression_params.level, 1);
        assert_eq!(s.validate(), Ok(()));
        assert_eq!(s.encoding, Encoding::Json);
        assert_eq!(s.timeout, Duration::from_secs(2));
        assert_eq!(s.headers["Authorization"], "Bearer x");
        assert_eq!(
            s.signal_url(Signal::Metrics).as_deref(),
            Some("http://a:4318/prefix/v1/metrics")
        );
        assert!(parse("endpoint: http://a\ncompression: snappy").is_err());
        assert!(parse("endpoint: http://a\nendpont: http://b").is_err());
    }

    #[test]
    fn validation_names_the_field() {
        let err = |yaml: &str| parse(yaml).unwrap().validate().unwrap_err().to_string();
        assert_eq!(
            err("{}"),
            "endpoint: set `endpoint` (or `logs_endpoint`, `metrics_endpoint`, `traces_endpoint`)"
        );
        assert_eq!(
            err("endpoint: http://a\ncompression_params: {level: 12}"),
            "compression_params.level: 12 is not a gzip level: 1 (fastest) to 9 (smallest), \
             or 0 for the default (6)"
        );
        assert!(
            err("endpoint: collector:4318").starts_with("endpoint: `collector:4318`: scheme"),
            "{}",
            err("endpoint: collector:4318")
        );
        assert!(
            err("metrics_endpoint: not a url")
                .starts_with("metrics_endpoint: `not a url` is not a URL")
        );
        assert_eq!(
            err("traces_endpoint: ftp://a/v1/traces"),
            "traces_endpoint: `ftp://a/v1/traces`: scheme `ftp` is not http or https"
        );
        assert_eq!(
            err("endpoint: http://a\nheaders: {Content-Type: text/plain}"),
            "headers.Content-Type: set by the exporter from `encoding` and `compression`"
        );
        assert!(
            err("endpoint: http://a\nheaders: {\"X-A\": \"a\\nb\"}")
                .starts_with("headers.X-A: not a valid")
        );
    }

    #[test]
    fn the_scheme_decides_tls_and_the_tls_keys_must_agree() {
        let pki = Pki::new();
        let ca = pki.path("ca.pem").display().to_string();
        let ok = |yaml: &str| parse(yaml).unwrap().validate();
        assert_eq!(
            ok(&format!(
                "endpoint: https://c:4318\ntls: {{ca_file: '{ca}'}}"
            )),
            Ok(())
        );
        assert_eq!(ok("endpoint: http://c:4318\ntls: {insecure: true}"), Ok(()));

        let err = |yaml: &str| parse(yaml).unwrap().validate().unwrap_err().to_string();
        assert_eq!(
            err(&format!(
                "endpoint: http://c:4318\ntls: {{ca_file: '{ca}'}}"
            )),
            "tls.ca_file: has no effect: no endpoint is `https://`"
        );
        assert_eq!(
            err("logs_endpoint: https://vl/v1/logs\ntls: {insecure: true}"),
            "tls.insecure: `true` asks for plaintext, but `https://vl/v1/logs` asks for TLS; \
             remove one of them"
        );
        let missing = pki.path("missing.pem").display().to_string();
        assert!(
            err(&format!(
                "endpoint: https://c\ntls: {{ca_file: '{missing}'}}"
            ))
            .starts_with(&format!("tls.ca_file: cannot read `{missing}`: ")),
        );
    }
}
