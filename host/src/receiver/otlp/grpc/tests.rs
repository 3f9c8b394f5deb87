//! The server on loopback, driven by real clients: tonic (the client
//! weir's `otlp` exporter and `weir gen` use) for ordinary calls, and a
//! raw `h2` client for what no gRPC library sends — wrong methods and
//! content types, hand-made framing, resets mid-body, bodies that never
//! come.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use prost::Message as _;
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_stream::wrappers::TcpListenerStream;
use tokio_util::sync::CancellationToken;
use tonic::Code;
use tonic::codec::CompressionEncoding;

use super::call::Receiver;
use super::{TIMEOUTS, Timeouts, serve_with};
use crate::auth::{BearerTokenAuth, BearerTokens};
use crate::otlp::Signal;
use crate::otlp::grpc_client::{ExportCodec, export_path};
use crate::receiver::{Intake, SignalInputs};
use crate::telemetry::metrics::{Metrics, RefusedLabels};

/// Every bound on a test's waits: generous, as the machine is shared.
const BOUND: Duration = Duration::from_secs(30);
const LOGS: &str = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";

/// A server on loopback whose receiver feeds no pipeline: an empty
/// request is accepted, one with records is refused as `NO_PIPELINE`
/// (`UNIMPLEMENTED`) after it was read, decompressed and validated.
struct Server {
    addr: SocketAddr,
    metrics: Arc<Metrics>,
    shutdown: CancellationToken,
    task: JoinHandle<anyhow::Result<()>>,
}

impl Server {
    async fn start(max_message: usize, token: Option<&str>, timeouts: Timeouts) -> Server {
        Server::feeding(SignalInputs::default(), max_message, token, timeouts).await
    }

    /// A server whose receiver feeds `inputs`.
    async fn feeding(
        inputs: SignalInputs,
        max_message: usize,
        token: Option<&str>,
        timeouts: Timeouts,
    ) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let metrics = Arc::new(Metrics::new());
        let intake = Intake::new("otlp", "grpc", inputs, metrics.clone());
        let auth = token.map(|token| {
            let settings = BearerTokenAuth {
                token: Some(token.into()),
                ..Default::default()
            };
            Arc::new(BearerTokens::new(settings).unwrap())
        });
        let shutdown = CancellationToken::new();
        let receiver = Receiver {
            intake: Arc::new(intake),
            max_message,
            auth,
            shutdown: shutdown.clone(),
            timeouts,
        };
        let task = tokio::spawn(serve_with(
            TcpListenerStream::new(listener),
            Arc::new(receiver),
        ));
        Server {
            addr,
            metrics,
            shutdown,
            task,
        }
    }

    async fn plain() -> Server {
        Server::start(1 << 20, None, TIMEOUTS).await
    }

    fn refused(&self, reason: &'static str) -> u64 {
        self.metrics
            .refused_requests
            .get_or_create(&RefusedLabels {
                receiver: "otlp".into(),
                transport: "grpc",
                reason,
            })
            .get()
    }

    /// Every refusal counted, whatever the reason.
    fn refusals(&self) -> u64 {
        [
            "malformed",
            "too_large",
            "unsupported_media_type",
            "no_pipeline",
            "memory_limit",
            "shutting_down",
            "missing_token",
            "wrong_token",
            "deadline_exceeded",
        ]
        .into_iter()
        .map(|reason| self.refused(reason))
        .sum()
    }

    /// Shuts the server down and waits until `serve` returns.
    async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(BOUND, self.task)
            .await
            .expect("serve returns after shutdown")
            .unwrap()
            .unwrap();
    }
}

/// A logs export request of `n` records.
fn logs(n: usize) -> Bytes {
    use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
    use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
    let record = LogRecord {
        severity_text: "INFO".into(),
        ..Default::default()
    };
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            scope_logs: vec![ScopeLogs {
                log_records: vec![record; n],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
    .encode_to_vec()
    .into()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

/// One export through tonic.
async fn tonic_export(addr: SocketAddr, body: Bytes, gzip: bool) -> Result<(), tonic::Status> {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut grpc = tonic::client::Grpc::new(channel);
    if gzip {
        grpc = grpc.send_compressed(CompressionEncoding::Gzip);
    }
    grpc.ready().await.unwrap();
    let call = grpc.unary(
        tonic::Request::new(body),
        export_path(Signal::Logs),
        ExportCodec::<()>::default(),
    );
    tokio::time::timeout(BOUND, call).await.unwrap().map(drop)
}

/// A raw HTTP/2 client on its own connection.
async fn h2_client(addr: SocketAddr) -> h2::client::SendRequest<Bytes> {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (client, connection) = h2::client::handshake(tcp).await.unwrap();
    tokio::spawn(connection);
    client.ready().await.unwrap()
}

/// A call's request headers.
fn request(method: &str, path: &str, headers: &[(&str, &str)]) -> http::Request<()> {
    let mut builder = http::Request::builder()
        .method(method)
        .uri(format!("http://weir{path}"));
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(()).unwrap()
}

const GRPC: (&str, &str) = ("content-type", "application/grpc");

/// `message` with its 5-byte prefix.
fn framed(compressed: bool, message: &[u8]) -> Bytes {
    let mut body = vec![u8::from(compressed)];
    body.extend_from_slice(&(message.len() as u32).to_be_bytes());
    body.extend_from_slice(message);
    body.into()
}

/// What a raw call was answered: HTTP status, gRPC code and message,
/// and the response headers.
#[derive(Debug)]
struct Answer {
    http: StatusCode,
    code: Code,
    message: String,
    headers: HeaderMap,
}

async fn answer(response: h2::client::ResponseFuture) -> Answer {
    let response = tokio::time::timeout(BOUND, response)
        .await
        .unwrap()
        .unwrap();
    let (parts, mut body) = response.into_parts();
    while let Some(data) = body.data().await {
        data.unwrap();
    }
    // Trailers-only: the status is in the headers.
    let status = body
        .trailers()
        .await
        .unwrap()
        .unwrap_or(parts.headers.clone());
    Answer {
        http: parts.status,
        code: Code::from_bytes(status["grpc-status"].as_bytes()),
        message: status
            .get("grpc-message")
            .map(|m| m.to_str().unwrap().to_string())
            .unwrap_or_default(),
        headers: parts.headers,
    }
}

/// Sends one raw call with `body` as its whole body.
async fn raw_call(addr: SocketAddr, request: http::Request<()>, body: &[Bytes]) -> Answer {
    let mut client = h2_client(addr).await;
    let (response, mut stream) = client.send_request(request, body.is_empty()).unwrap();
    for (i, chunk) in body.iter().enumerate() {
        stream
            .send_data(chunk.clone(), i + 1 == body.len())
            .unwrap();
    }
    answer(response).await
}

#[tokio::test]
async fn tonic_calls_are_read_validated_and_handed_to_the_intake() {
    let server = Server::plain().await;
    // An empty request is accepted without a pipeline.
    tonic_export(server.addr, Bytes::new(), false)
        .await
        .unwrap();
    // One with records reaches the intake, which has no pipeline for it.
    for gzip in [false, true] {
        let status = tonic_export(server.addr, logs(10), gzip).await.unwrap_err();
        assert_eq!(status.code(), Code::Unimplemented, "{status:?}");
        assert_eq!(status.message(), "this receiver feeds no logs pipeline");
    }
    assert_eq!(server.refused("no_pipeline"), 2);
    server.stop().await;
}

#[tokio::test]
async fn a_malformed_message_is_invalid_argument_and_counted() {
    let server = Server::plain().await;
    let status = tonic_export(server.addr, Bytes::from_static(b"\x0a\xff\xff\x01"), false)
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(
        status
            .message()
            .contains("malformed OTLP protobuf logs request"),
        "{status:?}"
    );
    assert_eq!(server.refused("malformed"), 1);
    server.stop().await;
}

#[tokio::test]
async fn messages_over_the_limit_are_resource_exhausted_plain_or_as_a_bomb() {
    let server = Server::start(4096, None, TIMEOUTS).await;
    let plain = tonic_export(server.addr, vec![0; 5000].into(), false)
        .await
        .unwrap_err();
    assert_eq!(plain.code(), Code::ResourceExhausted, "{plain:?}");
    assert!(plain.message().contains("5000 vs. 4096 bytes"), "{plain:?}");
    // Small as sent, over the limit once inflated.
    let bomb = tonic_export(server.addr, vec![0; 1 << 20].into(), true)
        .await
        .unwrap_err();
    assert_eq!(bomb.code(), Code::ResourceExhausted, "{bomb:?}");
    assert!(bomb.message().contains("4096 bytes"), "{bomb:?}");
    // No RetryInfo: nothing in the details.
    assert!(bomb.details().is_empty());
    assert_eq!(server.refused("too_large"), 2);
    server.stop().await;
}

#[tokio::test]
async fn only_the_export_paths_are_served() {
    let server = Server::plain().await;
    let path = "/opentelemetry.proto.collector.logs.v1.LogsService/Other";
    let answer = raw_call(
        server.addr,
        request("POST", path, &[GRPC]),
        &[framed(false, b"")],
    )
    .await;
    assert_eq!(answer.code, Code::Unimplemented);
    assert!(answer.message.contains(path), "{answer:?}");
    // Not an OTLP request, so not a refusal of one.
    assert_eq!(server.refusals(), 0);
    server.stop().await;
}

#[tokio::test]
async fn requests_that_are_not_grpc_are_refused_as_grpc_go_does() {
    let server = Server::plain().await;
    let get = raw_call(server.addr, request("GET", LOGS, &[GRPC]), &[]).await;
    assert_eq!(get.http, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(get.code, Code::Internal);
    let json = raw_call(
        server.addr,
        request("POST", LOGS, &[("content-type", "application/json")]),
        &[Bytes::from_static(b"{}")],
    )
    .await;
    assert_eq!(json.http, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(json.code, Code::InvalidArgument);
    assert!(json.message.contains("application/json"), "{json:?}");
    assert_eq!(server.refused("malformed"), 1);
    assert_eq!(server.refused("unsupported_media_type"), 1);
    server.stop().await;
}

#[tokio::test]
async fn bad_framing_is_invalid_argument() {
    let server = Server::plain().await;
    let mut two = framed(false, b"").to_vec();
    two.extend_from_slice(&framed(false, b""));
    let truncated = framed(false, b"\x0a\x00").slice(..6);
    for (body, words) in [
        (vec![], "got none"),
        (vec![two.into()], "takes one message"),
        (vec![truncated], "truncated"),
    ] {
        let answer = raw_call(server.addr, request("POST", LOGS, &[GRPC]), &body).await;
        assert_eq!(answer.code, Code::InvalidArgument, "{answer:?}");
        assert!(answer.message.contains(words), "{answer:?}");
    }
    assert_eq!(server.refused("malformed"), 3);
    server.stop().await;
}

#[tokio::test]
async fn a_message_split_across_data_frames_is_joined() {
    let server = Server::plain().await;
    let body = framed(false, &logs(100));
    let chunks: Vec<Bytes> = (0..body.len())
        .step_by(100)
        .map(|at| body.slice(at..(at + 100).min(body.len())))
        .collect();
    assert!(chunks.len() > 3);
    let answer = raw_call(server.addr, request("POST", LOGS, &[GRPC]), &chunks).await;
    // Read whole and valid: refused only for want of a pipeline.
    assert_eq!(answer.code, Code::Unimplemented, "{answer:?}");
    assert_eq!(server.refused("no_pipeline"), 1);
    assert_eq!(server.refused("malformed"), 0);
    server.stop().await;
}

#[tokio::test]
async fn encodings_are_checked() {
    let server = Server::plain().await;
    // Compressed flag without an encoding: INTERNAL, as the protocol says.
    let flagged = raw_call(
        server.addr,
        request("POST", LOGS, &[GRPC]),
        &[framed(true, &gzip(&logs(1)))],
    )
    .await;
    assert_eq!(flagged.code, Code::Internal, "{flagged:?}");
    // An encoding weir does not take: UNIMPLEMENTED, saying what it takes.
    let brotli = raw_call(
        server.addr,
        request("POST", LOGS, &[GRPC, ("grpc-encoding", "br")]),
        &[framed(true, b"\x01")],
    )
    .await;
    assert_eq!(brotli.code, Code::Unimplemented, "{brotli:?}");
    assert_eq!(brotli.headers["grpc-accept-encoding"], "gzip,zstd,identity");
    // Corrupt gzip: INVALID_ARGUMENT.
    let corrupt = raw_call(
        server.addr,
        request("POST", LOGS, &[GRPC, ("grpc-encoding", "gzip")]),
        &[framed(true, b"not gzip")],
    )
    .await;
    assert_eq!(corrupt.code, Code::InvalidArgument, "{corrupt:?}");
    // zstd is taken, and a plain message with an encoding passes as is.
    let zstd = zstd::encode_all(&logs(3)[..], 3).unwrap();
    for (compressed, message) in [(true, zstd), (false, logs(3).to_vec())] {
        let answer = raw_call(
            server.addr,
            request("POST", LOGS, &[GRPC, ("grpc-encoding", "zstd")]),
            &[framed(compressed, &message)],
        )
        .await;
        assert_eq!(answer.code, Code::Unimplemented, "{answer:?}");
        assert!(answer.message.contains("no logs pipeline"), "{answer:?}");
    }
    assert_eq!(server.refused("malformed"), 2);
    assert_eq!(server.refused("unsupported_media_type"), 1);
    server.stop().await;
}

#[tokio::test]
async fn a_call_without_the_token_is_unauthenticated() {
    let server = Server::start(1 << 20, Some("s3cret"), TIMEOUTS).await;
    let missing = raw_call(
        server.addr,
        request("POST", LOGS, &[GRPC]),
        &[framed(false, b"")],
    )
    .await;
    assert_eq!(missing.code, Code::Unauthenticated, "{missing:?}");
    let wrong = raw_call(
        server.addr,
        request("POST", LOGS, &[GRPC, ("authorization", "Bearer nope")]),
        &[framed(false, b"")],
    )
    .await;
    assert_eq!(wrong.code, Code::Unauthenticated, "{wrong:?}");
    let right = raw_call(
        server.addr,
        request("POST", LOGS, &[GRPC, ("authorization", "Bearer s3cret")]),
        &[framed(false, b"")],
    )
    .await;
    assert_eq!(right.code, Code::Ok, "{right:?}");
    assert_eq!(server.refused("missing_token"), 1);
    assert_eq!(server.refused("wrong_token"), 1);
    server.stop().await;
}

#[tokio::test]
async fn calls_on_one_connection_run_concurrently() {
    let server = Server::plain().await;
    let mut client = h2_client(server.addr).await;
    // The first call's body stops half-way...
    let body = framed(false, &logs(5));
    let (first, mut first_body) = client
        .send_request(request("POST", LOGS, &[GRPC]), false)
        .unwrap();
    first_body.send_data(body.slice(..10), false).unwrap();
    // ...while others on the same connection are served.
    let mut client = client.ready().await.unwrap();
    for _ in 0..20 {
        let (second, mut second_body) = client
            .send_request(request("POST", LOGS, &[GRPC]), false)
            .unwrap();
        second_body.send_data(framed(false, b""), true).unwrap();
        assert_eq!(answer(second).await.code, Code::Ok);
        client = client.ready().await.unwrap();
    }
    first_body.send_data(body.slice(10..), true).unwrap();
    assert_eq!(answer(first).await.code, Code::Unimplemented);
    server.stop().await;
}

#[tokio::test]
async fn a_stream_reset_mid_body_is_not_a_refusal() {
    let server = Server::plain().await;
    let mut client = h2_client(server.addr).await;
    let (response, mut body) = client
        .send_request(request("POST", LOGS, &[GRPC]), false)
        .unwrap();
    body.send_data(framed(false, &logs(5)).slice(..10), false)
        .unwrap();
    body.send_reset(h2::Reason::CANCEL);
    assert!(
        tokio::time::timeout(BOUND, response)
            .await
            .unwrap()
            .is_err()
    );
    // The connection serves on.
    let mut client = client.ready().await.unwrap();
    let (next, mut next_body) = client
        .send_request(request("POST", LOGS, &[GRPC]), false)
        .unwrap();
    next_body.send_data(framed(false, b""), true).unwrap();
    assert_eq!(answer(next).await.code, Code::Ok);
    assert_eq!(server.refusals(), 0);
    server.stop().await;
}

#[tokio::test]
async fn a_client_that_never_handshakes_is_closed() {
    let timeouts = Timeouts {
        handshake: Duration::from_millis(100),
        ..TIMEOUTS
    };
    let server = Server::start(1 << 20, None, timeouts).await;
    let mut silent = TcpStream::connect(server.addr).await.unwrap();
    // The server sends its SETTINGS, then closes the connection.
    let mut sent = Vec::new();
    let read = tokio::time::timeout(BOUND, silent.read_to_end(&mut sent)).await;
    read.expect("closed within the bound").unwrap();
    server.stop().await;
}

#[tokio::test]
async fn shutdown_lets_a_call_in_flight_finish() {
    let server = Server::plain().await;
    let mut client = h2_client(server.addr).await;
    let body = framed(false, b"");
    let (response, mut stream) = client
        .send_request(request("POST", LOGS, &[GRPC]), false)
        .unwrap();
    stream.send_data(body.slice(..2), false).unwrap();
    // The call is under way (its headers were taken) once another call on
    // the connection, sent after it, has been answered.
    let mut client = client.ready().await.unwrap();
    let (probe, mut probe_body) = client
        .send_request(request("POST", LOGS, &[GRPC]), false)
        .unwrap();
    probe_body.send_data(framed(false, b""), true).unwrap();
    assert_eq!(answer(probe).await.code, Code::Ok);
    server.shutdown.cancel();
    stream.send_data(body.slice(2..), true).unwrap();
    assert_eq!(answer(response).await.code, Code::Ok);
    server.stop().await;
}

/// A client that sends a call's headers and never its body does not hold
/// the shutdown: after a grace period the call is answered `UNAVAILABLE`
/// (retry elsewhere) and the server returns.
#[tokio::test]
async fn a_body_that_never_comes_does_not_hold_the_shutdown() {
    let timeouts = Timeouts {
        body_after_shutdown: Duration::from_millis(100),
        ..TIMEOUTS
    };
    let server = Server::start(1 << 20, None, timeouts).await;
    let mut client = h2_client(server.addr).await;
    let (response, _stream) = client
        .send_request(request("POST", LOGS, &[GRPC]), false)
        .unwrap();
    let mut client = client.ready().await.unwrap();
    let (probe, mut probe_body) = client
        .send_request(request("POST", LOGS, &[GRPC]), false)
        .unwrap();
    probe_body.send_data(framed(false, b""), true).unwrap();
    assert_eq!(answer(probe).await.code, Code::Ok);
    server.shutdown.cancel();
    let answer = answer(response).await;
    assert_eq!(answer.code, Code::Unavailable, "{answer:?}");
    assert!(answer.message.contains("shutting down"), "{answer:?}");
    assert_eq!(server.refused("shutting_down"), 1);
    server.stop().await;
}

/// A call whose `grpc-timeout` passes while weir waits for its message is
/// answered `DEADLINE_EXCEEDED` then, not held until the client resets it;
/// one well within its deadline is served as any other.
#[tokio::test]
async fn a_call_past_its_deadline_is_answered_deadline_exceeded() {
    let server = Server::plain().await;
    let mut client = h2_client(server.addr).await;
    let timeout = ("grpc-timeout", "100m");
    let (response, _stream) = client
        .send_request(request("POST", LOGS, &[GRPC, timeout]), false)
        .unwrap();
    let answer = answer(response).await;
    assert_eq!(answer.code, Code::DeadlineExceeded, "{answer:?}");
    assert_eq!(
        answer.message,
        "the call's deadline (grpc-timeout 100m) passed before its message arrived"
    );
    assert_eq!(server.refused("deadline_exceeded"), 1);

    let generous = ("grpc-timeout", "30S");
    let request = request("POST", LOGS, &[GRPC, generous]);
    let answer = raw_call(server.addr, request, &[framed(false, b"")]).await;
    assert_eq!(answer.code, Code::Ok, "{answer:?}");
    assert_eq!(server.refusals(), 1);
    server.stop().await;
}

/// The deadline also bounds the wait for the exporters: a pipeline that
/// holds the records past it gets them still, and the client hears
/// `DEADLINE_EXCEEDED` (retryable) when its deadline passes.
#[tokio::test]
async fn a_deadline_passing_while_exporters_have_the_records_is_deadline_exceeded() {
    let (input, envelopes) = crate::pipeline::PipelineInput::for_tests(4);
    let mut inputs = SignalInputs::default();
    inputs.add(Signal::Logs, input);
    let server = Server::feeding(inputs, 1 << 20, None, TIMEOUTS).await;
    let request = request("POST", LOGS, &[GRPC, ("grpc-timeout", "200m")]);
    let answer = raw_call(server.addr, request, &[framed(false, &logs(3))]).await;
    assert_eq!(answer.code, Code::DeadlineExceeded, "{answer:?}");
    assert_eq!(
        answer.message,
        "the call's deadline (grpc-timeout 200m) passed before every exporter had its \
         records (they may still be delivered)"
    );
    let held = envelopes
        .try_recv()
        .expect("the records reached the pipeline");
    assert_eq!(held.batch.len(), 3);
    assert_eq!(server.refused("deadline_exceeded"), 1);
    server.stop().await;
}

/// A `grpc-timeout` that is not one is refused as grpc-go refuses it
/// (`INTERNAL`), before the body is read, and counted as malformed.
#[tokio::test]
async fn a_malformed_grpc_timeout_is_internal() {
    let server = Server::plain().await;
    for value in ["soon", "123456789S", "10s"] {
        let request = request("POST", LOGS, &[GRPC, ("grpc-timeout", value)]);
        let answer = raw_call(server.addr, request, &[framed(false, b"")]).await;
        assert_eq!(answer.code, Code::Internal, "{value}: {answer:?}");
        assert!(
            answer.message.starts_with("malformed grpc-timeout"),
            "{value}: {answer:?}"
        );
    }
    assert_eq!(server.refused("malformed"), 3);
    server.stop().await;
}
