//! From the connection keys to a librdkafka configuration: brokers,
//! client id, TLS (OpenSSL inside librdkafka, configured from the same
//! `tls` keys as the other exporters), SASL, and the user's own
//! librdkafka properties last, so they can override anything weir sets.

use indexmap::IndexMap;
use rdkafka::ClientConfig;

use super::Auth;
use crate::exporter::{InvalidSetting, TlsSettings};

/// The connection keys of one Kafka component, borrowed from its
/// settings.
#[derive(Clone, Copy, Debug)]
pub struct Connection<'a> {
    /// `brokers`.
    pub brokers: &'a [String],
    /// `client_id`.
    pub client_id: &'a str,
    /// `tls`, if given.
    pub tls: Option<&'a TlsSettings>,
    /// `auth`.
    pub auth: &'a Auth,
    /// `librdkafka`: properties passed through as they are.
    pub properties: &'a IndexMap<String, String>,
}

fn invalid(field: impl Into<String>, message: impl Into<String>) -> InvalidSetting {
    InvalidSetting {
        field: field.into(),
        message: message.into(),
    }
}

/// The librdkafka configuration of `connection`. Checks what the keys
/// can get wrong before a broker is ever asked: no brokers, TLS files
/// that cannot be read, an unsupported SASL mechanism, a property that
/// weir must own.
pub fn client_config(connection: Connection<'_>) -> Result<ClientConfig, InvalidSetting> {
    let mut config = ClientConfig::new();
    if connection.brokers.is_empty() || connection.brokers.iter().any(|b| b.trim().is_empty()) {
        return Err(invalid(
            "brokers",
            "list at least one broker as `host:port`",
        ));
    }
    config.set("bootstrap.servers", connection.brokers.join(","));
    config.set("client.id", connection.client_id);

    let tls = match (connection.tls, &connection.auth.tls) {
        (Some(_), Some(_)) => {
            return Err(invalid(
                "auth.tls",
                "give `tls` at the top level only (`auth.tls` is its deprecated spelling)",
            ));
        }
        (Some(tls), None) => Some(tls),
        (None, Some(tls)) => Some(tls),
        (None, None) => None,
    };
    let tls = tls.filter(|tls| !tls.insecure);
    if let Some(tls) = tls {
        // Reading the files now makes a wrong path a configuration error
        // with the field named, not a broker connection that never comes.
        tls.client_config()
            .map_err(|e| invalid(e.field, e.message))?;
        if tls.server_name_override.is_some() {
            return Err(invalid(
                "tls.server_name_override",
                "not supported by the Kafka client: the broker's certificate must name the \
                 host it is reached by (or set `insecure_skip_verify` for tests)",
            ));
        }
        if let Some(ca) = &tls.ca_file {
            config.set("ssl.ca.location", ca.display().to_string());
        }
        if let (Some(cert), Some(key)) = (&tls.cert_file, &tls.key_file) {
            config.set("ssl.certificate.location", cert.display().to_string());
            config.set("ssl.key.location", key.display().to_string());
        }
        if tls.insecure_skip_verify {
            config.set("enable.ssl.certificate.verification", "false");
            config.set("ssl.endpoint.identification.algorithm", "none");
        }
    }

    let sasl = connection
        .auth
        .credentials()
        .map_err(|e| invalid(format!("auth.{}", e.field), e.message))?;
    let protocol = match (tls.is_some(), sasl.is_some()) {
        (false, false) => "plaintext",
        (true, false) => "ssl",
        (false, true) => "sasl_plaintext",
        (true, true) => "sasl_ssl",
    };
    config.set("security.protocol", protocol);
    if let Some(credentials) = sasl {
        config.set("sasl.mechanism", credentials.mechanism);
        config.set("sasl.username", credentials.username);
        config.set("sasl.password", credentials.password);
    }

    for (key, value) in connection.properties {
        if key == "enable.auto.commit" || key == "enable.auto.offset.store" {
            return Err(invalid(
                format!("librdkafka.{key}"),
                "weir commits offsets itself, only once records are exported; \
                 this property cannot be changed",
            ));
        }
        config.set(key, value);
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::Sasl;

    fn connection<'a>(
        brokers: &'a [String],
        auth: &'a Auth,
        properties: &'a IndexMap<String, String>,
    ) -> Connection<'a> {
        Connection {
            brokers,
            client_id: "weir",
            tls: None,
            auth,
            properties,
        }
    }

    #[test]
    fn plaintext_by_default_and_properties_override() {
        let brokers = vec!["a:9092".to_string(), "b:9092".to_string()];
        let auth = Auth::default();
        let mut properties = IndexMap::new();
        properties.insert("linger.ms".to_string(), "50".to_string());
        let config = client_config(connection(&brokers, &auth, &properties)).unwrap();
        assert_eq!(config.get("bootstrap.servers"), Some("a:9092,b:9092"));
        assert_eq!(config.get("security.protocol"), Some("plaintext"));
        assert_eq!(config.get("linger.ms"), Some("50"));
    }

    #[test]
    fn sasl_scram_sets_the_mechanism() {
        let brokers = vec!["a:9092".to_string()];
        let auth = Auth {
            sasl: Some(Sasl {
                username: "u".into(),
                password: "p".into(),
                mechanism: "SCRAM-SHA-512".into(),
                version: 0,
            }),
            ..Auth::default()
        };
        let properties = IndexMap::new();
        let config = client_config(connection(&brokers, &auth, &properties)).unwrap();
        assert_eq!(config.get("security.protocol"), Some("sasl_plaintext"));
        assert_eq!(config.get("sasl.mechanism"), Some("SCRAM-SHA-512"));
    }

    #[test]
    fn bad_settings_name_their_field() {
        let properties = IndexMap::new();
        let auth = Auth::default();
        let error = client_config(connection(&[], &auth, &properties)).unwrap_err();
        assert_eq!(error.field, "brokers");

        let brokers = vec!["a:9092".to_string()];
        let auth = Auth {
            sasl: Some(Sasl {
                username: "u".into(),
                password: "p".into(),
                mechanism: "GSSAPI".into(),
                version: 0,
            }),
            ..Auth::default()
        };
        let error = client_config(connection(&brokers, &auth, &properties)).unwrap_err();
        assert_eq!(error.field, "auth.sasl.mechanism");
        assert!(error.message.contains("not supported"), "{error}");

        let auth = Auth::default();
        let mut properties = IndexMap::new();
        properties.insert("enable.auto.commit".to_string(), "true".to_string());
        let error = client_config(connection(&brokers, &auth, &properties)).unwrap_err();
        assert_eq!(error.field, "librdkafka.enable.auto.commit");
    }
}
