//! Sends a batch to InfluxDB: encoded into line protocol payloads
//! ([`encode`](super::encode)), each POSTed in order on the exporter's
//! client; the answers are read with the stores' rule
//! ([`Answer::store_outcome`](crate::exporter::http::Answer::store_outcome)).
//! What the mapping had to leave out is logged with its counts.

use std::time::SystemTime;

use reqwest::Url;
use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue};

use super::config::{Compression, InfluxDbExporter};
use super::encode;
use super::line::Lines;
use crate::exporter::ExportError;
use crate::exporter::http::{HttpClient, Post};
use crate::otlp::Batch;

/// `Content-Type` of line protocol.
const LINE_PROTOCOL: &str = "text/plain; charset=utf-8";

/// An `influxdb` exporter's connection to InfluxDB.
pub(crate) struct InfluxDbSink {
    id: String,
    settings: InfluxDbExporter,
    url: Url,
    headers: Vec<(HeaderName, HeaderValue)>,
    compression: Compression,
    client: HttpClient,
    /// The line buffer, kept across batches.
    lines: Lines,
}

impl InfluxDbSink {
    /// Builds the client (once). `runtime` runs the requests; it must not
    /// be the runtime of the thread that calls [`export`](Self::export).
    pub(crate) fn new(
        id: &str,
        settings: InfluxDbExporter,
        runtime: tokio::runtime::Handle,
    ) -> anyhow::Result<Self> {
        let url = settings
            .write_url()
            .map_err(|e| anyhow::anyhow!("influxdb exporter {id}: {e}"))?;
        let mut headers = Vec::new();
        if let Some(auth) = settings.authorization() {
            let mut value = HeaderValue::from_str(&auth).map_err(|_| {
                anyhow::anyhow!(
                    "influxdb exporter {id}: the token or credentials are not valid in an HTTP header"
                )
            })?;
            value.set_sensitive(true);
            headers.push((AUTHORIZATION, value));
        }
        let client = HttpClient::new(
            id,
            &settings.tls,
            &settings.headers,
            settings.timeout,
            url.scheme() == "https",
            runtime,
        )?;
        Ok(InfluxDbSink {
            id: id.to_string(),
            compression: settings.compression,
            settings,
            url,
            headers,
            client,
            lines: Lines::default(),
        })
    }

    /// Sends `batch` as one request per payload, in order, and waits for
    /// each answer. A failed payload fails the batch: a retry sends the
    /// earlier payloads again, which InfluxDB takes as overwrites of the
    /// same points.
    pub(crate) fn export(&mut self, batch: &Batch) -> Result<(), ExportError> {
        let skipped = encode::encode(batch, &self.settings, &mut self.lines);
        if skipped.any() {
            tracing::warn!(
                exporter = %self.id,
                non_finite_fields = skipped.non_finite_fields,
                empty_lines = skipped.empty_lines,
                no_timestamp = skipped.no_timestamp,
                bad_measurement = skipped.bad_measurement,
                unsupported = skipped.unsupported,
                no_id = skipped.no_id,
                "influxdb: left out what InfluxDB cannot take (NaN/Inf fields, lines left \
                 without fields, points without a timestamp, empty or '#' measurements, \
                 exponential histograms, spans without ids)"
            );
        }
        for payload in self.lines.payloads() {
            let (body, content_encoding) = encode::body(payload, self.compression)
                .map_err(|e| ExportError::Permanent(format!("compressing the payload: {e}")))?;
            let answer = self.client.post(Post {
                url: &self.url,
                content_type: LINE_PROTOCOL,
                content_encoding,
                headers: &self.headers,
                body,
            })?;
            answer.store_outcome(&self.url, SystemTime::now())?;
        }
        Ok(())
    }
}
