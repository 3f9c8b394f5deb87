//! The `bearertokenauth` extension's settings (the Collector's keys) and
//! the `auth` block that names it on a receiver protocol or an exporter.

use std::path::PathBuf;

use serde::Deserialize;

/// Extension `bearertokenauth`: a shared secret sent as
/// `Authorization: Bearer <token>`. On a receiver it is checked on every
/// request; on an exporter it is sent with every request. List it under
/// `service.extensions` and name it in an `auth` block.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct BearerTokenAuth {
    /// The header that carries the token. Default `Authorization`.
    pub header: Option<String>,
    /// The word before the token. Default `Bearer`; empty for the token
    /// alone.
    pub scheme: Option<String>,
    /// The token. Keep it out of the file with `${env:VAR}`. One of
    /// `token`, `tokens` and `filename` is required.
    pub token: Option<String>,
    /// Several tokens, any of which a receiver accepts (while clients
    /// move from one to the next); an exporter sends the first.
    pub tokens: Vec<String>,
    /// A file holding the token(s), one per line. It is read again when it
    /// changes (checked at most once a second), so a rotated token takes
    /// effect without a restart.
    pub filename: Option<PathBuf>,
}

/// `auth` on a receiver protocol or an exporter.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// The id of a `bearertokenauth` extension defined under `extensions`
    /// and listed in `service.extensions`.
    pub authenticator: String,
    /// The extension's settings, filled in when the configuration is
    /// resolved.
    #[serde(skip)]
    pub resolved: Option<BearerTokenAuth>,
}

impl BearerTokenAuth {
    /// The header name, lower case.
    pub fn header_name(&self) -> String {
        self.header
            .as_deref()
            .unwrap_or("authorization")
            .to_ascii_lowercase()
    }

    /// The scheme word, `Bearer` unless set.
    pub fn scheme(&self) -> &str {
        self.scheme.as_deref().unwrap_or("Bearer")
    }

    /// Checks what deserialising cannot: that there is a token source, a
    /// valid header name, and that a token file can be read and holds a
    /// token. The error is `(field, message)`.
    pub fn validate(&self) -> Result<(), (String, String)> {
        let sources = usize::from(self.token.is_some())
            + usize::from(!self.tokens.is_empty())
            + usize::from(self.filename.is_some());
        if sources != 1 {
            return Err((
                "token".into(),
                "give exactly one of `token`, `tokens` and `filename`".into(),
            ));
        }
        if http::HeaderName::from_bytes(self.header_name().as_bytes()).is_err() {
            return Err(("header".into(), "not a valid HTTP header name".into()));
        }
        super::tokens::read(self).map(|_| ())
    }
}
