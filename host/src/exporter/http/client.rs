//! One HTTP client per exporter: built once (its connections are reused
//! across batches), with the exporter's TLS settings, extra headers and
//! timeout; and a blocking POST for the exporter's thread.
//!
//! The exporter thread is not a runtime thread: it blocks on the daemon's
//! runtime for the duration of each request, which keeps one request in
//! flight per sink and the back-pressure of the thread model intact.

use std::time::Duration;

use indexmap::IndexMap;
use reqwest::Url;
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};

use super::answer::Answer;
use crate::exporter::ExportError;
use crate::exporter::tls::{self, TlsSettings};

/// An exporter's HTTP client and the runtime its requests run on.
#[derive(Clone)]
pub(crate) struct HttpClient {
    client: reqwest::Client,
    timeout: Duration,
    runtime: tokio::runtime::Handle,
}

/// One request body and how to read it.
pub(crate) struct Post<'a> {
    pub(crate) url: &'a Url,
    /// `Content-Type`.
    pub(crate) content_type: &'static str,
    /// `Content-Encoding`, if the body is compressed.
    pub(crate) content_encoding: Option<&'static str>,
    /// Headers of this request only, beside the client's own.
    pub(crate) headers: &'a [(HeaderName, HeaderValue)],
    pub(crate) body: bytes::Bytes,
}

impl HttpClient {
    /// Builds the client of exporter `id`. `https` says whether any of its
    /// URLs is `https://`: only then are the `tls` settings used (and
    /// checked). `timeout` zero means none. `runtime` runs the requests;
    /// it must not be the runtime of the thread that calls
    /// [`post`](Self::post).
    pub(crate) fn new(
        id: &str,
        tls_settings: &TlsSettings,
        headers: &IndexMap<String, String>,
        timeout: Duration,
        https: bool,
        runtime: tokio::runtime::Handle,
    ) -> anyhow::Result<HttpClient> {
        let mut default_headers = HeaderMap::new();
        for (name, value) in headers {
            default_headers.insert(
                HeaderName::from_bytes(name.as_bytes())
                    .map_err(|e| anyhow::anyhow!("exporter {id}: header `{name}`: {e}"))?,
                HeaderValue::from_str(value)
                    .map_err(|e| anyhow::anyhow!("exporter {id}: header `{name}`: {e}"))?,
            );
        }
        let mut client = reqwest::Client::builder()
            .user_agent(concat!("weir/", env!("CARGO_PKG_VERSION")))
            .default_headers(default_headers);
        if !timeout.is_zero() {
            client = client.timeout(timeout);
        }
        // reqwest is built with rustls but no crypto provider of its own,
        // so it is always handed a configuration: the `tls` settings' if
        // an endpoint is `https`, else one that trusts nothing (and is
        // never used).
        let mut tls = if https {
            tls_settings.warn_if_unverified(id);
            tls_settings
                .client_config()
                .map_err(|e| anyhow::anyhow!("exporter {id}: {e}"))?
        } else {
            tls::plaintext_only_config()
        };
        // The client speaks HTTP/1.1 only (reqwest without `http2`).
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        client = client.tls_backend_preconfigured(tls);
        Ok(HttpClient {
            client: client.build()?,
            timeout,
            runtime,
        })
    }

    /// Sends `post` and waits for the answer. Failing to get one is a
    /// retryable failure (the server may be restarting, the network may
    /// heal), unless the request itself could not be built.
    pub(crate) fn post(&self, post: Post<'_>) -> Result<Answer, ExportError> {
        let mut request = self
            .client
            .post(post.url.clone())
            .header(header::CONTENT_TYPE, post.content_type)
            .body(post.body);
        if let Some(encoding) = post.content_encoding {
            request = request.header(header::CONTENT_ENCODING, encoding);
        }
        for (name, value) in post.headers {
            request = request.header(name, value);
        }
        let timeout = self.timeout;
        self.runtime.block_on(async move {
            let response = request
                .send()
                .await
                .map_err(|e| transport_error(e, timeout))?;
            Ok(Answer::read(response).await)
        })
    }
}

/// A failure before any answer: retryable, unless the request itself
/// could not be built.
fn transport_error(error: reqwest::Error, timeout: Duration) -> ExportError {
    let reason = chain(&error);
    if error.is_builder() {
        ExportError::Permanent(reason)
    } else if error.is_timeout() {
        let timeout = humantime::format_duration(timeout);
        ExportError::retryable(format!("timed out after {timeout}: {reason}"))
    } else {
        ExportError::retryable(reason)
    }
}

/// An error with its causes, `outer: inner: innermost`.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
