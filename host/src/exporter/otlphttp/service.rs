//! Sends one batch as one OTLP/HTTP request and says what the answer
//! means: success, a failure worth retrying (and after how long), or a
//! refusal for good — exactly as the OTLP/HTTP specification classifies
//! them, so that the queue in front retries what a Collector would.
//! The client and the bounded read of the answer are the HTTP exporters'
//! shared ones (`exporter::http`).

use std::sync::Arc;
use std::time::SystemTime;

use prost::Message;
use reqwest::Url;

use super::config::{Encoding, OtlpHttpExporter};
use super::request::{self, JSON, PROTOBUF};
use crate::auth::{BearerTokens, tokens_for as auth_tokens};
use crate::exporter::ExportError;
use crate::exporter::compression::{Compression, CompressionParams};
use crate::exporter::http::{self, HttpClient, Post};
use crate::otlp::{Batch, Signal};

/// An `otlphttp` exporter's connection to its server.
pub(crate) struct OtlpHttpSink {
    id: String,
    /// Where each signal goes; a signal not listed has no endpoint.
    urls: Vec<(Signal, Url)>,
    encoding: Encoding,
    compression: Compression,
    compression_params: CompressionParams,
    client: HttpClient,
    /// The token `auth` names, sent with every request.
    token: Option<Arc<BearerTokens>>,
}

impl OtlpHttpSink {
    /// Builds the HTTP client (once: its connections are reused across
    /// batches). `runtime` runs the requests; it must not be the runtime
    /// of the thread that calls [`export`](Self::export).
    pub(crate) fn new(
        id: &str,
        settings: OtlpHttpExporter,
        runtime: tokio::runtime::Handle,
    ) -> anyhow::Result<Self> {
        let mut urls = Vec::new();
        for signal in Signal::ALL {
            if let Some(url) = settings.signal_url(signal) {
                let url = Url::parse(&url).map_err(|e| {
                    anyhow::anyhow!("otlphttp exporter {id}: `{url}` is not a URL: {e}")
                })?;
                urls.push((signal, url));
            }
        }
        let https = urls.iter().any(|(_, url)| url.scheme() == "https");
        let client = HttpClient::new(
            id,
            &settings.tls,
            &settings.headers,
            settings.timeout,
            https,
            runtime,
        )?;
        Ok(OtlpHttpSink {
            id: id.to_string(),
            urls,
            encoding: settings.encoding,
            compression: settings.compression,
            compression_params: settings.compression_params,
            client,
            token: auth_tokens(settings.auth.as_ref())?,
        })
    }

    /// Sends `batch` and waits for the answer.
    pub(crate) fn export(&mut self, batch: &Batch) -> Result<(), ExportError> {
        let signal = batch.signal();
        let (_, url) = self
            .urls
            .iter()
            .find(|(s, _)| *s == signal)
            .ok_or_else(|| {
                ExportError::Permanent(format!(
                    "no endpoint for {signal}: set `endpoint` or `{signal}_endpoint`"
                ))
            })?;
        let body = request::build(
            batch,
            self.encoding,
            self.compression,
            self.compression_params,
        )
        .map_err(|e| ExportError::Permanent(format!("encoding the batch: {e}")))?;
        let auth: Vec<_> = self.token.iter().map(|t| t.client_header()).collect();
        let answer = self.client.post(Post {
            url,
            content_type: body.content_type,
            content_encoding: body.content_encoding,
            headers: &auth,
            body: body.bytes,
        })?;
        let answer = Answer {
            http: answer,
            sent_as: match self.encoding {
                Encoding::Proto => PROTOBUF,
                Encoding::Json => JSON,
            },
        };
        if let Some(partial) = answer.classify(url, SystemTime::now())? {
            tracing::warn!(
                exporter = %self.id,
                %signal,
                rejected = partial.rejected,
                message = %partial.error_message,
                "otlphttp: the server accepted the batch only in part"
            );
        }
        Ok(())
    }
}

/// An HTTP answer read as OTLP/HTTP.
#[derive(Debug)]
struct Answer {
    http: http::Answer,
    /// The request's `Content-Type`: a body the server sent without
    /// one is read as that.
    sent_as: &'static str,
}

/// An OTLP partial success: some records refused, or a warning.
#[derive(Clone, Debug, PartialEq, Eq)]
struct PartialSuccess {
    rejected: i64,
    error_message: String,
}

impl Answer {
    /// What the answer means, per the OTLP/HTTP specification: 2xx is
    /// success (with a partial success to report, if the body holds one);
    /// 429, 502, 503 and 504 are retryable, after `Retry-After` if given;
    /// anything else is permanent.
    fn classify(&self, url: &Url, now: SystemTime) -> Result<Option<PartialSuccess>, ExportError> {
        let status = self.http.status;
        if status.is_success() {
            return Ok(self.partial_success());
        }
        let reason = match self.message() {
            Some(message) => format!("{url} answered {status}: {message}"),
            None => format!("{url} answered {status}"),
        };
        match status.as_u16() {
            429 | 502 | 503 | 504 => Err(ExportError::Retryable {
                reason,
                retry_after: self.http.retry_after(now),
            }),
            _ => Err(ExportError::Permanent(reason)),
        }
    }

    fn is(&self, content_type: &str) -> bool {
        self.http.is(content_type, self.sent_as)
    }

    /// The partial success in a 2xx body, if it reports anything.
    fn partial_success(&self) -> Option<PartialSuccess> {
        let partial = if self.is(PROTOBUF) {
            let response = ExportResponse::decode(self.http.body.as_slice()).ok()?;
            response.partial_success.map(|p| PartialSuccess {
                rejected: p.rejected,
                error_message: p.error_message,
            })?
        } else if self.is(JSON) {
            let value: serde_json::Value = serde_json::from_slice(&self.http.body).ok()?;
            let partial = value.get("partialSuccess")?.as_object()?;
            // `rejectedLogRecords`, `rejectedDataPoints` or `rejectedSpans`;
            // 64-bit integers are strings in OTLP/JSON, numbers are accepted.
            let rejected = partial
                .iter()
                .find(|(key, _)| key.starts_with("rejected"))
                .and_then(|(_, v)| v.as_i64().or_else(|| v.as_str()?.parse().ok()))
                .unwrap_or(0);
            let error_message = partial
                .get("errorMessage")
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string();
            PartialSuccess {
                rejected,
                error_message,
            }
        } else {
            return None;
        };
        (partial.rejected != 0 || !partial.error_message.is_empty()).then_some(partial)
    }

    /// The server's explanation of a failure: the message of a
    /// `google.rpc.Status` body, or what [`http::Answer::text_message`]
    /// finds.
    fn message(&self) -> Option<String> {
        let body = &self.http.body;
        if !body.is_empty() && self.is(PROTOBUF) {
            return Some(match RpcStatus::decode(body.as_slice()) {
                Ok(status) if !status.message.is_empty() => status.message,
                Ok(status) => format!("status code {}", status.code),
                Err(_) => format!("an undecodable protobuf body of {} bytes", body.len()),
            });
        }
        self.http.text_message()
    }
}

/// `google.rpc.Status`, the body of an OTLP/HTTP failure (its `details`
/// are skipped).
#[derive(Clone, PartialEq, Message)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
}

/// `Export{Logs,Metrics,Trace}ServiceResponse`: the three share one
/// shape, `partial_success { rejected_<records> = 1; error_message = 2 }`.
#[derive(Clone, PartialEq, Message)]
struct ExportResponse {
    #[prost(message, optional, tag = "1")]
    partial_success: Option<ExportPartialSuccess>,
}

#[derive(Clone, PartialEq, Message)]
struct ExportPartialSuccess {
    #[prost(int64, tag = "1")]
    rejected: i64,
    #[prost(string, tag = "2")]
    error_message: String,
}

#[cfg(test)]
pub(super) mod tests {
    use std::net::SocketAddr;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use axum::body::Bytes;
    use axum::http::HeaderMap as AxumHeaders;
    use axum::http::{StatusCode, header};
    use axum::response::{IntoResponse, Response};

    use super::*;
    use crate::exporter::otlphttp::request::tests::{logs, read_back};

    /// A request as the test server received it.
    #[derive(Debug)]
    pub(in crate::exporter::otlphttp) struct Received {
        pub(in crate::exporter::otlphttp) path: String,
        pub(in crate::exporter::otlphttp) headers: AxumHeaders,
        pub(in crate::exporter::otlphttp) body: Bytes,
    }

    /// A runtime for the server and the client; the test thread itself
    /// stays outside it, as an exporter thread does.
    pub(in crate::exporter::otlphttp) fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap()
    }

    /// Serves on 127.0.0.1:0, answering every request with `answer()`;
    /// returns the base URL and what arrived.
    fn serve(
        runtime: &tokio::runtime::Runtime,
        answer: impl Fn() -> Response + Clone + Send + Sync + 'static,
    ) -> (String, Arc<Mutex<Vec<Received>>>) {
        let (app, received) = app(answer);
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        runtime.spawn(async move { axum::serve(listener, app).await });
        (format!("http://{addr}"), received)
    }

    /// A server that answers every request with `answer()` and records
    /// what arrived.
    pub(in crate::exporter::otlphttp) fn app(
        answer: impl Fn() -> Response + Clone + Send + Sync + 'static,
    ) -> (axum::Router, Arc<Mutex<Vec<Received>>>) {
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = received.clone();
        let app = axum::Router::new().fallback(move |request: axum::extract::Request| {
            let (log, answer) = (log.clone(), answer.clone());
            async move {
                let (parts, body) = request.into_parts();
                let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
                log.lock().unwrap().push(Received {
                    path: parts.uri.path().to_string(),
                    headers: parts.headers,
                    body,
                });
                answer()
            }
        });
        (app, received)
    }

    pub(in crate::exporter::otlphttp) fn sink(
        runtime: &tokio::runtime::Runtime,
        settings: OtlpHttpExporter,
    ) -> OtlpHttpSink {
        OtlpHttpSink::new("otlphttp/test", settings, runtime.handle().clone()).unwrap()
    }

    fn settings(endpoint: &str) -> OtlpHttpExporter {
        OtlpHttpExporter {
            endpoint: Some(endpoint.to_string()),
            timeout: Duration::from_secs(5),
            ..Default::default()
        }
    }

    fn status_body(message: &str) -> Vec<u8> {
        RpcStatus {
            code: 14,
            message: message.into(),
        }
        .encode_to_vec()
    }

    #[test]
    fn a_2xx_is_success_and_the_gzip_body_arrives_decodable() {
        let rt = runtime();
        let (url, received) = serve(&rt, || {
            ([(header::CONTENT_TYPE, PROTOBUF)], Vec::<u8>::new()).into_response()
        });
        let mut settings = settings(&url);
        settings
            .headers
            .insert("Authorization".into(), "Bearer s3cret".into());
        let batch = logs(20);
        sink(&rt, settings).export(&batch).unwrap();

        let received = received.lock().unwrap();
        assert_eq!(received.len(), 1);
        let request = &received[0];
        assert_eq!(request.path, "/v1/logs");
        let header = |name: &str| request.headers.get(name).map(|v| v.to_str().unwrap());
        assert_eq!(header("content-type"), Some("application/x-protobuf"));
        assert_eq!(header("content-encoding"), Some("gzip"));
        assert_eq!(header("authorization"), Some("Bearer s3cret"));
        assert!(header("user-agent").unwrap().starts_with("weir/"));
        let back = read_back(
            Signal::Logs,
            &request.body,
            header("content-type").unwrap(),
            header("content-encoding"),
        );
        assert_eq!(back, batch, "the server reads back the records sent");
    }

    #[test]
    fn json_and_zstd_reach_the_signals_own_endpoint() {
        let rt = runtime();
        let (url, received) = serve(&rt, || (StatusCode::ACCEPTED, "").into_response());
        let settings = OtlpHttpExporter {
            logs_endpoint: Some(format!("{url}/insert/opentelemetry/v1/logs")),
            encoding: Encoding::Json,
            compression: Compression::Zstd,
            ..Default::default()
        };
        let batch = logs(3);
        sink(&rt, settings).export(&batch).unwrap();

        let received = received.lock().unwrap();
        let request = &received[0];
        assert_eq!(request.path, "/insert/opentelemetry/v1/logs");
        let back = read_back(Signal::Logs, &request.body, JSON, Some("zstd"));
        assert_eq!(back, batch);
    }

    #[test]
    fn a_partial_success_counts_as_success() {
        let rt = runtime();
        let (url, _) = serve(&rt, || {
            let body = ExportResponse {
                partial_success: Some(ExportPartialSuccess {
                    rejected: 2,
                    error_message: "2 records too old".into(),
                }),
            };
            ([(header::CONTENT_TYPE, PROTOBUF)], body.encode_to_vec()).into_response()
        });
        assert_eq!(sink(&rt, settings(&url)).export(&logs(5)), Ok(()));
    }

    #[test]
    fn a_503_with_retry_after_is_retryable_after_that_delay() {
        let rt = runtime();
        let (url, _) = serve(&rt, || {
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, "7"), (header::CONTENT_TYPE, PROTOBUF)],
                status_body("queue is full"),
            )
                .into_response()
        });
        let err = sink(&rt, settings(&url)).export(&logs(1)).unwrap_err();
        assert_eq!(
            err,
            ExportError::Retryable {
                reason: format!("{url}/v1/logs answered 503 Service Unavailable: queue is full"),
                retry_after: Some(Duration::from_secs(7)),
            }
        );
    }

    #[test]
    fn a_400_is_permanent_with_the_servers_message() {
        let rt = runtime();
        let (url, _) = serve(&rt, || {
            (
                StatusCode::BAD_REQUEST,
                [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
                r#"{"code":3,"message":"resource attribute service.name is required"}"#,
            )
                .into_response()
        });
        let mut settings = settings(&url);
        settings.encoding = Encoding::Json;
        let err = sink(&rt, settings).export(&logs(1)).unwrap_err();
        assert_eq!(
            err,
            ExportError::Permanent(format!(
                "{url}/v1/logs answered 400 Bad Request: \
                 resource attribute service.name is required"
            ))
        );
    }

    #[test]
    fn a_refused_connection_is_retryable() {
        let rt = runtime();
        // A port that was free a moment ago and has no listener now.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let err = sink(&rt, settings(&format!("http://127.0.0.1:{port}")))
            .export(&logs(1))
            .unwrap_err();
        let ExportError::Retryable {
            reason,
            retry_after,
        } = err
        else {
            panic!("expected retryable, got {err:?}");
        };
        assert_eq!(retry_after, None);
        assert!(reason.contains(&format!("127.0.0.1:{port}")), "{reason}");
        assert!(reason.to_lowercase().contains("refused"), "{reason}");
    }

    #[test]
    fn a_server_that_never_answers_times_out_retryably() {
        let rt = runtime();
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        rt.spawn(async move {
            // Accept, read nothing, answer nothing, keep the socket open.
            let (_socket, _) = listener.accept().await.unwrap();
            std::future::pending::<()>().await
        });
        let mut settings = settings(&format!("http://{addr}"));
        settings.timeout = Duration::from_millis(200);
        let err = sink(&rt, settings).export(&logs(1)).unwrap_err();
        assert!(err.is_retryable(), "{err:?}");
        assert!(
            err.to_string().starts_with("timed out after 200ms: "),
            "{err}"
        );
    }

    fn answer(status: u16, content_type: &str, body: &[u8]) -> Answer {
        Answer {
            http: http::Answer {
                status: reqwest::StatusCode::from_u16(status).unwrap(),
                retry_after: None,
                content_type: Some(content_type.into()),
                body: body.to_vec(),
            },
            sent_as: PROTOBUF,
        }
    }

    #[test]
    fn only_what_the_spec_calls_retryable_is_retried() {
        let url = Url::parse("http://collector:4318/v1/traces").unwrap();
        let now = SystemTime::now();
        for status in [429, 502, 503, 504] {
            let outcome = answer(status, PROTOBUF, b"").classify(&url, now);
            assert!(outcome.unwrap_err().is_retryable(), "{status}");
        }
        for status in [300, 400, 401, 403, 404, 405, 413, 415, 500, 501] {
            let outcome = answer(status, PROTOBUF, b"").classify(&url, now);
            assert!(
                matches!(outcome, Err(ExportError::Permanent(_))),
                "{status}: {outcome:?}"
            );
        }
        for status in [200, 202, 204] {
            assert_eq!(answer(status, PROTOBUF, b"").classify(&url, now), Ok(None));
        }
    }

    #[test]
    fn retry_after_is_honoured() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        let url = Url::parse("http://c/v1/logs").unwrap();
        let mut throttled = answer(429, "text/plain", b"slow down");
        throttled.http.retry_after = Some("Wed, 21 Oct 2015 07:29:00 GMT".into());
        assert_eq!(
            throttled.classify(&url, now),
            Err(ExportError::Retryable {
                reason: "http://c/v1/logs answered 429 Too Many Requests: slow down".into(),
                retry_after: Some(Duration::from_secs(60)),
            })
        );
    }

    #[test]
    fn failure_messages_come_from_the_status_or_the_text() {
        let message = |content_type: &str, body: &[u8]| answer(400, content_type, body).message();
        assert_eq!(
            message(PROTOBUF, &status_body("bad span id")).as_deref(),
            Some("bad span id")
        );
        assert_eq!(
            message(JSON, br#"{"code":3,"message":"bad span id","details":[]}"#).as_deref(),
            Some("bad span id")
        );
        assert_eq!(
            message("text/html", b"<html>\n  <h1>Bad Request</h1>\n</html>\n").as_deref(),
            Some("<html> <h1>Bad Request</h1> </html>")
        );
        assert_eq!(message(JSON, b"").as_deref(), None);
    }

    #[test]
    fn partial_successes_are_read_in_both_encodings() {
        let proto = ExportResponse {
            partial_success: Some(ExportPartialSuccess {
                rejected: 3,
                error_message: "too old".into(),
            }),
        }
        .encode_to_vec();
        let expected = Some(PartialSuccess {
            rejected: 3,
            error_message: "too old".into(),
        });
        assert_eq!(answer(200, PROTOBUF, &proto).partial_success(), expected);
        let json = br#"{"partialSuccess":{"rejectedSpans":"3","errorMessage":"too old"}}"#;
        assert_eq!(answer(200, JSON, json).partial_success(), expected);
        let numeric = br#"{"partialSuccess":{"rejectedDataPoints":3,"errorMessage":"too old"}}"#;
        assert_eq!(answer(200, JSON, numeric).partial_success(), expected);

        // A full success: nothing to report.
        assert_eq!(
            answer(200, JSON, br#"{"partialSuccess":{}}"#).partial_success(),
            None
        );
        assert_eq!(answer(200, JSON, b"{}").partial_success(), None);
        assert_eq!(answer(200, PROTOBUF, b"").partial_success(), None);
    }
}
