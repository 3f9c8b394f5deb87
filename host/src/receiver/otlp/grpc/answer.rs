//! What a call is answered. Success: the response headers, the empty
//! message (every `Export*ServiceResponse` without a partial success
//! encodes to nothing) and `grpc-status: 0` in the trailers. Failure: a
//! trailers-only response — one HEADERS frame with the status and its
//! message, ending the stream — as PROTOCOL-HTTP2.md allows and grpc-go
//! and tonic send. Refusals map to codes as the OTLP specification says
//! ([`status`]).

use bytes::Bytes;
use h2::server::SendResponse;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderValue, StatusCode};
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use tonic::Code;

use crate::receiver::{Refusal, RefusalKind};

const GRPC_STATUS: &str = "grpc-status";
const GRPC_MESSAGE: &str = "grpc-message";
const GRPC_ACCEPT_ENCODING: &str = "grpc-accept-encoding";
/// The encodings weir takes, for a client that sent another.
pub(super) const ACCEPTED_ENCODINGS: &str = "gzip,zstd,identity";

/// `grpc-message` is percent-encoded: PROTOCOL-HTTP2.md leaves printable
/// ASCII (space to `~`) as is, except `%` itself; control characters and
/// everything outside ASCII (which `utf8_percent_encode` always encodes)
/// are escaped byte by byte of their UTF-8.
const GRPC_MESSAGE_ESCAPED: &AsciiSet = &CONTROLS.add(b'%');

/// A call's failure as the client sees it.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Failure {
    /// The HTTP status: 200 but for requests that are not gRPC at all.
    pub http: StatusCode,
    pub code: Code,
    pub message: String,
    /// Whether to list the encodings weir takes.
    pub accept_encoding: bool,
}

impl Failure {
    pub(super) fn new(code: Code, message: impl Into<String>) -> Failure {
        Failure {
            http: StatusCode::OK,
            code,
            message: message.into(),
            accept_encoding: false,
        }
    }
}

/// The gRPC status of a refusal, as the OTLP specification maps them:
/// only `UNAVAILABLE` (and `RESOURCE_EXHAUSTED` with `RetryInfo`, which
/// weir never sends) tells the client to retry.
pub(super) fn status(refusal: Refusal) -> Failure {
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
        RefusalKind::DeadlineExceeded => Code::DeadlineExceeded,
    };
    Failure::new(code, refusal.message)
}

/// Answers a call that succeeded.
pub(super) fn send_ok(respond: &mut SendResponse<Bytes>) -> Result<(), h2::Error> {
    let mut stream = respond.send_response(headers(StatusCode::OK), false)?;
    stream.send_data(Bytes::from_static(&[0; 5]), false)?;
    let mut trailers = HeaderMap::with_capacity(1);
    trailers.insert(GRPC_STATUS, HeaderValue::from_static("0"));
    stream.send_trailers(trailers)
}

/// Answers a call that failed, trailers-only.
pub(super) fn send_failure(
    respond: &mut SendResponse<Bytes>,
    failure: Failure,
) -> Result<(), h2::Error> {
    respond
        .send_response(failure_headers(failure), true)
        .map(drop)
}

fn failure_headers(failure: Failure) -> http::Response<()> {
    let mut response = headers(failure.http);
    let headers = response.headers_mut();
    headers.insert(GRPC_STATUS, HeaderValue::from(failure.code as i32));
    if !failure.message.is_empty() {
        headers.insert(GRPC_MESSAGE, grpc_message(&failure.message));
    }
    if failure.accept_encoding {
        headers.insert(
            GRPC_ACCEPT_ENCODING,
            HeaderValue::from_static(ACCEPTED_ENCODINGS),
        );
    }
    response
}

fn headers(status: StatusCode) -> http::Response<()> {
    let mut response = http::Response::new(());
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/grpc"));
    response
}

/// `message` as a `grpc-message` value.
fn grpc_message(message: &str) -> HeaderValue {
    let encoded = utf8_percent_encode(message, GRPC_MESSAGE_ESCAPED).to_string();
    // Only printable ASCII is left, which every header value may hold.
    HeaderValue::try_from(encoded).unwrap_or_else(|_| HeaderValue::from_static("(unprintable)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_map_to_the_otlp_codes() {
        let code = |kind| status(Refusal::new(kind, "m")).code;
        assert_eq!(code(RefusalKind::Overloaded), Code::Unavailable);
        assert_eq!(code(RefusalKind::MemoryLimited), Code::Unavailable);
        assert_eq!(code(RefusalKind::ShuttingDown), Code::Unavailable);
        assert_eq!(code(RefusalKind::ExportFailed), Code::Unavailable);
        assert_eq!(code(RefusalKind::NoPipeline), Code::Unimplemented);
        assert_eq!(code(RefusalKind::Malformed), Code::InvalidArgument);
        assert_eq!(code(RefusalKind::ExportRefused), Code::InvalidArgument);
        assert_eq!(code(RefusalKind::TooLarge), Code::ResourceExhausted);
        assert_eq!(code(RefusalKind::WrongToken), Code::Unauthenticated);
    }

    #[test]
    fn grpc_message_is_percent_encoded_as_the_protocol_says() {
        // Printable ASCII passes, spaces included; `%`, control
        // characters and non-ASCII (as UTF-8 bytes) are escaped.
        assert_eq!(
            grpc_message("bad field: 100% \"x\" ~ok"),
            "bad field: 100%25 \"x\" ~ok"
        );
        assert_eq!(grpc_message("line\nnext\t"), "line%0Anext%09");
        assert_eq!(grpc_message("café €"), "caf%C3%A9 %E2%82%AC");
    }

    #[test]
    fn a_failure_is_one_headers_frame_with_status_and_message() {
        let mut failure = Failure::new(Code::Unimplemented, "grpc-encoding br: not taken");
        failure.accept_encoding = true;
        let response = failure_headers(failure);
        assert_eq!(response.status(), StatusCode::OK);
        let headers = response.headers();
        assert_eq!(headers[CONTENT_TYPE], "application/grpc");
        assert_eq!(headers[GRPC_STATUS], "12");
        assert_eq!(headers[GRPC_MESSAGE], "grpc-encoding br: not taken");
        assert_eq!(headers[GRPC_ACCEPT_ENCODING], ACCEPTED_ENCODINGS);
    }

    #[test]
    fn a_failure_without_a_message_sends_no_message_header() {
        let response = failure_headers(Failure::new(Code::Internal, ""));
        assert_eq!(response.headers()[GRPC_STATUS], "13");
        assert!(!response.headers().contains_key(GRPC_MESSAGE));
        assert!(!response.headers().contains_key(GRPC_ACCEPT_ENCODING));
    }
}
