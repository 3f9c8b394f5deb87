//! The settings of the `otlp` exporter, with the OpenTelemetry Collector's
//! keys, and the checks [`resolve`](crate::config) runs on them before
//! anything starts.

use std::str::FromStr;
use std::time::Duration;

use indexmap::IndexMap;
use serde::Deserialize;
use tonic::metadata::{AsciiMetadataKey, AsciiMetadataValue};

use crate::auth::AuthSettings;
use crate::exporter::InvalidSetting;
use crate::exporter::compression::Compression;
use crate::exporter::tls::TlsSettings;

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
    /// Where to send: `host:port` (e.g. `collector:4317`),
    /// `https://host:port` (TLS), or `http://host:port` (plaintext, which
    /// `tls.insecure: true` must confirm). `host:port` is TLS unless
    /// `tls.insecure` is `true`, as in the Collector. The connection is
    /// made on the first export, so a destination that is down at start is
    /// not an error. Required; no default.
    pub endpoint: Option<String>,
    /// Transport security, with the Collector's keys: TLS unless
    /// `insecure: true`; see [`TlsSettings`].
    pub tls: TlsSettings,
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
    /// Send a token: `{authenticator: <id of a bearertokenauth
    /// extension>}` adds its `authorization: Bearer <token>` to every
    /// call (re-read when its token file rotates). Default none.
    pub auth: Option<AuthSettings>,
}

impl Default for OtlpExporter {
    fn default() -> Self {
        OtlpExporter {
            endpoint: None,
            tls: TlsSettings::default(),
            headers: IndexMap::new(),
            compression: Compression::Gzip,
            timeout: Duration::from_secs(30),
            auth: None,
        }
    }
}

/// Metadata gRPC sets itself.
const RESERVED_HEADERS: [&str; 3] = ["content-type", "te", "user-agent"];

impl OtlpExporter {
    /// Whether calls go over TLS: unless `tls.insecure` is `true`.
    pub fn uses_tls(&self) -> bool {
        !self.tls.insecure
    }

    /// The endpoint as the URI the gRPC channel connects to,
    /// `https://host:port` with TLS and `http://host:port` without, if it
    /// is given and well-formed.
    pub fn uri(&self) -> Option<String> {
        let endpoint = self.endpoint.as_deref()?;
        let (_, authority) = parse_endpoint(endpoint).ok()?;
        let scheme = if self.uses_tls() { "https" } else { "http" };
        Some(format!("{scheme}://{authority}"))
    }

    /// Checks what deserialising cannot: the endpoint is given and is
    /// `host:port`, `http://host:port` or `https://host:port`; its scheme
    /// agrees with `tls.insecure`; the TLS files can be read (or, in
    /// plaintext, none is given); each header is valid gRPC metadata that
    /// gRPC does not set itself.
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
        let (scheme, _) =
            parse_endpoint(endpoint).map_err(|message| invalid("endpoint", message))?;

        let tls = &self.tls;
        match (scheme, tls.insecure) {
            (Scheme::Https, true) => {
                return Err(invalid(
                    "tls.insecure",
                    format!(
                        "`true` asks for plaintext, but `{endpoint}` asks for TLS; \
                         remove one of them"
                    ),
                ));
            }
            (Scheme::Http, false) => {
                return Err(invalid(
                    "tls.insecure",
                    format!(
                        "`{endpoint}` asks for plaintext: set `tls.insecure: true`, \
                         or write `https://` for TLS (unset, `tls.insecure` means TLS, \
                         as in the Collector)"
                    ),
                ));
            }
            _ => {}
        }
        if tls.insecure {
            if let Some(key) = tls.tls_keys_set().first() {
                return Err(invalid(
                    &format!("tls.{key}"),
                    "has no effect with `tls.insecure: true` (plaintext); remove one of them"
                        .into(),
                ));
            }
        } else {
            tls.client_config()
                .map_err(|e| invalid(&e.field, e.message))?;
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

/// The scheme an endpoint was written with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scheme {
    /// `host:port`: `tls.insecure` decides.
    None,
    /// `http://`: plaintext.
    Http,
    /// `https://`: TLS.
    Https,
}

/// `host:port`, `http://host:port` or `https://host:port` (a trailing `/`
/// allowed) → the scheme and the `host:port` part.
fn parse_endpoint(text: &str) -> Result<(Scheme, http::uri::Authority), String> {
    let (scheme, rest) = if let Some(rest) = text.strip_prefix("http://") {
        (Scheme::Http, rest)
    } else if let Some(rest) = text.strip_prefix("https://") {
        (Scheme::Https, rest)
    } else if let Some((scheme, _)) = text.split_once("://") {
        return Err(format!("`{text}`: scheme `{scheme}` is not http or https"));
    } else {
        (Scheme::None, text)
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
    Ok((scheme, authority))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exporter::tls::testing::Pki;

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
            TlsSettings {
                insecure: true,
                ..TlsSettings::default()
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
            "endpoint: `grpc://collector:4317`: scheme `grpc` is not http or https"
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
    fn tls_is_the_default_and_the_scheme_must_agree_with_insecure() {
        let pki = Pki::new();
        let ca = pki.path("ca.pem").display().to_string();
        let with_ca = |endpoint: &str| {
            parse(&format!("endpoint: {endpoint}\ntls: {{ca_file: '{ca}'}}")).unwrap()
        };
        let s = with_ca("collector:4317");
        assert!(s.uses_tls());
        assert_eq!(s.validate(), Ok(()));
        assert_eq!(s.uri().as_deref(), Some("https://collector:4317"));
        let s = with_ca("https://collector:4317/");
        assert_eq!(s.validate(), Ok(()));
        assert_eq!(s.uri().as_deref(), Some("https://collector:4317"));

        let err = |yaml: &str| parse(yaml).unwrap().validate().unwrap_err().to_string();
        assert_eq!(
            err("endpoint: http://collector:4317"),
            "tls.insecure: `http://collector:4317` asks for plaintext: set \
             `tls.insecure: true`, or write `https://` for TLS (unset, `tls.insecure` \
             means TLS, as in the Collector)"
        );
        assert_eq!(
            err("endpoint: https://collector:4317\ntls: {insecure: true}"),
            "tls.insecure: `true` asks for plaintext, but `https://collector:4317` asks \
             for TLS; remove one of them"
        );
        assert_eq!(
            err("endpoint: c:1\ntls: {insecure: true, ca_file: /etc/ca.pem}"),
            "tls.ca_file: has no effect with `tls.insecure: true` (plaintext); \
             remove one of them"
        );
        assert!(
            err("endpoint: c:1\ntls: {insecure: true, insecure_skip_verify: true}")
                .starts_with("tls.insecure_skip_verify: has no effect")
        );
    }

    #[test]
    fn tls_files_are_read_when_validating() {
        let pki = Pki::new();
        let missing = pki.path("missing.pem").display().to_string();
        let err = parse(&format!("endpoint: c:1\ntls: {{ca_file: '{missing}'}}"))
            .unwrap()
            .validate()
            .unwrap_err();
        assert_eq!(err.field, "tls.ca_file");
        assert!(
            err.message
                .starts_with(&format!("cannot read `{missing}`: ")),
            "{err}"
        );
        let client = pki.path("client.pem").display().to_string();
        assert_eq!(
            parse(&format!("endpoint: c:1\ntls: {{cert_file: '{client}'}}"))
                .unwrap()
                .validate()
                .unwrap_err()
                .to_string(),
            "tls.key_file: needed with `tls.cert_file`"
        );
    }
}
