//! OTLP/gRPC: the `LogsService`, `MetricsService` and `TraceService`
//! export calls, with gzip and zstd request compression and a limit on the
//! decoded message size. Each call's message arrives as bytes
//! ([`RawCodec`]) and becomes a batch for the receiver's [`Intake`] by the
//! same path as an OTLP/HTTP body (`request`); its refusals become gRPC
//! codes: `INVALID_ARGUMENT` for a malformed request, `UNAVAILABLE` when
//! overloaded or when an exporter failed (both retryable, as OTLP clients
//! expect), `UNIMPLEMENTED` for a signal the receiver feeds no pipeline
//! of.
//!
//! The services are written here rather than taken from
//! `opentelemetry-proto`'s generated servers, which fix the codec to a
//! full prost decode. tonic still reads the gRPC frame and decompresses
//! it, and answers what fails there itself, with codes that mislead an
//! OTLP client; a layer on the way out ([`otlp_codes_for_decode_errors`])
//! corrects them and counts those refusals with the others.

use std::convert::Infallible;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use tokio_util::sync::CancellationToken;
use tonic::codec::CompressionEncoding;
use tonic::server::{Grpc, NamedService, UnaryService};
use tonic::{Code, Request, Response, Status};

use super::grpc_codec::RawCodec;
use super::request::protobuf_batch;
use crate::auth::{AuthFailure, BearerTokens, RequireToken};
use crate::otlp::Signal;
use crate::receiver::{Intake, Refusal, RefusalKind};

/// Serves OTLP/gRPC on `listener` until `shutdown` is cancelled, then lets
/// in-flight calls finish.
pub(super) fn serve<I, IO>(
    incoming: I,
    intake: Arc<Intake>,
    max_message: usize,
    auth: Option<Arc<BearerTokens>>,
    shutdown: CancellationToken,
) -> impl Future<Output = anyhow::Result<()>> + Send + 'static
where
    I: tokio_stream::Stream<Item = Result<IO, std::io::Error>> + Send + 'static,
    IO: tokio::io::AsyncRead
        + tokio::io::AsyncWrite
        + tonic::transport::server::Connected
        + Unpin
        + Send
        + 'static,
{
    let receiver = GrpcReceiver {
        intake: intake.clone(),
        max_message,
    };
    let logs = ExportServer::<LogsMethod>::new(receiver.clone());
    let metrics = ExportServer::<MetricsMethod>::new(receiver.clone());
    let traces = ExportServer::<TracesMethod>::new(receiver);
    let refusing = intake.clone();
    let refuse = move |failure: AuthFailure, _: &http::HeaderMap| {
        let refusal = Refusal::from(failure);
        refusing.refused(&refusal);
        Status::unauthenticated(refusal.message).into_http()
    };
    async move {
        tonic::transport::Server::builder()
            // OTLP requests are large (a 1,000-record logs request is some
            // 260 KB): with HTTP/2's defaults (64 KiB windows, 16 KiB
            // frames) each one crosses in many frames and stalls on window
            // updates, a task wake-up each. Larger windows and frames let
            // a request arrive in a few.
            .initial_stream_window_size(GRPC_WINDOW)
            .initial_connection_window_size(GRPC_WINDOW * 4)
            .max_frame_size(GRPC_MAX_FRAME)
            // A call without the token is answered before its message
            // is read.
            .layer(RequireToken::new(auth, refuse))
            .layer(tower::util::MapResponseLayer::new(
                move |response: http::Response<tonic::body::Body>| {
                    otlp_codes_for_decode_errors(&intake, response)
                },
            ))
            .add_service(logs)
            .add_service(metrics)
            .add_service(traces)
            .serve_with_incoming_shutdown(incoming, shutdown.cancelled_owned())
            .await
            .map_err(anyhow::Error::from)
    }
}

/// HTTP/2 flow-control window of each gRPC stream, in bytes.
const GRPC_WINDOW: u32 = 4 << 20;
/// Largest HTTP/2 frame the gRPC server accepts (the protocol's limit is
/// 16 MiB - 1).
const GRPC_MAX_FRAME: u32 = 1 << 20;

/// What the three export services of one receiver share.
#[derive(Clone)]
struct GrpcReceiver {
    intake: Arc<Intake>,
    /// Largest message taken, as sent and decompressed.
    max_message: usize,
}

impl GrpcReceiver {
    /// Validates and submits one export request's bytes.
    async fn export(&self, signal: Signal, request: Bytes) -> Result<(), Status> {
        // tonic has read the message by now; validating it is what the
        // limiter can still spare.
        self.intake.admit(signal).map_err(status)?;
        let batch = protobuf_batch(signal, request).map_err(|refusal| {
            self.intake.refused(&refusal);
            status(refusal)
        })?;
        self.intake
            .accept(signal, batch)
            .await
            .map(drop)
            .map_err(status)
    }
}

/// One OTLP export service: its gRPC name and the signal it carries.
trait ExportMethod: Send + Sync + 'static {
    const SERVICE: &'static str;
    const PATH: &'static str;
    const SIGNAL: Signal;
}

struct LogsMethod;
struct MetricsMethod;
struct TracesMethod;

impl ExportMethod for LogsMethod {
    const SERVICE: &'static str = "opentelemetry.proto.collector.logs.v1.LogsService";
    const PATH: &'static str = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";
    const SIGNAL: Signal = Signal::Logs;
}

impl ExportMethod for MetricsMethod {
    const SERVICE: &'static str = "opentelemetry.proto.collector.metrics.v1.MetricsService";
    const PATH: &'static str = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";
    const SIGNAL: Signal = Signal::Metrics;
}

impl ExportMethod for TracesMethod {
    const SERVICE: &'static str = "opentelemetry.proto.collector.trace.v1.TraceService";
    const PATH: &'static str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
    const SIGNAL: Signal = Signal::Traces;
}

/// The server of one export service, as tonic's router takes it.
struct ExportServer<M> {
    receiver: GrpcReceiver,
    method: PhantomData<M>,
}

impl<M> Clone for ExportServer<M> {
    fn clone(&self) -> Self {
        ExportServer {
            receiver: self.receiver.clone(),
            method: PhantomData,
        }
    }
}

impl<M: ExportMethod> ExportServer<M> {
    fn new(receiver: GrpcReceiver) -> Self {
        ExportServer {
            receiver,
            method: PhantomData,
        }
    }
}

impl<M: ExportMethod> NamedService for ExportServer<M> {
    const NAME: &'static str = M::SERVICE;
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

impl<M, B> tower::Service<http::Request<B>> for ExportServer<M>
where
    M: ExportMethod,
    B: tonic::codegen::Body + Send + 'static,
    B::Error: Into<tonic::codegen::StdError> + Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = BoxFuture<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        if request.uri().path() != M::PATH {
            let status = Status::unimplemented(format!(
                "no such method {}: {} has Export only",
                request.uri().path(),
                M::SERVICE
            ));
            return Box::pin(async move { Ok(status.into_http()) });
        }
        let call = ExportCall {
            receiver: self.receiver.clone(),
            signal: M::SIGNAL,
        };
        let max_message = self.receiver.max_message;
        Box::pin(async move {
            let mut grpc = Grpc::new(RawCodec)
                .max_decoding_message_size(max_message)
                .accept_compressed(CompressionEncoding::Gzip)
                .accept_compressed(CompressionEncoding::Zstd)
                .send_compressed(CompressionEncoding::Gzip);
            Ok(grpc.unary(call, request).await)
        })
    }
}

/// One call of an export method.
struct ExportCall {
    receiver: GrpcReceiver,
    signal: Signal,
}

impl UnaryService<Bytes> for ExportCall {
    type Response = ();
    type Future = BoxFuture<Result<Response<()>, Status>>;

    fn call(&mut self, request: Request<Bytes>) -> Self::Future {
        let (receiver, signal) = (self.receiver.clone(), self.signal);
        Box::pin(async move {
            receiver
                .export(signal, request.into_inner())
                .await
                .map(Response::new)
        })
    }
}

/// The gRPC status of a refusal, as the OTLP specification maps them:
/// only `UNAVAILABLE` (and `RESOURCE_EXHAUSTED` with `RetryInfo`, which
/// weir never sends) tells the client to retry.
fn status(refusal: Refusal) -> Status {
    let code = match refusal.kind {
        RefusalKind::Malformed | RefusalKind::UnsupportedMediaType | RefusalKind::ExportRefused => {
            Code::InvalidArgument
        }
        RefusalKind::TooLarge => Code::ResourceExhausted,
        RefusalKind::NoPipeline => Code::Unimplemented,
        RefusalKind::Overloaded
        | RefusalKind::MemoryLimited
        | RefusalKind::ShuttingDown
        | RefusalKind::ExportFailed => Code::Unavailable,
        RefusalKind::MissingToken | RefusalKind::WrongToken => Code::Unauthenticated,
    };
    Status::new(code, refusal.message)
}

/// Corrects tonic's answers to requests it could not decode, and counts
/// them as refusals of `intake`'s receiver. tonic answers before the
/// service sees the request, with the status in the response headers
/// (a trailers-only response), so this is done there, on the way out:
///
/// - "failed to decode Protobuf message" comes as `INTERNAL`; it is
///   `INVALID_ARGUMENT`: the sender's fault, not to be retried. (The raw
///   codec no longer fails so; this stays for any decoding tonic does.)
/// - A message over `max_recv_msg_size_mib` comes as `OUT_OF_RANGE`,
///   which the OTLP specification lists as retryable, so clients would
///   retry a request that can never succeed. It becomes
///   `RESOURCE_EXHAUSTED` without `RetryInfo` (not retryable), as grpc-go
///   answers it.
/// - A compressed message that inflates past the limit already comes as
///   `RESOURCE_EXHAUSTED`; it is only counted.
fn otlp_codes_for_decode_errors<B>(
    intake: &Intake,
    mut response: http::Response<B>,
) -> http::Response<B> {
    let headers = response.headers_mut();
    let Some(code) = headers
        .get(GRPC_STATUS)
        .map(|v| Code::from_bytes(v.as_bytes()))
    else {
        return response;
    };
    let kind = match code {
        Code::Internal if message_starts_with(headers, "failed to decode") => {
            headers.insert(GRPC_STATUS, code_header(Code::InvalidArgument));
            RefusalKind::Malformed
        }
        Code::OutOfRange
            if message_starts_with(headers, "Error, decoded message length too large") =>
        {
            headers.insert(GRPC_STATUS, code_header(Code::ResourceExhausted));
            // Status details could carry a RetryInfo; tonic sends none
            // here, and none may reach the client.
            headers.remove(GRPC_STATUS_DETAILS);
            RefusalKind::TooLarge
        }
        Code::ResourceExhausted
            if message_starts_with(headers, "Error decompressing: size limit") =>
        {
            RefusalKind::TooLarge
        }
        _ => return response,
    };
    let message = headers
        .get(GRPC_MESSAGE)
        .map(|m| String::from_utf8_lossy(m.as_bytes()).replace("%20", " "))
        .unwrap_or_default();
    intake.refused(&Refusal::new(kind, message));
    response
}

const GRPC_STATUS: &str = "grpc-status";
const GRPC_MESSAGE: &str = "grpc-message";
const GRPC_STATUS_DETAILS: &str = "grpc-status-details-bin";

fn code_header(code: Code) -> http::HeaderValue {
    http::HeaderValue::from(code as i32)
}

/// Whether the `grpc-message` header starts with `text`, as sent or
/// percent-encoded (tonic encodes spaces as `%20`).
fn message_starts_with(headers: &http::HeaderMap, text: &str) -> bool {
    headers
        .get(GRPC_MESSAGE)
        .and_then(|m| m.to_str().ok())
        .is_some_and(|m| m.starts_with(text) || m.starts_with(&text.replace(' ', "%20")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::receiver::SignalInputs;
    use crate::telemetry::metrics::{Metrics, RefusedLabels};

    fn intake() -> (Intake, Arc<Metrics>) {
        let metrics = Arc::new(Metrics::new());
        let intake = Intake::new("otlp", "grpc", SignalInputs::default(), metrics.clone());
        (intake, metrics)
    }

    fn refused(metrics: &Metrics, reason: &'static str) -> u64 {
        metrics
            .refused_requests
            .get_or_create(&RefusedLabels {
                receiver: "otlp".into(),
                transport: "grpc",
                reason,
            })
            .get()
    }

    /// What tonic sends back for `status`, through the correcting layer.
    fn answer(intake: &Intake, status: Status) -> http::Response<()> {
        otlp_codes_for_decode_errors(intake, status.into_http())
    }

    fn code(response: &http::Response<()>) -> Code {
        Code::from_bytes(response.headers()[GRPC_STATUS].as_bytes())
    }

    #[test]
    fn an_oversize_message_is_resource_exhausted_without_retry_info() {
        let (intake, metrics) = intake();
        let tonic_says = Status::out_of_range(
            "Error, decoded message length too large: found 5242885 bytes, the limit is: 4194304 bytes",
        );
        let response = answer(&intake, tonic_says);
        assert_eq!(code(&response), Code::ResourceExhausted);
        assert!(!response.headers().contains_key(GRPC_STATUS_DETAILS));
        let message = response.headers()[GRPC_MESSAGE].to_str().unwrap();
        assert!(message.contains("4194304"), "{message}");
        assert_eq!(refused(&metrics, "too_large"), 1);
    }

    #[test]
    fn an_undecodable_message_is_invalid_argument() {
        let (intake, metrics) = intake();
        let response = answer(
            &intake,
            Status::internal("failed to decode Protobuf message: buffer underflow"),
        );
        assert_eq!(code(&response), Code::InvalidArgument);
        assert_eq!(refused(&metrics, "malformed"), 1);
    }

    #[test]
    fn a_decompression_bomb_stays_resource_exhausted_and_is_counted() {
        let (intake, metrics) = intake();
        let response = answer(
            &intake,
            Status::resource_exhausted(
                "Error decompressing: size limit, of 4194304 bytes, exceeded while decompressing message",
            ),
        );
        assert_eq!(code(&response), Code::ResourceExhausted);
        assert_eq!(refused(&metrics, "too_large"), 1);
    }

    #[test]
    fn other_answers_pass_unchanged_and_uncounted() {
        let (intake, metrics) = intake();
        for status in [
            Status::out_of_range("some other range"),
            Status::internal("something else"),
            Status::unavailable("weir is overloaded: retry later"),
        ] {
            let before = status.code();
            assert_eq!(code(&answer(&intake, status)), before);
        }
        let ok = otlp_codes_for_decode_errors(&intake, http::Response::new(()));
        assert!(!ok.headers().contains_key(GRPC_STATUS));
        assert_eq!(refused(&metrics, "too_large"), 0);
        assert_eq!(refused(&metrics, "malformed"), 0);
    }

    #[test]
    fn refusals_map_to_the_otlp_codes() {
        let code = |kind| status(Refusal::new(kind, "m")).code();
        assert_eq!(code(RefusalKind::Overloaded), Code::Unavailable);
        assert_eq!(code(RefusalKind::ShuttingDown), Code::Unavailable);
        assert_eq!(code(RefusalKind::ExportFailed), Code::Unavailable);
        assert_eq!(code(RefusalKind::NoPipeline), Code::Unimplemented);
        assert_eq!(code(RefusalKind::Malformed), Code::InvalidArgument);
        assert_eq!(code(RefusalKind::TooLarge), Code::ResourceExhausted);
    }
}
