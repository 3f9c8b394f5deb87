//! Authentication with the Collector's `bearertokenauth` extension: a
//! receiver protocol with `auth: {authenticator: bearertokenauth}` refuses
//! a request without the right token before its body is read
//! ([`RequireToken`], a tower layer under both the HTTP and the gRPC
//! server), and an `otlp` / `otlphttp` exporter with the same `auth` block
//! sends the token ([`BearerTokens::client_header`]).
//!
//! [`config`] holds the extension's settings and the `auth` block;
//! [`tokens`] keeps the tokens, following a token file as it rotates, and
//! compares in constant time.

mod config;
mod layer;
mod tokens;

pub use config::{AuthSettings, BearerTokenAuth};
pub(crate) use layer::{AuthFailure, RequireToken};
pub(crate) use tokens::BearerTokens;

/// The tokens of a resolved `auth` block, if there is one.
pub(crate) fn tokens_for(
    auth: Option<&AuthSettings>,
) -> anyhow::Result<Option<std::sync::Arc<BearerTokens>>> {
    let Some(auth) = auth else { return Ok(None) };
    let settings = auth.resolved.clone().ok_or_else(|| {
        anyhow::anyhow!(
            "auth.authenticator `{}` was not resolved to an extension",
            auth.authenticator
        )
    })?;
    let tokens = BearerTokens::new(settings)
        .map_err(|e| anyhow::anyhow!("extensions.{}.{e}", auth.authenticator))?;
    Ok(Some(std::sync::Arc::new(tokens)))
}
