//! The settings of the `otlp` exporter, with the OpenTelemetry Collector's
//! keys, and the checks [`resolve`](crate::config) runs on them before
//! anything starts.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use indexmap::IndexMap;
use serde::Deserialize;
use tonic::metadata::{AsciiMetadataKey, AsciiMetadataValue};

/// Exporter `otlp`: sends each batch as an OTLP/gRPC export call
/// (`LogsService`, `MetricsService` or `TraceService` `Export`) to a
/// Collector, another weir, Jaeger, or any store that ingests OTLP/gRPC.
/// The keys are those of the Collector's `otlp` exporter.
///
/// An `OK` answer is success (a partial success is logged as a warning);
/// `CANCELLED`, `DEADLINE_EXCEEDED`, `ABORTED`, `OUT_OF_RANGE`,
/// `UNAVAILABLE` and `DATA_LOSS`, `RESOURCE_EXHAUSTED` carrying a
/// `google.rpc.RetryInfo`, a refused or broken connection and a timeout
/// may be tried again, after the server's `RetryInfo` delay if it sent
/// one; every other status refuses the batch for good, as the OTLP
/// specification says.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct OtlpExporter {
    /// Where to send: `host:port` (e.g. `collector:4317`) or
    /// `http://host:port`. Plaintext only for now: `https://` is refused,
    /// and `tls.insecure: true` must say so. The connection is made on the
    /// first export, so a destination that is down at start is not an
    /// error. Required; no default.
    pub endpoint: Option<String>,
    /// Transport security. Only `insecure: true` (plaintext) is supported
    /// yet.
    pub tls: Tls,
    /// Extra gRPC metadata sent with every call, e.g. an `authorization`
    /// token (`${env:VAR}` keeps it out of the file). Names are
    /// case-insensitive ASCII; binary (`-bin`) keys, `content-type`, `te`
    /// and `grpc-*` are set by gRPC itself and may not be given. Default
    /// none.
    pub headers: IndexMap<String, String>,
    /// How request messages are compressed (`grpc-encoding`): `gzip`
    /// (default), `zstd` or `none`. Answers compressed with either are
    /// read.
    pub compression: Compression,
    /// How long one export call may take, from connecting to the answer,
    /// before it is abandoned and counts as a retryable failure; also sent
    /// to the server as the call's deadline (`grpc-timeout`). `0s` means
    /// no limit. Default `30s`, as the Collector's.
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
}

impl Default for OtlpExporter {
    fn default() -> Self {
        OtlpExporter {
            endpoint: None,
            tls: Tls::default(),
            headers: IndexMap::new(),
            compression: Compression::Gzip,
            timeout: Duration::from_secs(30),
        }
    }
}

/// The `tls` block, with the Collector's keys. TLS itself is not
/// supported yet: the only accepted setting is `insecure: true`, and every
/// other key is refused by validation rather than silently ignored.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct Tls {
    /// `true`: send in plaintext (h2c), without TLS. Default `false`, as in
    /// the Collector, where it means "use TLS" — which weir does not
    /// support yet, so `true` must be written out.
    pub insecure: bool,
    /// CA certificate to verify the server with. Not supported yet.
    pub ca_file: Option<PathBuf>,
    /// Client certificate, for mutual TLS. Not supported yet.
    pub cert_file: Option<PathBuf>,
    /// Client key, for mutual TLS. Not supported yet.
    pub key_file: Option<PathBuf>,
    /// Skip verifying the server's certificate. Not supported yet.
    pub insecure_skip_verify: bool,
}

/// Compression of request messages.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Compression {
    /// `grpc-encoding: gzip`.
    #[default]
    Gzip,
    /// `grpc-encoding: zstd`.
    Zstd,
    /// Uncompressed.
    None,
}

/// A setting that failed [`OtlpExporter::validate`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct InvalidSetting {
    /// The key at fault, relative to the exporter, e.g. `endpoint` or
    /// `tls.insecure`.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

/// Metadata gRPC sets itself.
const RESERVED_HEADERS: [&str; 3] = ["content-type", "te", "user-agent"];

const TLS_LATER: &str = "TLS is not supported yet";

impl OtlpExporter {
    /// The endpoint as the URI the gRPC channel connects to,
    /// `http://host:port`, if it is given and well-formed.
    pub fn uri(&self) -> Option<String> {
        let endpoint = self.endpoint.as_deref()?;
        parse_endpoint(endpoint)
            .ok()
            .map(|authority| format!("http://{authority}"))
    }

    /// Checks what deserialising cannot: the endpoint is given and is
    /// `host:port` or `http://host:port`; nothing asks for TLS; each
    /// header is valid gRPC metadata that gRPC does not set itself.
    pub fn validate(&self) -> Result<(), InvalidSetting> {
        let invalid = |field: &str, message: String| InvalidSetting {
            field: field.to_string(),
            message,
        };
        let endpoint = self.endpoint.as_deref().ok_or_else(|| {
            invalid(
                "endpoint",
                "set `endpoint`, e.g. `collector:4317` or `http://collector:4317`".into(),
            )
        })?;
        parse_endpoint(endpoint).map_err(|message| invalid("endpoint", message))?;

        let tls = &self.tls;
        let files = [
            ("tls.ca_file", &tls.ca_file),
            ("tls.cert_file", &tls.cert_file),
            ("tls.key_file", &tls.key_file),
        ];
        for (field, file) in files {
            if file.is_some() {
                return Err(invalid(
                    field,
                    format!("{TLS_LATER}; remove it and set `tls.insecure: true` for plaintext"),
                ));
            }
        }
        if tls.insecure_skip_verify {
            return Err(invalid(
                "tls.insecure_skip_verify",
                format!("{TLS_LATER}; remove it and set `tls.insecure: true` for plaintext"),
            ));
        }
        if !tls.insecure {
            return Err(invalid(
                "tls.insecure",
                format!(
                    "{TLS_LATER}: set `tls.insecure: true` to send in plaintext \
                     (unset, it means TLS, as in the Collector)"
                ),
            ));
        }

        for (name, value) in &self.headers {
            let field = format!("headers.{name}");
            let lower = name.to_ascii_lowercase();
            if RESERVED_HEADERS.contains(&lower.as_str()) || lower.starts_with("grpc-") {
                return Err(invalid(&field, "set by gRPC itself".into()));
            }
            if lower.ends_with("-bin") {
                return Err(invalid(
                    &field,
                    "binary (`-bin`) metadata is not supported".into(),
                ));
            }
            AsciiMetadataKey::from_str(name)
                .map_err(|_| invalid(&field, "not a valid gRPC metadata name".into()))?;
            AsciiMetadataValue::try_from(value.as_str()).map_err(|_| {
                invalid(
                    &field,
                    "not a valid gRPC metadata value (visible ASCII and spaces only)".into(),
                )
            })?;
        }
        Ok(())
    }
}

/// `host:port` or `http://host:port` (a trailing `/` allowed) → the
/// `host:port` part.
fn parse_endpoint(text: &str) -> Result<http::uri::Authority, String> {
    let rest = if let Some(rest) = text.strip_prefix("http://") {
        rest
    } else if text.starts_with("https://") {
        return Err(format!(
            "`{text}`: {TLS_LATER}; use `http://host:port` or `host:port` \
             with `tls.insecure: true`"
        ));
    } else if let Some((scheme, _)) = text.split_once("://") {
        return Err(format!("`{text}`: scheme `{scheme}` is not http"));
    } else {
        text
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.contains('/') {
        return Err(format!(
            "`{text}`: a gRPC endpoint is `host:port`, without a path"
        ));
    }
    let authority =
        http::uri::Authority::from_str(rest).map_err(|_| format!("`{text}` is not `host:port`"))?;
    if rest.contains('@') || authority.host().is_empty() || authority.port_u16().is_none() {
        return Err(format!("`{text}` is not `host:port`"));
    }
    Ok(authority)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str) -> Result<OtlpExporter, serde_norway::Error> {
        serde_norway::from_str(yaml)
    }

    #[test]
    fn defaults_are_the_collectors() {
        let s = parse("endpoint: collector:4317\ntls: {insecure: true}").unwrap();
        assert_eq!(s.compression, Compression::Gzip);
        assert_eq!(s.timeout, Duration::from_secs(30));
        assert!(s.headers.is_empty());
        assert_eq!(
            s.tls,
            Tls {
                insecure: true,
                ..Tls::default()
            }
        );
        assert_eq!(s.validate(), Ok(()));
        assert_eq!(s.uri().as_deref(), Some("http://collector:4317"));
    }

    #[test]
    fn all_keys_parse() {
        let s = parse(
            "endpoint: http://127.0.0.1:4317/
tls:
  insecure: true
headers: {Authorization: Bearer x}
compression: zstd
timeout: 2s",
        )
        .unwrap();
        assert_eq!(s.compression, Compression::Zstd);
        assert_eq!(s.timeout, Duration::from_secs(2));
        assert_eq!(s.headers["Authorization"], "Bearer x");
        assert_eq!(s.validate(), Ok(()));
        assert_eq!(s.uri().as_deref(), Some("http://127.0.0.1:4317"));
        assert!(parse("endpoint: a:1\ncompression: snappy").is_err());
        assert!(parse("endpoint: a:1\nendpont: b:1").is_err());
        assert!(parse("endpoint: a:1\ntls: {insecure: true, ca_pem: x}").is_err());
    }

    #[test]
    fn validation_names_the_field() {
        let err = |yaml: &str| parse(yaml).unwrap().validate().unwrap_err().to_string();
        let plain = "\ntls: {insecure: true}";
        assert_eq!(
            err("tls: {insecure: true}"),
            "endpoint: set `endpoint`, e.g. `collector:4317` or `http://collector:4317`"
        );
        assert_eq!(
            err(&format!("endpoint: collector{plain}")),
            "endpoint: `collector` is not `host:port`"
        );
        assert_eq!(
            err(&format!("endpoint: http://collector:4317/v1/logs{plain}")),
            "endpoint: `http://collector:4317/v1/logs`: a gRPC endpoint is `host:port`, \
             without a path"
        );
        assert_eq!(
            err(&format!("endpoint: grpc://collector:4317{plain}")),
            "endpoint: `grpc://collector:4317`: scheme `grpc` is not http"
        );
        assert_eq!(
            err(&format!("endpoint: https://collector:4317{plain}")),
            "endpoint: `https://collector:4317`: TLS is not supported yet; \
             use `http://host:port` or `host:port` with `tls.insecure: true`"
        );
        assert_eq!(
            err(&format!(
                "endpoint: a:1\nheaders: {{grpc-timeout: 1S}}{plain}"
            )),
            "headers.grpc-timeout: set by gRPC itself"
        );
        assert_eq!(
            err(&format!(
                "endpoint: a:1\nheaders: {{Content-Type: x}}{plain}"
            )),
            "headers.Content-Type: set by gRPC itself"
        );
        assert_eq!(
            err(&format!("endpoint: a:1\nheaders: {{token-bin: eA}}{plain}")),
            "headers.token-bin: binary (`-bin`) metadata is not supported"
        );
        assert!(
            err(&format!(
                "endpoint: a:1\nheaders: {{\"X-A\": \"a\\nb\"}}{plain}"
            ))
            .starts_with("headers.X-A: not a valid gRPC metadata value")
        );
        assert!(
            err(&format!("endpoint: a:1\nheaders: {{\"a b\": c}}{plain}"))
                .starts_with("headers.a b: not a valid gRPC metadata name")
        );
    }

    #[test]
    fn tls_is_refused_until_it_is_supported() {
        let err = |yaml: &str| parse(yaml).unwrap().validate().unwrap_err().to_string();
        assert_eq!(
            err("endpoint: collector:4317"),
            "tls.insecure: TLS is not supported yet: set `tls.insecure: true` to send in \
             plaintext (unset, it means TLS, as in the Collector)"
        );
        assert!(
            err("endpoint: collector:4317\ntls: {insecure: false}")
                .starts_with("tls.insecure: TLS is not supported yet")
        );
        assert_eq!(
            err("endpoint: collector:4317\ntls: {insecure: true, ca_file: /etc/ca.pem}"),
            "tls.ca_file: TLS is not supported yet; remove it and set `tls.insecure: true` \
             for plaintext"
        );
        assert!(
            err("endpoint: c:1\ntls: {cert_file: c.pem, key_file: k.pem}")
                .starts_with("tls.cert_file: TLS is not supported yet")
        );
        assert!(
            err("endpoint: c:1\ntls: {insecure_skip_verify: true}")
                .starts_with("tls.insecure_skip_verify: TLS is not supported yet")
        );
    }
}
