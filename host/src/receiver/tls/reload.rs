//! A server configuration that follows its files. Certificates rotate
//! (cert-manager, an ACME client, a mounted Kubernetes secret) and a
//! restart for each would drop connections, so every new connection
//! first checks the files' identity (inode, size, modification time —
//! three `stat`s, nothing beside a handshake) and rebuilds the
//! configuration when one changed. Established connections keep the
//! configuration they started with.

use std::os::unix::fs::MetadataExt;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use rustls::ServerConfig;

use super::ServerTlsSettings;

/// What identifies a file's content without reading it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Stamp {
    inode: u64,
    len: u64,
    modified: Option<SystemTime>,
}

fn stamps(settings: &ServerTlsSettings) -> Vec<Option<Stamp>> {
    settings
        .files()
        .map(|path| {
            let meta = std::fs::metadata(path).ok()?;
            Some(Stamp {
                inode: meta.ino(),
                len: meta.len(),
                modified: meta.modified().ok(),
            })
        })
        .collect()
}

/// The configuration of one receiver protocol's TLS server.
pub(crate) struct ReloadingConfig {
    settings: ServerTlsSettings,
    alpn: Vec<Vec<u8>>,
    /// For log lines: `receivers.<id>.protocols.<protocol>`.
    name: String,
    current: Mutex<Loaded>,
}

struct Loaded {
    /// The files' stamps when last looked at, whether or not they loaded.
    stamps: Vec<Option<Stamp>>,
    config: Arc<ServerConfig>,
}

impl ReloadingConfig {
    /// Loads the configuration from the files as they are now.
    pub(crate) fn new(
        name: String,
        settings: ServerTlsSettings,
        alpn: Vec<Vec<u8>>,
    ) -> anyhow::Result<ReloadingConfig> {
        let stamps = stamps(&settings);
        let config = settings
            .server_config(alpn.clone())
            .map_err(|e| anyhow::anyhow!("{name}.{e}"))?;
        Ok(ReloadingConfig {
            settings,
            alpn,
            name,
            current: Mutex::new(Loaded {
                stamps,
                config: Arc::new(config),
            }),
        })
    }

    /// The configuration for a new connection: the files' current one
    /// if they changed and load, else the one in use.
    pub(crate) fn current(&self) -> Arc<ServerConfig> {
        let now = stamps(&self.settings);
        let mut loaded = self.current.lock().unwrap_or_else(|e| e.into_inner());
        if now != loaded.stamps {
            // Whatever the outcome, this state of the files has been
            // tried: a broken file is reported once, not per connection,
            // and tried again when it changes (e.g. the key arrives after
            // the certificate).
            loaded.stamps = now;
            match self.settings.server_config(self.alpn.clone()) {
                Ok(config) => {
                    loaded.config = Arc::new(config);
                    tracing::info!(server = %self.name, "TLS certificate files changed: reloaded");
                }
                Err(e) => tracing::warn!(
                    server = %self.name,
                    error = %e,
                    "TLS certificate files changed but do not load: still serving the previous certificate"
                ),
            }
        }
        loaded.config.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exporter::tls::testing::Pki;

    #[test]
    fn a_replaced_certificate_is_used_and_a_broken_one_is_not() {
        let (first, second) = (Pki::new(), Pki::new());
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
        let install = |pki: &Pki| {
            std::fs::copy(pki.path("server.pem"), &cert).unwrap();
            std::fs::copy(pki.path("server.key"), &key).unwrap();
        };
        install(&first);
        let settings = ServerTlsSettings {
            cert_file: Some(cert.clone()),
            key_file: Some(key.clone()),
            ..Default::default()
        };
        let reloading = ReloadingConfig::new("test".into(), settings, vec![]).unwrap();
        let before = reloading.current();
        assert!(
            Arc::ptr_eq(&before, &reloading.current()),
            "unchanged files: the same configuration"
        );

        // Half a rotation: the new certificate beside the old key.
        std::fs::copy(second.path("server.pem"), &cert).unwrap();
        assert!(
            Arc::ptr_eq(&before, &reloading.current()),
            "a certificate without its key is not served"
        );

        std::fs::copy(second.path("server.key"), &key).unwrap();
        let after = reloading.current();
        assert!(!Arc::ptr_eq(&before, &after), "the new pair is served");
    }
}
