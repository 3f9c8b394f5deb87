//! The `auth` block of the Kafka components, with the Collector's keys:
//! SASL with a user name and password (`PLAIN`, `SCRAM-SHA-256`,
//! `SCRAM-SHA-512`), and the deprecated `plain_text` and `auth.tls`
//! spellings a ported configuration may still carry.

use serde::Deserialize;

use crate::exporter::TlsSettings;

/// `auth`: how weir proves who it is to the brokers.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct Auth {
    /// SASL authentication. Default none.
    pub sasl: Option<Sasl>,
    /// The Collector's deprecated spelling of SASL `PLAIN`: `username`
    /// and `password`. Prefer `sasl` with `mechanism: PLAIN`.
    pub plain_text: Option<PlainText>,
    /// The Collector's deprecated place for `tls`; the same as `tls` at
    /// the top level (give only one of them).
    pub tls: Option<TlsSettings>,
}

/// `auth.sasl`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Sasl {
    /// The user name.
    pub username: String,
    /// The password.
    pub password: String,
    /// `PLAIN`, `SCRAM-SHA-256` or `SCRAM-SHA-512`. (`GSSAPI`, AWS MSK
    /// IAM and `OAUTHBEARER` token sources are not supported.)
    pub mechanism: String,
    /// The SASL handshake version, 0 or 1. Accepted for the Collector's
    /// sake; librdkafka picks the version the broker supports.
    #[serde(default)]
    pub version: u8,
}

/// `auth.plain_text` (deprecated in the Collector).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PlainText {
    /// The user name.
    pub username: String,
    /// The password.
    pub password: String,
}

/// What SASL authentication uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Credentials<'a> {
    /// `PLAIN`, `SCRAM-SHA-256` or `SCRAM-SHA-512`.
    pub mechanism: &'a str,
    /// The user name.
    pub username: &'a str,
    /// The password.
    pub password: &'a str,
}

/// An `auth` key that cannot be used: the key (relative to `auth`) and
/// what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthError {
    /// E.g. `sasl.mechanism`.
    pub field: &'static str,
    /// What is wrong with it.
    pub message: String,
}

/// The SASL mechanisms librdkafka has built in (with OpenSSL for SCRAM).
const MECHANISMS: [&str; 3] = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"];

impl Auth {
    /// The SASL mechanism, user name and password to use, if any; an
    /// error names the key at fault (relative to `auth`).
    pub fn credentials(&self) -> Result<Option<Credentials<'_>>, AuthError> {
        match (&self.sasl, &self.plain_text) {
            (Some(_), Some(_)) => Err(AuthError {
                field: "plain_text",
                message: "give either `sasl` or the deprecated `plain_text`, not both".into(),
            }),
            (Some(sasl), None) => {
                if !MECHANISMS.contains(&sasl.mechanism.as_str()) {
                    return Err(AuthError {
                        field: "sasl.mechanism",
                        message: format!(
                            "`{}` is not supported (supported: {})",
                            sasl.mechanism,
                            MECHANISMS.join(", ")
                        ),
                    });
                }
                if sasl.version > 1 {
                    return Err(AuthError {
                        field: "sasl.version",
                        message: "must be 0 or 1".into(),
                    });
                }
                Ok(Some(Credentials {
                    mechanism: &sasl.mechanism,
                    username: &sasl.username,
                    password: &sasl.password,
                }))
            }
            (None, Some(plain)) => Ok(Some(Credentials {
                mechanism: "PLAIN",
                username: &plain.username,
                password: &plain.password,
            })),
            (None, None) => Ok(None),
        }
    }
}
