//! TLS for the exporters that send over the network (`otlp`, `otlphttp`):
//! the Collector's `tls` keys, and the one place that turns them into a
//! rustls client configuration. Its PEM readers also serve the
//! receivers' server side (`receiver::tls`).
//!
//! The exporters' `validate` calls [`TlsSettings::client_config`] when
//! resolving the configuration, so a missing or unreadable file fails
//! `weir validate` with the field named; each exporter calls it again
//! when it builds its client and adds what its transport needs (ALPN
//! `h2` for gRPC, `http/1.1` for reqwest). Cryptography is rustls's
//! `ring` provider; the default roots are the system's
//! (`rustls-native-certs`), as the Collector uses the system pool.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use serde::Deserialize;

/// The `tls` block of a network exporter, with the Collector's keys.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct TlsSettings {
    /// `true`: send in plaintext, without TLS. Default `false`, which for
    /// `otlp` means TLS, as in the Collector. For `otlphttp` the URL's
    /// scheme decides (`https://` is TLS); `true` there only confirms
    /// that every endpoint is `http://`. With `true`, no other `tls` key
    /// may be given.
    pub insecure: bool,
    /// PEM file of the CA certificates to verify the server with, instead
    /// of the system's roots. Default: the system's roots.
    pub ca_file: Option<PathBuf>,
    /// PEM file of the client certificate (chain) weir presents, for
    /// mutual TLS. Needs `key_file`. Default none.
    pub cert_file: Option<PathBuf>,
    /// PEM file of the private key of `cert_file` (PKCS#8, PKCS#1 or
    /// SEC1). Needs `cert_file`. Default none.
    pub key_file: Option<PathBuf>,
    /// `true`: accept any server certificate, checking neither its chain
    /// nor its name. The connection is encrypted but not authenticated;
    /// for tests only. A warning is logged when the exporter starts.
    /// Default `false`.
    pub insecure_skip_verify: bool,
    /// The name the server's certificate must carry, instead of the
    /// endpoint's host (e.g. when connecting by IP address). `otlp` also
    /// sends it as the TLS server name (SNI); `otlphttp` sends the URL's
    /// host and only checks the certificate against this name. Default:
    /// the endpoint's host.
    pub server_name_override: Option<String>,
}

/// A `tls` setting that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct TlsError {
    /// The key at fault, relative to the exporter, e.g. `tls.ca_file`.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

fn error(field: &str, message: impl Into<String>) -> TlsError {
    TlsError {
        field: format!("tls.{field}"),
        message: message.into(),
    }
}

impl TlsSettings {
    /// The keys other than `insecure` that are set, by name: they have
    /// no effect on a plaintext connection.
    pub fn tls_keys_set(&self) -> Vec<&'static str> {
        let mut keys = Vec::new();
        if self.ca_file.is_some() {
            keys.push("ca_file");
        }
        if self.cert_file.is_some() {
            keys.push("cert_file");
        }
        if self.key_file.is_some() {
            keys.push("key_file");
        }
        if self.insecure_skip_verify {
            keys.push("insecure_skip_verify");
        }
        if self.server_name_override.is_some() {
            keys.push("server_name_override");
        }
        keys
    }

    /// The server name from `server_name_override`, if given.
    pub fn server_name(&self) -> Result<Option<ServerName<'static>>, TlsError> {
        self.server_name_override
            .as_deref()
            .map(|name| {
                ServerName::try_from(name.to_string()).map_err(|_| {
                    error(
                        "server_name_override",
                        format!("`{name}` is not a DNS name or an IP address"),
                    )
                })
            })
            .transpose()
    }

    /// A rustls client configuration from these settings: the roots of
    /// `ca_file` (or the system's), the client certificate of
    /// `cert_file` and `key_file`, and the verifier
    /// `insecure_skip_verify` and `server_name_override` ask for. Reads
    /// the files; the error names the field and says which file is
    /// missing or holds no usable PEM. No ALPN: the caller sets it.
    pub fn client_config(&self) -> Result<ClientConfig, TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| error("insecure", format!("no usable TLS version: {e}")))?;

        // Read every file, even those skipping verification makes moot,
        // so a wrong path is found now and not when the setting changes.
        let roots = match &self.ca_file {
            Some(path) => Some(read_roots("ca_file", path)?),
            None => None,
        };
        let identity = match (&self.cert_file, &self.key_file) {
            (Some(cert), Some(key)) => Some((read_certs(cert)?, read_key(key)?)),
            (Some(_), None) => return Err(error("key_file", "needed with `tls.cert_file`")),
            (None, Some(_)) => return Err(error("cert_file", "needed with `tls.key_file`")),
            (None, None) => None,
        };
        let name = self.server_name()?;

        let algorithms = provider.signature_verification_algorithms;
        let verifier: Arc<dyn ServerCertVerifier> = if self.insecure_skip_verify {
            Arc::new(SkipVerification { algorithms })
        } else {
            let roots = match roots {
                Some(roots) => roots,
                None => system_roots()?,
            };
            let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| error("ca_file", format!("cannot verify with these roots: {e}")))?;
            match name {
                Some(name) => Arc::new(NameOverride {
                    inner: webpki,
                    name,
                }),
                None => webpki,
            }
        };
        let builder = builder
            .dangerous()
            .with_custom_certificate_verifier(verifier);
        match identity {
            Some((chain, key)) => builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| error("key_file", format!("does not go with `tls.cert_file`: {e}"))),
            None => Ok(builder.with_no_client_auth()),
        }
    }

    /// Logs, once per exporter and process, that `insecure_skip_verify`
    /// is on: each of an exporter's consumers builds a client, and one
    /// warning says it.
    pub fn warn_if_unverified(&self, exporter: &str) {
        static WARNED: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
        if !self.insecure_skip_verify || self.insecure {
            return;
        }
        let mut warned = WARNED.lock().unwrap_or_else(|e| e.into_inner());
        if warned.insert(exporter.to_string()) {
            tracing::warn!(
                exporter = %exporter,
                "tls.insecure_skip_verify is on: the server's certificate is not checked, \
                 so anyone on the path can read and change what is sent"
            );
        }
    }
}

/// A configuration for a client that never makes a TLS connection but
/// must be given one (reqwest, built with rustls but no provider of its
/// own, for `http://` endpoints). It trusts no server.
pub fn plaintext_only_config() -> ClientConfig {
    ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions")
        .with_root_certificates(RootCertStore::empty())
        .with_no_client_auth()
}

fn read(field: &str, path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|e| error(field, format!("cannot read `{}`: {e}", path.display())))
}

fn not_pem(field: &str, path: &Path, what: &str, e: pem::Error) -> TlsError {
    let why = match e {
        pem::Error::NoItemsFound => format!("no PEM {what} in it"),
        other => format!("not PEM: {other:?}"),
    };
    error(field, format!("`{}`: {why}", path.display()))
}

/// The CA certificates in the PEM file `path`, the value of `tls.{field}`.
pub(crate) fn read_roots(field: &str, path: &Path) -> Result<RootCertStore, TlsError> {
    let certs = read_pem_certs(field, path)?;
    let mut roots = RootCertStore::empty();
    for cert in certs {
        roots.add(cert).map_err(|e| {
            error(
                field,
                format!("`{}`: not a usable CA certificate: {e}", path.display()),
            )
        })?;
    }
    Ok(roots)
}

/// The certificate chain in the PEM file `path`, the value of
/// `tls.cert_file`.
pub(crate) fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    read_pem_certs("cert_file", path)
}

fn read_pem_certs(field: &str, path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let bytes = read(field, path)?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| not_pem(field, path, "CERTIFICATE", e))?;
    if certs.is_empty() {
        return Err(not_pem(
            field,
            path,
            "CERTIFICATE",
            pem::Error::NoItemsFound,
        ));
    }
    Ok(certs)
}

/// The private key in the PEM file `path`, the value of `tls.key_file`.
pub(crate) fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let bytes = read("key_file", path)?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| not_pem("key_file", path, "PRIVATE KEY", e))
}

/// The system's roots; an error if there are none, as a TLS connection
/// could then trust no server.
fn system_roots() -> Result<RootCertStore, TlsError> {
    let found = rustls_native_certs::load_native_certs();
    let mut roots = RootCertStore::empty();
    let (added, _) = roots.add_parsable_certificates(found.certs);
    if added == 0 {
        let why = found
            .errors
            .first()
            .map_or_else(|| "none found".to_string(), ToString::to_string);
        return Err(error(
            "ca_file",
            format!("unset, and the system's root certificates cannot be loaded ({why}): set it"),
        ));
    }
    Ok(roots)
}

/// Checks the chain as usual, against `server_name_override` instead of
/// the name the connection was made to.
#[derive(Debug)]
struct NameOverride {
    inner: Arc<WebPkiServerVerifier>,
    name: ServerName<'static>,
}

impl ServerCertVerifier for NameOverride {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.inner
            .verify_server_cert(end_entity, intermediates, &self.name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// `insecure_skip_verify`: any certificate is accepted. The handshake's
/// signatures are still checked, so the peer holds the key of the
/// certificate it shows — which proves nothing about who it is.
#[derive(Debug)]
struct SkipVerification {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for SkipVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// Certificates made at test time, in files, and rustls server
/// configurations that use them: for the exporters' TLS tests.
#[cfg(test)]
pub(crate) mod testing {
    use std::path::PathBuf;
    use std::sync::Arc;

    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    use rustls::ServerConfig;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    use rustls::server::WebPkiClientVerifier;

    use super::TlsSettings;

    /// A CA, a server certificate it signed for `localhost` and
    /// `127.0.0.1`, and a client certificate it signed; all as PEM files
    /// in a temporary directory.
    pub(crate) struct Pki {
        dir: tempfile::TempDir,
        ca: CertificateDer<'static>,
        server_chain: Vec<CertificateDer<'static>>,
        server_key: Vec<u8>,
    }

    impl Pki {
        pub(crate) fn new() -> Pki {
            let dir = tempfile::tempdir().unwrap();
            let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
            ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            // A name of its own, so that another test CA is another issuer.
            let name = format!("weir test CA {:016x}", fastrand::u64(..));
            ca_params
                .distinguished_name
                .push(rcgen::DnType::CommonName, name);
            let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();

            let leaf = |names: Vec<String>| {
                let key = KeyPair::generate().unwrap();
                let cert = CertificateParams::new(names)
                    .unwrap()
                    .signed_by(&key, &ca)
                    .unwrap();
                (cert, key)
            };
            let (server, server_key) = leaf(vec!["localhost".into(), "127.0.0.1".into()]);
            let (client, client_key) = leaf(vec!["weir-client".into()]);
            let write = |name: &str, text: String| std::fs::write(dir.path().join(name), text);
            write("ca.pem", ca.pem()).unwrap();
            write("client.pem", client.pem()).unwrap();
            write("client-key.pem", client_key.serialize_pem()).unwrap();
            write("server.pem", server.pem()).unwrap();
            write("server.key", server_key.serialize_pem()).unwrap();
            Pki {
                ca: ca.der().clone(),
                server_chain: vec![server.der().clone()],
                server_key: server_key.serialize_der(),
                dir,
            }
        }

        /// A file in the directory, existing or not.
        pub(crate) fn path(&self, name: &str) -> PathBuf {
            self.dir.path().join(name)
        }

        /// Settings that trust the CA (and nothing else).
        pub(crate) fn trusting(&self) -> TlsSettings {
            TlsSettings {
                ca_file: Some(self.path("ca.pem")),
                ..TlsSettings::default()
            }
        }

        /// Settings that trust the CA and present the client certificate.
        pub(crate) fn with_client_cert(&self) -> TlsSettings {
            TlsSettings {
                cert_file: Some(self.path("client.pem")),
                key_file: Some(self.path("client-key.pem")),
                ..self.trusting()
            }
        }

        /// A server configuration with the server certificate, offering
        /// `alpn`; demanding a client certificate signed by the CA if
        /// `mutual`.
        pub(crate) fn server_config(&self, alpn: &[u8], mutual: bool) -> Arc<ServerConfig> {
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let builder = ServerConfig::builder_with_provider(provider.clone())
                .with_safe_default_protocol_versions()
                .unwrap();
            let builder = if mutual {
                let mut roots = rustls::RootCertStore::empty();
                roots.add(self.ca.clone()).unwrap();
                let verifier = WebPkiClientVerifier::builder_with_provider(roots.into(), provider)
                    .build()
                    .unwrap();
                builder.with_client_cert_verifier(verifier)
            } else {
                builder.with_no_client_auth()
            };
            let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.server_key.clone()));
            let mut config = builder
                .with_single_cert(self.server_chain.clone(), key)
                .unwrap();
            config.alpn_protocols = vec![alpn.to_vec()];
            Arc::new(config)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::Pki;
    use super::*;

    fn parse(yaml: &str) -> Result<TlsSettings, serde_norway::Error> {
        serde_norway::from_str(yaml)
    }

    #[test]
    fn every_key_parses_and_unknown_ones_are_refused() {
        let s = parse(
            "insecure: false
ca_file: /etc/weir/ca.pem
cert_file: c.pem
key_file: k.pem
insecure_skip_verify: true
server_name_override: collector.internal",
        )
        .unwrap();
        assert_eq!(s.ca_file.as_deref(), Some(Path::new("/etc/weir/ca.pem")));
        assert_eq!(
            s.tls_keys_set(),
            [
                "ca_file",
                "cert_file",
                "key_file",
                "insecure_skip_verify",
                "server_name_override"
            ]
        );
        assert!(parse("ca_pem: x").is_err());
        assert_eq!(parse("{}").unwrap(), TlsSettings::default());
    }

    #[test]
    fn files_are_read_and_their_errors_name_the_field_and_the_file() {
        let pki = Pki::new();
        pki.with_client_cert().client_config().unwrap();

        let missing = TlsSettings {
            ca_file: Some(pki.path("nope.pem")),
            ..TlsSettings::default()
        };
        let err = missing.client_config().unwrap_err();
        assert_eq!(err.field, "tls.ca_file");
        assert!(
            err.message.starts_with(&format!(
                "cannot read `{}`: ",
                pki.path("nope.pem").display()
            )),
            "{err}"
        );

        std::fs::write(pki.path("junk.pem"), "not a certificate").unwrap();
        let junk = TlsSettings {
            ca_file: Some(pki.path("junk.pem")),
            ..TlsSettings::default()
        };
        assert_eq!(
            junk.client_config().unwrap_err().to_string(),
            format!(
                "tls.ca_file: `{}`: no PEM CERTIFICATE in it",
                pki.path("junk.pem").display()
            )
        );

        // A certificate where the key should be.
        let swapped = TlsSettings {
            key_file: Some(pki.path("client.pem")),
            ..pki.with_client_cert()
        };
        assert_eq!(
            swapped.client_config().unwrap_err().to_string(),
            format!(
                "tls.key_file: `{}`: no PEM PRIVATE KEY in it",
                pki.path("client.pem").display()
            )
        );

        let half = TlsSettings {
            key_file: None,
            ..pki.with_client_cert()
        };
        assert_eq!(
            half.client_config().unwrap_err().to_string(),
            "tls.key_file: needed with `tls.cert_file`"
        );

        let bad_name = TlsSettings {
            server_name_override: Some("not a name!".into()),
            ..pki.trusting()
        };
        assert_eq!(
            bad_name.client_config().unwrap_err().to_string(),
            "tls.server_name_override: `not a name!` is not a DNS name or an IP address"
        );
    }
}
