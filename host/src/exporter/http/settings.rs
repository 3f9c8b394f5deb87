//! Checks of the settings every HTTP store exporter shares (an endpoint
//! URL, `tls`, `headers`), run by their `validate` so that `weir
//! validate` names the key at fault.

use indexmap::IndexMap;

use crate::exporter::InvalidSetting;
use crate::exporter::tls::TlsSettings;

fn invalid(field: &str, message: String) -> InvalidSetting {
    InvalidSetting {
        field: field.to_string(),
        message,
    }
}

/// Checks an endpoint URL; says whether it is `https`.
pub(crate) fn check_url(text: &str) -> Result<bool, String> {
    let url = reqwest::Url::parse(text).map_err(|e| format!("`{text}` is not a URL: {e}"))?;
    let https = match url.scheme() {
        "http" => false,
        "https" => true,
        other => return Err(format!("`{text}`: scheme `{other}` is not http or https")),
    };
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("`{text}` names no host"));
    }
    Ok(https)
}

/// Checks `endpoint` (the key `field`) and that `tls` agrees with its
/// scheme: TLS keys need an `https://` URL, `insecure: true` an
/// `http://` one, and the files named must be readable.
pub(crate) fn check_endpoint(
    field: &str,
    endpoint: &str,
    tls: &TlsSettings,
) -> Result<(), InvalidSetting> {
    let https = check_url(endpoint).map_err(|m| invalid(field, m))?;
    if https {
        if tls.insecure {
            return Err(invalid(
                "tls.insecure",
                format!(
                    "`true` asks for plaintext, but `{endpoint}` asks for TLS; remove one of them"
                ),
            ));
        }
        tls.client_config()
            .map_err(|e| invalid(&e.field, e.message))?;
    } else if let Some(key) = tls.tls_keys_set().first() {
        return Err(invalid(
            &format!("tls.{key}"),
            format!("has no effect: `{endpoint}` is not `https://`"),
        ));
    }
    Ok(())
}

/// Checks that each header is a valid HTTP header that the exporter does
/// not set itself (`reserved`, lower case; `why` says what sets them).
pub(crate) fn check_headers(
    headers: &IndexMap<String, String>,
    reserved: &[&str],
    why: &str,
) -> Result<(), InvalidSetting> {
    for (name, value) in headers {
        let field = format!("headers.{name}");
        let header = http::HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| invalid(&field, "not a valid HTTP header name".into()))?;
        if reserved.contains(&header.as_str()) {
            return Err(invalid(&field, why.to_string()));
        }
        http::HeaderValue::from_str(value).map_err(|_| {
            invalid(
                &field,
                "not a valid HTTP header value (visible ASCII, spaces and tabs only)".into(),
            )
        })?;
    }
    Ok(())
}
