//! The settings of the `otlp` receiver, with the OpenTelemetry Collector's
//! keys: which protocols it serves, where each listens, and how large a
//! request may be. Re-exported from [`crate::config`], whose resolver
//! reads them under `receivers.<id>`; these docs are the user's
//! reference, and every struct refuses unknown fields so a misspelt key is
//! an error, not a no-op.

use serde::{Deserialize, Deserializer};

use crate::auth::AuthSettings;
use crate::receiver::tls::ServerTlsSettings;

/// Deserialises a present key whose value may be null (`grpc:` alone, as
/// Collector configs write it) as the type's default.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de> + Default>(
    d: D,
) -> Result<Option<T>, D::Error> {
    Ok(Some(Option::<T>::deserialize(d)?.unwrap_or_default()))
}

/// Receiver `otlp`: OTLP over gRPC and HTTP.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OtlpReceiver {
    /// Which protocols to serve; each is on only if its key is present.
    #[serde(default)]
    pub protocols: OtlpProtocols,
}

/// The protocols of an `otlp` receiver.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OtlpProtocols {
    /// OTLP/gRPC (`grpc:` alone means the defaults).
    #[serde(default, deserialize_with = "present")]
    pub grpc: Option<OtlpGrpc>,
    /// OTLP/HTTP (`http:` alone means the defaults).
    #[serde(default, deserialize_with = "present")]
    pub http: Option<OtlpHttp>,
}

/// OTLP/gRPC settings.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct OtlpGrpc {
    /// `host:port` to listen on. Default `localhost:4317`, as the
    /// Collector's; use `0.0.0.0:4317` to accept connections from other
    /// hosts.
    pub endpoint: String,
    /// Largest request message accepted, in MiB, after decompression.
    /// Default 4, as the Collector's.
    pub max_recv_msg_size_mib: u64,
    /// Serve over TLS (gRPC's `h2` protocol), with mutual TLS if it names
    /// `client_ca_file`; see [`ServerTlsSettings`]. Default: plaintext.
    pub tls: Option<ServerTlsSettings>,
    /// Require a token: `{authenticator: <id of a bearertokenauth
    /// extension>}`. A call without the right `authorization` metadata is
    /// answered `UNAUTHENTICATED` before its message is read. Default:
    /// none required.
    pub auth: Option<AuthSettings>,
}

impl Default for OtlpGrpc {
    fn default() -> Self {
        OtlpGrpc {
            endpoint: "localhost:4317".into(),
            max_recv_msg_size_mib: 4,
            tls: None,
            auth: None,
        }
    }
}

/// OTLP/HTTP settings.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct OtlpHttp {
    /// `host:port` to listen on. Default `localhost:4318`.
    pub endpoint: String,
    /// Largest request body accepted, in bytes, checked both as sent and
    /// after decompression (so a small gzip bomb is refused, not
    /// inflated). Default 20 MiB, as the Collector's.
    pub max_request_body_size: u64,
    /// Serve HTTPS, with mutual TLS if it names `client_ca_file`; see
    /// [`ServerTlsSettings`]. Default: plain HTTP.
    pub tls: Option<ServerTlsSettings>,
    /// Require a token: `{authenticator: <id of a bearertokenauth
    /// extension>}`. A request without the right `Authorization` header
    /// is answered 401 before its body is read. Default: none required.
    pub auth: Option<AuthSettings>,
}

impl Default for OtlpHttp {
    fn default() -> Self {
        OtlpHttp {
            endpoint: "localhost:4318".into(),
            max_request_body_size: 20 << 20,
            tls: None,
            auth: None,
        }
    }
}
