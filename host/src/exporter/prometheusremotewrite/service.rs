//! Sends a metrics batch as remote write requests: translated
//! ([`series`](super::series)), split and snappy-compressed
//! ([`proto`](super::proto)), each POSTed in order with remote write
//! 1.0's headers; answers read with the stores' rule. Metrics the
//! translation refuses go to the dead-letter exporters with the reason.

use std::sync::Arc;
use std::time::SystemTime;

use reqwest::Url;
use reqwest::header::{HeaderName, HeaderValue};

use super::config::{PrometheusRemoteWriteExporter, RemoteWriteOptions};
use super::proto;
use super::series::{self, Translation};
use crate::exporter::ExportError;
use crate::exporter::http::{HttpClient, Post};
use crate::exporter::tls::TlsSettings;
use crate::otlp::{Batch, Payload};

/// The remote write sink, also used by `victoriametrics` in
/// `mode: remote_write`.
pub(crate) struct RemoteWriteSink {
    id: String,
    url: Url,
    translation: Translation,
    max_batch_size_bytes: usize,
    client: HttpClient,
    headers: [(HeaderName, HeaderValue); 1],
}

/// What a remote write sink needs, from either exporter's settings.
pub(crate) struct RemoteWriteTarget<'a> {
    pub(crate) url: &'a str,
    pub(crate) options: RemoteWriteOptions,
    pub(crate) headers: &'a indexmap::IndexMap<String, String>,
    pub(crate) timeout: std::time::Duration,
    pub(crate) tls: &'a TlsSettings,
}

impl RemoteWriteSink {
    /// The sink of a `prometheusremotewrite` exporter.
    pub(crate) fn new(
        id: &str,
        settings: &PrometheusRemoteWriteExporter,
        runtime: tokio::runtime::Handle,
    ) -> anyhow::Result<Self> {
        let url = settings
            .endpoint
            .as_deref()
            .ok_or_else(|| anyhow::anyhow!("exporter {id}: no endpoint"))?;
        Self::to(
            id,
            RemoteWriteTarget {
                url,
                options: settings.options(),
                headers: &settings.headers,
                timeout: settings.timeout,
                tls: &settings.tls,
            },
            runtime,
        )
    }

    /// A sink writing to `target`. `runtime` runs the requests; it must
    /// not be the runtime of the thread that calls [`export`](Self::export).
    pub(crate) fn to(
        id: &str,
        target: RemoteWriteTarget<'_>,
        runtime: tokio::runtime::Handle,
    ) -> anyhow::Result<Self> {
        let url = Url::parse(target.url)
            .map_err(|e| anyhow::anyhow!("exporter {id}: `{}` is not a URL: {e}", target.url))?;
        let client = HttpClient::new(
            id,
            target.tls,
            target.headers,
            target.timeout,
            url.scheme() == "https",
            runtime,
        )?;
        Ok(RemoteWriteSink {
            id: id.to_string(),
            url,
            translation: target.options.translation(),
            max_batch_size_bytes: target.options.max_batch_size_bytes,
            client,
            headers: [(
                HeaderName::from_static("x-prometheus-remote-write-version"),
                HeaderValue::from_static("0.1.0"),
            )],
        })
    }

    /// Sends `batch` and waits for every answer.
    pub(crate) fn export(&mut self, batch: &Batch) -> Result<(), ExportError> {
        let Payload::Metrics(request) = batch.payload() else {
            return Err(ExportError::Permanent(format!(
                "remote write takes metrics, not {}",
                batch.signal()
            )));
        };
        let translated = series::translate(request, &self.translation);
        if translated.no_timestamp > 0 {
            tracing::warn!(
                exporter = %self.id,
                points = translated.no_timestamp,
                "remote write: left out points without a timestamp"
            );
        }
        let sent = !translated.series.is_empty();
        let bodies = proto::bodies(
            translated.series,
            translated.metadata,
            self.max_batch_size_bytes,
        )
        .map_err(|e| ExportError::Permanent(format!("snappy: {e}")))?;
        for body in bodies {
            let answer = self.client.post(Post {
                url: &self.url,
                content_type: "application/x-protobuf",
                content_encoding: Some("snappy"),
                headers: &self.headers,
                body: body.into(),
            })?;
            answer.store_outcome(&self.url, SystemTime::now())?;
        }
        if translated.reasons.is_empty() {
            return Ok(());
        }
        let reason = translated.reasons.join("; ");
        if !sent {
            return Err(ExportError::Permanent(reason));
        }
        Err(ExportError::PartlyRefused {
            reason,
            refused: Arc::new(translated.refused.into()),
        })
    }
}
