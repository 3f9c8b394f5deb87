//! Sends one batch as one OTLP/gRPC export call on a channel built once,
//! and says what the answer means: success (a partial success is logged),
//! or a failure that [`status::classify`] sorts into retryable or
//! permanent.
//!
//! The exporter thread is not a runtime thread: it blocks on the daemon's
//! runtime for the duration of each call, which keeps one call in flight
//! per exporter and the back-pressure of the thread model intact.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::uri::PathAndQuery;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceResponse;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceResponse;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;
use tonic::client::Grpc;
use tonic::codec::CompressionEncoding;
use tonic::metadata::{AsciiMetadataKey, AsciiMetadataValue, MetadataMap};
use tonic::transport::{Channel, Endpoint};
use tonic::{Request, Status};

use super::config::OtlpExporter;
use super::connect::TlsConnector;
use super::status;
use crate::auth::{BearerTokens, tokens_for as auth_tokens};
use crate::exporter::ExportError;
use crate::exporter::compression::Compression;
use crate::otlp::grpc_client::{ExportCodec, export_path};
use crate::otlp::{Batch, Signal};

/// An `otlp` exporter's channel to its server.
pub(crate) struct OtlpSink {
    id: String,
    /// The endpoint as configured, for messages.
    endpoint: String,
    /// Boxed: the client is large, and the sink lives in an enum with
    /// small ones.
    client: Box<Grpc<Channel>>,
    /// `headers`, sent with every call.
    metadata: MetadataMap,
    /// The token `auth` names, added to every call.
    token: Option<Arc<BearerTokens>>,
    timeout: Duration,
    runtime: tokio::runtime::Handle,
}

/// One export call: `body` as the request, the answer decoded as `R`.
async fn call<R: prost::Message + Default + Send + 'static>(
    client: &mut Grpc<Channel>,
    body: Request<Bytes>,
    path: PathAndQuery,
) -> Result<R, Status> {
    // What the generated clients do: wait for the channel, and report a
    // channel that cannot serve as UNKNOWN with the reason.
    client
        .ready()
        .await
        .map_err(|e| Status::unknown(format!("Service was not ready: {e}")))?;
    let codec = ExportCodec::<R>::default();
    Ok(client.unary(body, path, codec).await?.into_inner())
}

/// An OTLP partial success: some records refused, or a warning.
#[derive(Clone, Debug, PartialEq, Eq)]
struct PartialSuccess {
    rejected: i64,
    error_message: String,
}

impl PartialSuccess {
    /// A partial success worth reporting: `None` if it reports nothing.
    fn new(rejected: i64, error_message: String) -> Option<PartialSuccess> {
        (rejected != 0 || !error_message.is_empty()).then_some(PartialSuccess {
            rejected,
            error_message,
        })
    }
}

impl OtlpSink {
    /// Builds the channel (once: one HTTP/2 connection carries every
    /// call). Nothing is connected yet: the first export connects, and a
    /// lost connection is made again on the next. `runtime` runs the
    /// calls; it must not be the runtime of the thread that calls
    /// [`export`](Self::export).
    pub(crate) fn new(
        id: &str,
        settings: OtlpExporter,
        runtime: tokio::runtime::Handle,
    ) -> anyhow::Result<Self> {
        let endpoint_text = settings
            .endpoint
            .clone()
            .ok_or_else(|| anyhow::anyhow!("otlp exporter {id}: no `endpoint`"))?;
        let uri = settings.uri().ok_or_else(|| {
            anyhow::anyhow!("otlp exporter {id}: `{endpoint_text}` is not `host:port`")
        })?;
        let mut endpoint =
            Endpoint::from_shared(uri)?.user_agent(concat!("weir/", env!("CARGO_PKG_VERSION")))?;
        if !settings.timeout.is_zero() {
            endpoint = endpoint.connect_timeout(settings.timeout);
        }
        let tls = if settings.uses_tls() {
            settings.tls.warn_if_unverified(id);
            let config = settings
                .tls
                .client_config()
                .map_err(|e| anyhow::anyhow!("otlp exporter {id}: {e}"))?;
            let name = settings
                .tls
                .server_name()
                .map_err(|e| anyhow::anyhow!("otlp exporter {id}: {e}"))?;
            Some(TlsConnector::new(config, name))
        } else {
            None
        };
        // The channel's worker task is spawned on the runtime that is
        // current here.
        let channel = {
            let _entered = runtime.enter();
            match tls {
                Some(connector) => endpoint.connect_with_connector_lazy(connector),
                None => endpoint.connect_lazy(),
            }
        };
        let mut metadata = MetadataMap::new();
        for (name, value) in &settings.headers {
            metadata.insert(
                name.parse::<AsciiMetadataKey>()?,
                AsciiMetadataValue::try_from(value.as_str())?,
            );
        }
        let send = match settings.compression {
            Compression::Gzip => Some(CompressionEncoding::Gzip),
            Compression::Zstd => Some(CompressionEncoding::Zstd),
            Compression::None => None,
        };
        // Send compressed as configured, accept both kinds of compressed
        // answer, no limit on the size of what is sent (the server
        // enforces its own).
        let mut client = Grpc::new(channel)
            .accept_compressed(CompressionEncoding::Gzip)
            .accept_compressed(CompressionEncoding::Zstd)
            .max_encoding_message_size(usize::MAX);
        if let Some(encoding) = send {
            client = client.send_compressed(encoding);
        }
        Ok(OtlpSink {
            id: id.to_string(),
            endpoint: endpoint_text,
            client: Box::new(client),
            metadata,
            token: auth_tokens(settings.auth.as_ref())?,
            timeout: settings.timeout,
            runtime,
        })
    }

    /// Sends `batch` and waits for the answer.
    pub(crate) fn export(&mut self, batch: &Batch) -> Result<(), ExportError> {
        let OtlpSink {
            id,
            endpoint,
            client,
            metadata,
            token,
            timeout,
            runtime,
        } = self;
        let timeout = *timeout;
        let signal = batch.signal();
        let mut body = request(batch.encode(), metadata, timeout);
        if let Some(token) = token {
            let (name, value) = token.client_header();
            body.metadata_mut().insert(
                AsciiMetadataKey::from_bytes(name.as_str().as_bytes())
                    .map_err(|e| ExportError::Permanent(format!("auth header: {e}")))?,
                AsciiMetadataValue::try_from(value.as_bytes())
                    .map_err(|e| ExportError::Permanent(format!("auth header: {e}")))?,
            );
        }
        let path = export_path(signal);
        let call = async {
            match signal {
                Signal::Logs => call::<ExportLogsServiceResponse>(client, body, path)
                    .await
                    .map(|answer| {
                        let partial = answer.partial_success.unwrap_or_default();
                        PartialSuccess::new(partial.rejected_log_records, partial.error_message)
                    }),
                Signal::Metrics => call::<ExportMetricsServiceResponse>(client, body, path)
                    .await
                    .map(|answer| {
                        let partial = answer.partial_success.unwrap_or_default();
                        PartialSuccess::new(partial.rejected_data_points, partial.error_message)
                    }),
                Signal::Traces => call::<ExportTraceServiceResponse>(client, body, path)
                    .await
                    .map(|answer| {
                        let partial = answer.partial_success.unwrap_or_default();
                        PartialSuccess::new(partial.rejected_spans, partial.error_message)
                    }),
            }
        };
        let timed_out = || {
            let timeout = humantime::format_duration(timeout);
            ExportError::retryable(format!("{endpoint}: timed out after {timeout}"))
        };
        // tonic enforces the deadline it sends; this timer is the
        // backstop for the parts of a call it does not cover.
        let answer = runtime.block_on(async {
            if timeout.is_zero() {
                return Ok(call.await);
            }
            tokio::time::timeout(timeout, call)
                .await
                .map_err(|_| timed_out())
        })?;
        let partial = answer.map_err(|status| {
            if status::is_local_timeout(&status) {
                timed_out()
            } else {
                status::classify(&status, endpoint)
            }
        })?;
        if let Some(partial) = partial {
            tracing::warn!(
                exporter = %id,
                signal = %batch.signal(),
                rejected = partial.rejected,
                error_message = %partial.error_message,
                "otlp: the server accepted the batch only in part"
            );
        }
        Ok(())
    }
}

/// A call carrying `message`, the configured metadata, and the deadline
/// for the server to know (`grpc-timeout`).
fn request<T>(message: T, metadata: &MetadataMap, timeout: Duration) -> Request<T> {
    let mut request = Request::new(message);
    *request.metadata_mut() = metadata.clone();
    if !timeout.is_zero() {
        request.set_timeout(timeout);
    }
    request
}

#[cfg(test)]
pub(super) mod tests {
    use std::net::SocketAddr;
    use std::sync::{Arc, Mutex};

    use opentelemetry_proto::tonic::collector::logs::v1::logs_service_server::{
        LogsService, LogsServiceServer,
    };
    use opentelemetry_proto::tonic::collector::logs::v1::{
        ExportLogsPartialSuccess, ExportLogsServiceResponse,
    };
    use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
        TraceService, TraceServiceServer,
    };
    use opentelemetry_proto::tonic::collector::trace::v1::{
        ExportTracePartialSuccess, ExportTraceServiceResponse,
    };
    use tonic::{Code, Response, Status};

    use super::*;
    use crate::exporter::otlp::status::retry_info_details;
    use crate::exporter::tls::TlsSettings;
    use crate::otlp::common::{AnyValue, KeyValue, any_value};
    use crate::otlp::logs::{LogRecord, ResourceLogs, ScopeLogs};
    use crate::otlp::trace::{ResourceSpans, ScopeSpans, Span};
    use crate::otlp::{ExportLogsServiceRequest, ExportTraceServiceRequest, Signal};

    /// A call as the test server received it.
    #[derive(Debug)]
    pub(in crate::exporter::otlp) struct Received {
        pub(in crate::exporter::otlp) metadata: MetadataMap,
        pub(in crate::exporter::otlp) batch: Batch,
    }

    /// What the server answers: `Ok((rejected, message))` is a success,
    /// partial if `rejected` is not 0.
    type Answer = Arc<dyn Fn() -> Result<(i64, String), Status> + Send + Sync>;

    /// An OTLP/gRPC server for logs and traces that records every call.
    #[derive(Clone)]
    struct Collector {
        answer: Answer,
        received: Arc<Mutex<Vec<Received>>>,
    }

    impl Collector {
        fn receive<T: Clone + Into<Batch>>(
            &self,
            request: &tonic::Request<T>,
        ) -> Result<(i64, String), Status> {
            self.received.lock().unwrap().push(Received {
                metadata: request.metadata().clone(),
                batch: request.get_ref().clone().into(),
            });
            (self.answer)()
        }
    }

    #[tonic::async_trait]
    impl LogsService for Collector {
        async fn export(
            &self,
            request: tonic::Request<ExportLogsServiceRequest>,
        ) -> Result<Response<ExportLogsServiceResponse>, Status> {
            let (rejected, error_message) = self.receive(&request)?;
            Ok(Response::new(ExportLogsServiceResponse {
                partial_success: Some(ExportLogsPartialSuccess {
                    rejected_log_records: rejected,
                    error_message,
                }),
            }))
        }
    }

    #[tonic::async_trait]
    impl TraceService for Collector {
        async fn export(
            &self,
            request: tonic::Request<ExportTraceServiceRequest>,
        ) -> Result<Response<ExportTraceServiceResponse>, Status> {
            let (rejected, error_message) = self.receive(&request)?;
            Ok(Response::new(ExportTraceServiceResponse {
                partial_success: Some(ExportTracePartialSuccess {
                    rejected_spans: rejected,
                    error_message,
                }),
            }))
        }
    }

    /// A runtime for the server and the client; the test thread itself
    /// stays outside it, as an exporter thread does.
    pub(in crate::exporter::otlp) fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap()
    }

    /// Serves on `listener`, answering every call with `answer()`, its
    /// answers gzip-compressed when the client accepts that.
    fn serve_on(
        runtime: &tokio::runtime::Runtime,
        listener: tokio::net::TcpListener,
        answer: impl Fn() -> Result<(i64, String), Status> + Send + Sync + 'static,
    ) -> Arc<Mutex<Vec<Received>>> {
        let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
        serve_incoming(runtime, incoming, answer)
    }

    /// Serves the connections of `incoming` as [`serve_on`] does.
    pub(in crate::exporter::otlp) fn serve_incoming<IO, IE>(
        runtime: &tokio::runtime::Runtime,
        incoming: impl tokio_stream::Stream<Item = Result<IO, IE>> + Send + 'static,
        answer: impl Fn() -> Result<(i64, String), Status> + Send + Sync + 'static,
    ) -> Arc<Mutex<Vec<Received>>>
    where
        IO: tokio::io::AsyncRead
            + tokio::io::AsyncWrite
            + tonic::transport::server::Connected
            + Unpin
            + Send
            + 'static,
        IE: Into<Box<dyn std::error::Error + Send + Sync>> + Send + 'static,
    {
        let received = Arc::new(Mutex::new(Vec::new()));
        let collector = Collector {
            answer: Arc::new(answer),
            received: received.clone(),
        };
        let logs = LogsServiceServer::new(collector.clone())
            .accept_compressed(CompressionEncoding::Gzip)
            .accept_compressed(CompressionEncoding::Zstd)
            .send_compressed(CompressionEncoding::Gzip);
        let traces = TraceServiceServer::new(collector)
            .accept_compressed(CompressionEncoding::Gzip)
            .accept_compressed(CompressionEncoding::Zstd)
            .send_compressed(CompressionEncoding::Gzip);
        runtime.spawn(
            tonic::transport::Server::builder()
                .add_service(logs)
                .add_service(traces)
                .serve_with_incoming(incoming),
        );
        received
    }

    /// Serves on 127.0.0.1:0; returns `host:port` and what arrived.
    fn serve(
        runtime: &tokio::runtime::Runtime,
        answer: impl Fn() -> Result<(i64, String), Status> + Send + Sync + 'static,
    ) -> (String, Arc<Mutex<Vec<Received>>>) {
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        (addr.to_string(), serve_on(runtime, listener, answer))
    }

    pub(in crate::exporter::otlp) fn ok() -> Result<(i64, String), Status> {
        Ok((0, String::new()))
    }

    fn settings(endpoint: &str) -> OtlpExporter {
        OtlpExporter {
            endpoint: Some(endpoint.to_string()),
            tls: TlsSettings {
                insecure: true,
                ..TlsSettings::default()
            },
            timeout: Duration::from_secs(5),
            ..Default::default()
        }
    }

    pub(in crate::exporter::otlp) fn sink(
        runtime: &tokio::runtime::Runtime,
        settings: OtlpExporter,
    ) -> OtlpSink {
        OtlpSink::new("otlp/test", settings, runtime.handle().clone()).unwrap()
    }

    fn string(s: String) -> Option<AnyValue> {
        Some(AnyValue {
            value: Some(any_value::Value::StringValue(s)),
        })
    }

    /// A logs batch of `n` records with bodies, attributes and trace and
    /// span ids, so that a lossy path has something to lose.
    pub(in crate::exporter::otlp) fn logs(n: usize) -> Batch {
        ExportLogsServiceRequest {
            resource_logs: vec![ResourceLogs {
                scope_logs: vec![ScopeLogs {
                    log_records: (0..n)
                        .map(|i| LogRecord {
                            time_unix_nano: 1_700_000_000_000_000_000 + i as u64,
                            severity_number: 9,
                            body: string(format!("record {i}")),
                            attributes: vec![KeyValue {
                                key: "i".into(),
                                value: Some(AnyValue {
                                    value: Some(any_value::Value::IntValue(i as i64)),
                                }),
                                ..Default::default()
                            }],
                            trace_id: vec![i as u8 + 1; 16],
                            span_id: vec![i as u8 + 1; 8],
                            ..Default::default()
                        })
                        .collect(),
                    ..Default::default()
                }],
                ..Default::default()
            }],
        }
        .into()
    }

    /// A traces batch of `n` spans.
    fn spans(n: usize) -> Batch {
        ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                scope_spans: vec![ScopeSpans {
                    spans: (0..n)
                        .map(|i| Span {
                            trace_id: vec![7; 16],
                            span_id: vec![i as u8 + 1; 8],
                            name: format!("GET /orders/{i}"),
                            ..Default::default()
                        })
                        .collect(),
                    ..Default::default()
                }],
                ..Default::default()
            }],
        }
        .into()
    }

    /// Runs `f` with a subscriber that keeps what it logs on this thread.
    fn logged<T>(f: impl FnOnce() -> T) -> (T, String) {
        #[derive(Clone, Default)]
        struct Buffer(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Buffer {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        let out = tracing::subscriber::with_default(subscriber, f);
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        (out, text)
    }

    /// A port that was free a moment ago and has no listener now.
    fn closed_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }

    #[test]
    fn records_and_headers_arrive_gzip_compressed() {
        let rt = runtime();
        let (addr, received) = serve(&rt, ok);
        let mut settings = settings(&format!("http://{addr}"));
        settings
            .headers
            .insert("Authorization".into(), "Bearer s3cret".into());
        let batch = logs(20);
        sink(&rt, settings).export(&batch).unwrap();

        let received = received.lock().unwrap();
        assert_eq!(received.len(), 1);
        let call = &received[0];
        assert_eq!(call.batch, batch, "the server reads back the records sent");
        let header = |name: &str| call.metadata.get(name).map(|v| v.to_str().unwrap());
        assert_eq!(header("grpc-encoding"), Some("gzip"));
        assert_eq!(header("authorization"), Some("Bearer s3cret"));
        assert!(header("user-agent").unwrap().starts_with("weir/"));
        assert!(header("grpc-timeout").is_some(), "the deadline is sent");
    }

    #[test]
    fn each_compression_and_each_signal_reaches_its_service() {
        let rt = runtime();
        let (addr, received) = serve(&rt, ok);
        for (compression, encoding) in [
            (Compression::Zstd, Some("zstd")),
            (Compression::None, None),
            (Compression::Gzip, Some("gzip")),
        ] {
            let mut settings = settings(&addr);
            settings.compression = compression;
            let mut sink = sink(&rt, settings);
            let (batch_logs, batch_spans) = (logs(3), spans(4));
            sink.export(&batch_logs).unwrap();
            sink.export(&batch_spans).unwrap();

            let mut received = received.lock().unwrap();
            let calls: Vec<Received> = received.drain(..).collect();
            assert_eq!(calls.len(), 2, "{compression:?}");
            assert_eq!(calls[0].batch, batch_logs, "{compression:?}");
            assert_eq!(calls[1].batch.signal(), Signal::Traces);
            assert_eq!(calls[1].batch, batch_spans, "{compression:?}");
            for call in &calls {
                let sent = call
                    .metadata
                    .get("grpc-encoding")
                    .map(|v| v.to_str().unwrap());
                assert_eq!(sent, encoding, "{compression:?}");
            }
        }
    }

    #[test]
    fn a_partial_success_counts_as_delivered() {
        let rt = runtime();
        let (addr, received) = serve(&rt, || Ok((2, "2 records too old".into())));
        let mut sink = sink(&rt, settings(&addr));
        let (outcome, log) = logged(|| sink.export(&logs(5)));
        assert_eq!(outcome, Ok(()));
        assert_eq!(received.lock().unwrap().len(), 1, "sent once, not retried");
        assert!(
            log.contains("WARN")
                && log.contains("accepted the batch only in part")
                && log.contains("exporter=otlp/test")
                && log.contains("rejected=2")
                && log.contains("error_message=2 records too old"),
            "{log}"
        );
    }

    #[test]
    fn unavailable_is_retryable() {
        let rt = runtime();
        let (addr, _) = serve(&rt, || Err(Status::unavailable("queue is full")));
        assert_eq!(
            sink(&rt, settings(&addr)).export(&logs(1)),
            Err(ExportError::Retryable {
                reason: format!("{addr} answered UNAVAILABLE: queue is full"),
                retry_after: None,
            })
        );
    }

    #[test]
    fn resource_exhausted_with_retry_info_is_retryable_after_its_delay() {
        let rt = runtime();
        let (addr, _) = serve(&rt, || {
            let details =
                retry_info_details(Code::ResourceExhausted, "throttled", Duration::from_secs(2));
            Err(Status::with_details(
                Code::ResourceExhausted,
                "throttled",
                details.into(),
            ))
        });
        assert_eq!(
            sink(&rt, settings(&addr)).export(&logs(1)),
            Err(ExportError::Retryable {
                reason: format!("{addr} answered RESOURCE_EXHAUSTED: throttled"),
                retry_after: Some(Duration::from_secs(2)),
            })
        );
    }

    #[test]
    fn resource_exhausted_without_retry_info_is_permanent() {
        let rt = runtime();
        let (addr, _) = serve(&rt, || {
            Err(Status::resource_exhausted("message larger than max"))
        });
        assert_eq!(
            sink(&rt, settings(&addr)).export(&logs(1)),
            Err(ExportError::Permanent(format!(
                "{addr} answered RESOURCE_EXHAUSTED: message larger than max"
            )))
        );
    }

    #[test]
    fn invalid_argument_is_permanent_with_the_servers_message() {
        let rt = runtime();
        let (addr, _) = serve(&rt, || {
            Err(Status::invalid_argument(
                "resource attribute service.name is required",
            ))
        });
        assert_eq!(
            sink(&rt, settings(&addr)).export(&spans(1)),
            Err(ExportError::Permanent(format!(
                "{addr} answered INVALID_ARGUMENT: resource attribute service.name is required"
            )))
        );
    }

    #[test]
    fn a_signal_the_server_does_not_serve_is_permanent() {
        let rt = runtime();
        let (addr, _) = serve(&rt, ok);
        let metrics: Batch = crate::otlp::ExportMetricsServiceRequest::default().into();
        let err = sink(&rt, settings(&addr)).export(&metrics).unwrap_err();
        assert!(
            matches!(&err, ExportError::Permanent(reason)
                if reason.starts_with(&format!("{addr} answered UNIMPLEMENTED"))),
            "{err:?}"
        );
    }

    #[test]
    fn nothing_listening_is_retryable_and_the_destination_may_come_later() {
        let rt = runtime();
        let port = closed_port();
        let addr = format!("127.0.0.1:{port}");
        // Building the sink connects nothing, so this is not an error.
        let mut sink = sink(&rt, settings(&addr));
        let err = sink.export(&logs(1)).unwrap_err();
        let ExportError::Retryable {
            reason,
            retry_after,
        } = err
        else {
            panic!("expected retryable, got {err:?}");
        };
        assert_eq!(retry_after, None);
        assert!(
            reason.starts_with(&format!("{addr}: tcp connect error: Connection refused")),
            "{reason}"
        );

        // The destination starts: the same sink reaches it.
        let listener = rt.block_on(tokio::net::TcpListener::bind(&addr)).unwrap();
        let received = serve_on(&rt, listener, ok);
        let batch = logs(2);
        sink.export(&batch).unwrap();
        assert_eq!(received.lock().unwrap()[0].batch, batch);
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
        let mut settings = settings(&addr.to_string());
        settings.timeout = Duration::from_millis(200);
        let err = sink(&rt, settings).export(&logs(1)).unwrap_err();
        assert!(err.is_retryable(), "{err:?}");
        assert_eq!(err.to_string(), format!("{addr}: timed out after 200ms"));
    }
}
