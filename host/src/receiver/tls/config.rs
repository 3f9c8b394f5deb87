//! The `tls` block of a receiver protocol, with the keys of the
//! Collector's server-side TLS settings, and the rustls server
//! configuration built from it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rustls::server::WebPkiClientVerifier;
use rustls::{ServerConfig, SupportedProtocolVersion};
use serde::Deserialize;

use crate::exporter::tls::{TlsError, read_certs, read_key, read_roots};

/// TLS for a receiver's server. With a `tls` block the server speaks
/// only TLS: a plaintext client is refused at the handshake.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct ServerTlsSettings {
    /// PEM file of the server's certificate chain, leaf first. Required.
    pub cert_file: Option<PathBuf>,
    /// PEM file of the certificate's private key (PKCS#8, PKCS#1 or
    /// SEC1). Required.
    pub key_file: Option<PathBuf>,
    /// PEM file of the CA certificates that sign client certificates:
    /// set, it turns on mutual TLS, and a client without a certificate
    /// signed by one of them is refused at the handshake. Default none.
    pub client_ca_file: Option<PathBuf>,
    /// Oldest TLS version accepted: `"1.2"` (default) or `"1.3"`. TLS 1.0
    /// and 1.1 are not offered (rustls does not implement them).
    pub min_version: Option<TlsVersion>,
    /// Newest TLS version accepted: `"1.2"` or `"1.3"` (default).
    pub max_version: Option<TlsVersion>,
    /// Accepted for Collector configurations. weir does not poll: it
    /// checks the three files' size and modification time when a
    /// connection arrives and, if one changed, serves the new
    /// certificate (and client CAs) from that connection on. A change
    /// that does not load (a key that does not match the certificate,
    /// half a file) is logged and the previous certificate kept.
    #[serde(with = "humantime_serde")]
    pub reload_interval: Option<Duration>,
}

/// A TLS protocol version, as the Collector writes it.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub enum TlsVersion {
    /// TLS 1.2.
    #[serde(rename = "1.2")]
    Tls12,
    /// TLS 1.3.
    #[serde(rename = "1.3")]
    Tls13,
}

fn error(field: &str, message: impl Into<String>) -> TlsError {
    TlsError {
        field: format!("tls.{field}"),
        message: message.into(),
    }
}

impl ServerTlsSettings {
    /// Checks the settings and reads the files, as a server would.
    pub fn validate(&self) -> Result<(), TlsError> {
        self.server_config(Vec::new()).map(|_| ())
    }

    /// The versions to offer, oldest first.
    fn versions(&self) -> Result<Vec<&'static SupportedProtocolVersion>, TlsError> {
        let min = self.min_version.unwrap_or(TlsVersion::Tls12);
        let max = self.max_version.unwrap_or(TlsVersion::Tls13);
        if min > max {
            return Err(error(
                "min_version",
                "is newer than `tls.max_version`: no version is left to offer",
            ));
        }
        let mut versions = Vec::new();
        if min == TlsVersion::Tls12 {
            versions.push(&rustls::version::TLS12);
        }
        if max == TlsVersion::Tls13 {
            versions.push(&rustls::version::TLS13);
        }
        Ok(versions)
    }

    /// A rustls server configuration from the files as they are now,
    /// offering `alpn` (`h2` for gRPC, `http/1.1` for OTLP/HTTP).
    pub(crate) fn server_config(&self, alpn: Vec<Vec<u8>>) -> Result<ServerConfig, TlsError> {
        let (cert, key) = match (&self.cert_file, &self.key_file) {
            (Some(cert), Some(key)) => (cert, key),
            (None, _) => return Err(error("cert_file", "required: the server's certificate")),
            (_, None) => return Err(error("key_file", "required with `tls.cert_file`")),
        };
        let chain = read_certs(cert)?;
        let key = read_key(key)?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&self.versions()?)
            .map_err(|e| error("min_version", format!("no usable TLS version: {e}")))?;
        let builder = match &self.client_ca_file {
            Some(path) => {
                let roots = read_roots("client_ca_file", path)?;
                let verifier =
                    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                        .build()
                        .map_err(|e| {
                            error("client_ca_file", format!("cannot verify clients: {e}"))
                        })?;
                builder.with_client_cert_verifier(verifier)
            }
            None => builder.with_no_client_auth(),
        };
        let mut config = builder
            .with_single_cert(chain, key)
            .map_err(|e| error("key_file", format!("does not go with `tls.cert_file`: {e}")))?;
        config.alpn_protocols = alpn;
        Ok(config)
    }

    /// The files the configuration is read from.
    pub(crate) fn files(&self) -> impl Iterator<Item = &PathBuf> {
        [&self.cert_file, &self.key_file, &self.client_ca_file]
            .into_iter()
            .flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exporter::tls::testing::Pki;

    fn settings(pki: &Pki) -> ServerTlsSettings {
        ServerTlsSettings {
            cert_file: Some(pki.path("server.pem")),
            key_file: Some(pki.path("server.key")),
            ..Default::default()
        }
    }

    #[test]
    fn a_certificate_and_its_key_make_a_server() {
        let pki = Pki::new();
        assert_eq!(settings(&pki).validate(), Ok(()));
        let mutual = ServerTlsSettings {
            client_ca_file: Some(pki.path("ca.pem")),
            ..settings(&pki)
        };
        assert_eq!(mutual.validate(), Ok(()));
    }

    #[test]
    fn errors_name_the_field() {
        let pki = Pki::new();
        let field = |s: ServerTlsSettings| s.validate().unwrap_err().field;
        assert_eq!(
            field(ServerTlsSettings {
                cert_file: None,
                ..settings(&pki)
            }),
            "tls.cert_file"
        );
        assert_eq!(
            field(ServerTlsSettings {
                key_file: None,
                ..settings(&pki)
            }),
            "tls.key_file"
        );
        assert_eq!(
            field(ServerTlsSettings {
                client_ca_file: Some(pki.path("missing.pem")),
                ..settings(&pki)
            }),
            "tls.client_ca_file"
        );
        assert_eq!(
            field(ServerTlsSettings {
                key_file: Some(pki.path("client-key.pem")),
                ..settings(&pki)
            }),
            "tls.key_file",
            "a key of another certificate"
        );
        assert_eq!(
            field(ServerTlsSettings {
                min_version: Some(TlsVersion::Tls13),
                max_version: Some(TlsVersion::Tls12),
                ..settings(&pki)
            }),
            "tls.min_version"
        );
    }

    #[test]
    fn versions_follow_min_and_max() {
        let only13 = ServerTlsSettings {
            min_version: Some(TlsVersion::Tls13),
            ..Default::default()
        };
        assert_eq!(only13.versions().unwrap(), vec![&rustls::version::TLS13]);
        let both = ServerTlsSettings::default();
        assert_eq!(both.versions().unwrap().len(), 2);
        let version: TlsVersion = serde_norway::from_str("\"1.3\"").unwrap();
        assert_eq!(version, TlsVersion::Tls13);
        assert!(serde_norway::from_str::<TlsVersion>("\"1.1\"").is_err());
    }
}
