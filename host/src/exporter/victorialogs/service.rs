//! Sends one batch of log records to VictoriaLogs and says what the
//! answer means. The body is built by the otlphttp exporter's request
//! code (`mode: otlp`) or by [`jsonline`](super::jsonline); the client,
//! the bounded read of the answer and the stores' outcome rule are the
//! HTTP exporters' shared ones (`exporter::http`).

use std::time::SystemTime;

use reqwest::Url;
use reqwest::header::{HeaderName, HeaderValue};

use super::config::{Mode, TimeFormat, VictoriaLogsExporter};
use super::jsonline::{self, MSG_FIELD, TIME_FIELD};
use crate::exporter::ExportError;
use crate::exporter::compression::{Compression, CompressionParams, compress};
use crate::exporter::http::{HttpClient, Post};
use crate::exporter::otlphttp::{Encoding, request};
use crate::otlp::{Batch, Payload, Signal};

/// `Content-Type` of a `/insert/jsonline` body.
const JSON_LINES: &str = "application/stream+json";

/// A `victorialogs` exporter's connection to its store.
pub(crate) struct VictoriaLogsSink {
    /// Where batches go, with `jsonline`'s query arguments.
    url: Url,
    mode: Mode,
    time_format: TimeFormat,
    compression: Compression,
    compression_params: CompressionParams,
    /// The VictoriaLogs headers of every request (tenant, stream fields).
    headers: Vec<(HeaderName, HeaderValue)>,
    client: HttpClient,
}

impl VictoriaLogsSink {
    /// Builds the HTTP client (once: its connections are reused across
    /// batches). `runtime` runs the requests; it must not be the runtime
    /// of the thread that calls [`export`](Self::export).
    pub(crate) fn new(
        id: &str,
        settings: VictoriaLogsExporter,
        runtime: tokio::runtime::Handle,
    ) -> anyhow::Result<Self> {
        let url = settings
            .url()
            .ok_or_else(|| anyhow::anyhow!("victorialogs exporter {id}: no `endpoint`"))?;
        let mut url = Url::parse(&url).map_err(|e| {
            anyhow::anyhow!("victorialogs exporter {id}: `{url}` is not a URL: {e}")
        })?;
        let headers = request_headers(&settings)
            .map_err(|e| anyhow::anyhow!("victorialogs exporter {id}: {e}"))?;
        if settings.mode == Mode::Jsonline {
            let mut query = url.query_pairs_mut();
            query.append_pair("_msg_field", MSG_FIELD);
            query.append_pair("_time_field", TIME_FIELD);
            if !settings.stream_fields.is_empty() {
                query.append_pair("_stream_fields", &settings.stream_fields.join(","));
            }
        }
        let client = HttpClient::new(
            id,
            &settings.tls,
            &settings.headers,
            settings.timeout,
            url.scheme() == "https",
            runtime,
        )?;
        Ok(VictoriaLogsSink {
            url,
            mode: settings.mode,
            time_format: settings.time_format,
            compression: settings.compression,
            compression_params: settings.compression_params,
            headers,
            client,
        })
    }

    /// Sends `batch` and waits for the answer.
    pub(crate) fn export(&mut self, batch: &Batch) -> Result<(), ExportError> {
        if batch.signal() != Signal::Logs {
            // The configuration's resolver refuses such pipelines; this
            // guards the exporter if a caller does not.
            return Err(ExportError::Permanent(format!(
                "victorialogs takes logs only, not {}",
                batch.signal()
            )));
        }
        let encoding_failed =
            |e: std::io::Error| ExportError::Permanent(format!("encoding the batch: {e}"));
        let (bytes, content_type, content_encoding) = match self.mode {
            Mode::Otlp => {
                let body = request::build(
                    batch,
                    Encoding::Proto,
                    self.compression,
                    self.compression_params,
                )
                .map_err(encoding_failed)?;
                (body.bytes, body.content_type, body.content_encoding)
            }
            Mode::Jsonline => {
                let Payload::Logs(logs) = batch.payload() else {
                    unreachable!("a logs batch holds a logs request");
                };
                let lines = jsonline::encode(logs, self.time_format);
                let (bytes, encoding) =
                    compress(lines.into(), self.compression, self.compression_params)
                        .map_err(encoding_failed)?;
                (bytes, JSON_LINES, encoding)
            }
        };
        let answer = self.client.post(Post {
            url: &self.url,
            content_type,
            content_encoding,
            headers: &self.headers,
            body: bytes,
        })?;
        answer.store_outcome(&self.url, SystemTime::now())
    }
}

/// The headers VictoriaLogs reads its settings from: the tenant, and in
/// `otlp` mode the stream and message fields (in `jsonline` mode those
/// travel as query arguments, as VictoriaLogs' examples send them).
fn request_headers(
    settings: &VictoriaLogsExporter,
) -> Result<Vec<(HeaderName, HeaderValue)>, String> {
    let mut headers = Vec::new();
    let mut add = |name: &'static str, value: String| -> Result<(), String> {
        let value =
            HeaderValue::from_str(&value).map_err(|_| format!("`{value}` cannot be a header"))?;
        headers.push((HeaderName::from_static(name), value));
        Ok(())
    };
    if let Some(account) = settings.account_id {
        add("accountid", account.to_string())?;
    }
    if let Some(project) = settings.project_id {
        add("projectid", project.to_string())?;
    }
    if settings.mode == Mode::Otlp {
        if !settings.stream_fields.is_empty() {
            add("vl-stream-fields", settings.stream_fields.join(","))?;
        }
        if !settings.msg_field.is_empty() {
            add("vl-msg-field", settings.msg_field.join(","))?;
        }
    }
    Ok(headers)
}

#[cfg(test)]
mod tests;
