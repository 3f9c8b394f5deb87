//! One export call, from its headers to its answer. Everything that can
//! refuse the call without its message is checked first — method, path,
//! content type, bearer token, `grpc-encoding`, the memory limiter — so a
//! refused call costs no body. Then the DATA frames are read within the
//! size limit ([`MessageReader`]), flow-control capacity released as each
//! is taken; the message is decompressed, validated and submitted by the
//! same path as an OTLP/HTTP body (`body`, `request`, [`Intake`]).
//!
//! Every refusal is counted once, where it is decided: here, or by the
//! intake for the limiter and the pipelines. A stream the client reset,
//! or a connection that dropped, is not a refusal: the call just ends.

use std::sync::Arc;

use bytes::Bytes;
use h2::RecvStream;
use h2::server::SendResponse;
use http::{Method, StatusCode};
use tonic::Code;

use super::Timeouts;
use super::answer::{self, ACCEPTED_ENCODINGS, Failure, status};
use super::deadline::Deadline;
use super::frame::{FrameError, Message, MessageReader};
use crate::auth::BearerTokens;
use crate::otlp::Signal;
use crate::receiver::otlp::body::{self, BodyError};
use crate::receiver::otlp::request::protobuf_batch;
use crate::receiver::{Intake, Refusal, RefusalKind};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// What every call of one receiver shares.
pub(super) struct Receiver {
    pub intake: Arc<Intake>,
    /// Largest message taken, as sent and decompressed.
    pub max_message: usize,
    pub auth: Option<Arc<BearerTokens>>,
    pub shutdown: CancellationToken,
    pub timeouts: Timeouts,
}

/// Why a call stops before it succeeds.
enum Stop {
    /// Answer the client with this (already counted).
    Answer(Failure),
    /// The client is gone or reset the stream: nothing to answer.
    Gone(h2::Error),
}

/// `grpc-encoding` of a call's message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Encoding {
    Identity,
    Gzip,
    Zstd,
}

/// Serves one call and answers it.
pub(super) async fn serve(
    receiver: Arc<Receiver>,
    request: http::Request<RecvStream>,
    mut respond: SendResponse<Bytes>,
) {
    let sent = match export(&receiver, request).await {
        Ok(()) => answer::send_ok(&mut respond),
        Err(Stop::Answer(failure)) => answer::send_failure(&mut respond, failure),
        Err(Stop::Gone(error)) => {
            tracing::debug!(%error, "OTLP/gRPC call ended by the client");
            return;
        }
    };
    if let Err(error) = sent {
        tracing::debug!(%error, "OTLP/gRPC call could not be answered: the client is gone");
    }
}

async fn export(receiver: &Receiver, request: http::Request<RecvStream>) -> Result<(), Stop> {
    let start = Instant::now();
    let (parts, mut body) = request.into_parts();
    let (signal, encoding) = receiver.check(&parts)?;
    let deadline = Deadline::of(&parts.headers, start).map_err(|message| {
        // grpc-go's answer: INTERNAL.
        receiver.counted(
            RefusalKind::Malformed,
            Failure::new(Code::Internal, message),
        )
    })?;
    let message = receiver
        .within(
            &deadline,
            "before its message arrived",
            receiver.read(&mut body),
        )
        .await??;
    let bytes = receiver.decode(message, encoding)?;
    let batch = protobuf_batch(signal, bytes).map_err(|r| receiver.refuse(r))?;
    // The intake counts its own refusals.
    let accepted = receiver.intake.accept(signal, batch);
    receiver
        .within(
            &deadline,
            "before every exporter had its records (they may still be delivered)",
            accepted,
        )
        .await?
        .map(drop)
        .map_err(|refusal| Stop::Answer(status(refusal)))
}

impl Receiver {
    /// What the headers decide: the signal and the message's encoding, or
    /// a refusal before the body is read.
    fn check(&self, parts: &http::request::Parts) -> Result<(Signal, Encoding), Stop> {
        if parts.method != Method::POST {
            // grpc-go's answer: HTTP 405, INTERNAL.
            let mut failure = Failure::new(
                Code::Internal,
                format!("method {}: gRPC calls are POST", parts.method),
            );
            failure.http = StatusCode::METHOD_NOT_ALLOWED;
            return Err(self.counted(RefusalKind::Malformed, failure));
        }
        let Some(signal) = signal_of(parts.uri.path()) else {
            // Not an OTLP call, so not counted as a refused request (as
            // before, when tonic's router answered it).
            return Err(Stop::Answer(Failure::new(
                Code::Unimplemented,
                format!(
                    "no such method {}: weir serves the OTLP Export calls",
                    parts.uri.path()
                ),
            )));
        };
        let content_type = parts.headers.get(http::header::CONTENT_TYPE);
        if !content_type.is_some_and(|c| c.as_bytes().starts_with(b"application/grpc")) {
            // grpc-go's answer: HTTP 415, INVALID_ARGUMENT.
            let mut failure = Failure::new(
                Code::InvalidArgument,
                format!("invalid gRPC request content-type {content_type:?}"),
            );
            failure.http = StatusCode::UNSUPPORTED_MEDIA_TYPE;
            return Err(self.counted(RefusalKind::UnsupportedMediaType, failure));
        }
        if let Some(tokens) = &self.auth {
            tokens
                .check(&parts.headers)
                .map_err(|failure| self.refuse(Refusal::from(failure)))?;
        }
        let encoding = self.encoding(&parts.headers)?;
        // Before the body: reading it would spend the memory the limiter
        // protects. The intake counts the refusal.
        self.intake
            .admit(signal)
            .map_err(|refusal| Stop::Answer(status(refusal)))?;
        Ok((signal, encoding))
    }

    fn encoding(&self, headers: &http::HeaderMap) -> Result<Encoding, Stop> {
        let Some(value) = headers.get("grpc-encoding") else {
            return Ok(Encoding::Identity);
        };
        match value.as_bytes() {
            b"identity" => Ok(Encoding::Identity),
            b"gzip" => Ok(Encoding::Gzip),
            b"zstd" => Ok(Encoding::Zstd),
            other => {
                // As grpc-go: UNIMPLEMENTED, listing what is taken.
                let mut failure = Failure::new(
                    Code::Unimplemented,
                    format!(
                        "grpc-encoding {:?} is not supported: send one of {ACCEPTED_ENCODINGS}",
                        String::from_utf8_lossy(other)
                    ),
                );
                failure.accept_encoding = true;
                Err(self.counted(RefusalKind::UnsupportedMediaType, failure))
            }
        }
    }

    /// `step`'s result, unless the call's deadline passes first: then the
    /// call is refused (and counted) as `DEADLINE_EXCEEDED`, saying what
    /// had not happened yet (`missing`).
    async fn within<T>(
        &self,
        deadline: &Option<Deadline>,
        missing: &str,
        step: impl Future<Output = T>,
    ) -> Result<T, Stop> {
        let Some(deadline) = deadline else {
            return Ok(step.await);
        };
        tokio::time::timeout_at(deadline.at, step)
            .await
            .map_err(|_| {
                self.refuse(Refusal::new(
                    RefusalKind::DeadlineExceeded,
                    format!(
                        "the call's deadline (grpc-timeout {}) passed {missing}",
                        deadline.header
                    ),
                ))
            })
    }

    /// The call's message, read within the limit — or, once weir is
    /// shutting down, within a grace period, so a client that never
    /// finishes its body cannot hold the shutdown.
    async fn read(&self, body: &mut RecvStream) -> Result<Message, Stop> {
        let grace = async {
            self.shutdown.cancelled().await;
            tokio::time::sleep(self.timeouts.body_after_shutdown).await;
        };
        tokio::select! {
            biased;
            message = self.read_message(body) => message,
            () = grace => Err(self.refuse(Refusal::new(
                RefusalKind::ShuttingDown,
                "weir is shutting down and the request did not arrive in time: retry later",
            ))),
        }
    }

    async fn read_message(&self, body: &mut RecvStream) -> Result<Message, Stop> {
        let mut reader = MessageReader::new(self.max_message);
        while let Some(frame) = body.data().await {
            let frame = frame.map_err(Stop::Gone)?;
            // The frame is ours now: let the client send more. (It fails
            // only for a stream already closed, which the next read says.)
            let _ = body.flow_control().release_capacity(frame.len());
            reader.push(frame).map_err(|e| self.frame_error(e))?;
        }
        reader.finish().map_err(|e| self.frame_error(e))
    }

    fn frame_error(&self, error: FrameError) -> Stop {
        let kind = match error {
            FrameError::TooLarge { .. } => RefusalKind::TooLarge,
            // INTERNAL in grpc-go; weir keeps INVALID_ARGUMENT, the
            // sender's fault and not to be retried.
            _ => RefusalKind::Malformed,
        };
        self.refuse(Refusal::new(kind, error.to_string()))
    }

    /// The message's protobuf bytes, decompressed within the limit.
    fn decode(&self, message: Message, encoding: Encoding) -> Result<Bytes, Stop> {
        let name = match (message.compressed, encoding) {
            (false, _) => return Ok(message.bytes),
            (true, Encoding::Identity) => {
                // The protocol's answer: INTERNAL.
                let failure = Failure::new(
                    Code::Internal,
                    "grpc: compressed flag set with identity or no grpc-encoding",
                );
                return Err(self.counted(RefusalKind::Malformed, failure));
            }
            (true, Encoding::Gzip) => "gzip",
            (true, Encoding::Zstd) => "zstd",
        };
        body::decompress(Some(name), message.bytes, self.max_message as u64).map_err(|error| {
            let refusal = match error {
                BodyError::TooLarge { limit } => Refusal::new(
                    RefusalKind::TooLarge,
                    format!("grpc: decompressed message larger than max ({limit} bytes)"),
                ),
                BodyError::Corrupt(e) => Refusal::new(
                    RefusalKind::Malformed,
                    format!("grpc: {name} message does not decompress: {e}"),
                ),
                BodyError::UnknownEncoding(e) => Refusal::new(RefusalKind::UnsupportedMediaType, e),
            };
            self.refuse(refusal)
        })
    }

    /// Counts `refusal` and answers it with its OTLP code.
    fn refuse(&self, refusal: Refusal) -> Stop {
        self.intake.refused(&refusal);
        Stop::Answer(status(refusal))
    }

    /// Counts a refusal of `kind` answered with `failure`'s own code.
    fn counted(&self, kind: RefusalKind, failure: Failure) -> Stop {
        self.intake
            .refused(&Refusal::new(kind, failure.message.clone()));
        Stop::Answer(failure)
    }
}

/// The signal of an export call's path.
fn signal_of(path: &str) -> Option<Signal> {
    match path {
        "/opentelemetry.proto.collector.logs.v1.LogsService/Export" => Some(Signal::Logs),
        "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export" => Some(Signal::Metrics),
        "/opentelemetry.proto.collector.trace.v1.TraceService/Export" => Some(Signal::Traces),
        _ => None,
    }
}
