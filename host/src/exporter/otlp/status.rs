//! What a failed OTLP/gRPC export call means: a failure worth retrying
//! (and after how long), or a refusal for good — exactly as the OTLP
//! specification sorts gRPC status codes, so that the queue in front
//! retries what a Collector would.
//!
//! The delay a server asks for travels as a `google.rpc.RetryInfo` in the
//! status details (`grpc-status-details-bin`, a `google.rpc.Status`).
//! Those messages are defined here by hand: they are small, and no crate
//! in the build provides them (`tonic-types` and `prost-types` are not
//! dependencies, and adding one for three messages is not worth it).

use std::error::Error as _;
use std::time::Duration;

use prost::Message;
use tonic::{Code, Status};

use crate::exporter::ExportError;

/// `type_url` of a `google.rpc.RetryInfo` detail, after its last `/`.
const RETRY_INFO: &str = "google.rpc.RetryInfo";

/// Turns a failed call to `endpoint` into an [`ExportError`].
///
/// Retryable, per the OTLP specification: `CANCELLED`,
/// `DEADLINE_EXCEEDED`, `ABORTED`, `OUT_OF_RANGE`, `UNAVAILABLE`,
/// `DATA_LOSS`, and `RESOURCE_EXHAUSTED` only when the server sent a
/// `RetryInfo` (without one it means "this request is too large", which no
/// retry cures). Also retryable: a call that failed in the transport
/// before any status arrived (tonic reports a refused connection as
/// `UNAVAILABLE`, a broken one as `UNKNOWN` with the I/O error as its
/// source). Everything else is permanent. A `RetryInfo` delay, where
/// given, becomes the retry's `retry_after`.
pub(super) fn classify(status: &Status, endpoint: &str) -> ExportError {
    let retry_info = retry_info(status.details());
    let local = status.source().is_some();
    let retryable = match status.code() {
        Code::Cancelled
        | Code::DeadlineExceeded
        | Code::Aborted
        | Code::OutOfRange
        | Code::Unavailable
        | Code::DataLoss => true,
        Code::ResourceExhausted => retry_info.is_some(),
        Code::Unknown => local,
        _ => false,
    };
    let reason = reason(status, endpoint, local);
    if retryable {
        ExportError::Retryable {
            reason,
            retry_after: retry_info.flatten(),
        }
    } else {
        ExportError::Permanent(reason)
    }
}

/// Whether the call failed because tonic's own timer for the deadline
/// expired (a `CANCELLED` status raised on our side, not the server's).
pub(super) fn is_local_timeout(status: &Status) -> bool {
    let mut source = status.source();
    while let Some(cause) = source {
        if cause.is::<tonic::TimeoutExpired>() {
            return true;
        }
        source = cause.source();
    }
    false
}

/// `<endpoint> answered <CODE>: <message>` for a server's status;
/// `<endpoint>: <message>: <causes>` for a failure on our side of the
/// wire.
fn reason(status: &Status, endpoint: &str, local: bool) -> String {
    if local {
        let mut text = format!("{endpoint}: {}", status.message());
        let mut source = status.source();
        while let Some(cause) = source {
            // tonic's message is often a cause's text again, and its
            // transport error says only "transport error": skip both.
            let said = cause.to_string();
            if !cause.is::<tonic::transport::Error>() && !text.contains(&said) {
                text.push_str(": ");
                text.push_str(&said);
            }
            source = cause.source();
        }
        return text;
    }
    let code = code_name(status.code());
    match status.message() {
        "" => format!("{endpoint} answered {code}"),
        message => format!("{endpoint} answered {code}: {message}"),
    }
}

/// The name the gRPC specification gives a code.
fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

/// The `RetryInfo` in encoded `google.rpc.Status` details: `None` if
/// there is none, `Some(None)` if it gives no (or a negative) delay.
fn retry_info(details: &[u8]) -> Option<Option<Duration>> {
    if details.is_empty() {
        return None;
    }
    let status = RpcStatus::decode(details).ok()?;
    let info = status
        .details
        .iter()
        .find(|any| any.type_url.rsplit('/').next() == Some(RETRY_INFO))?;
    let Ok(info) = RetryInfo::decode(info.value.as_slice()) else {
        return Some(None);
    };
    Some(info.retry_delay.and_then(|d| {
        let seconds = u64::try_from(d.seconds).ok()?;
        let nanos = u32::try_from(d.nanos).ok()?;
        Some(Duration::new(seconds, nanos))
    }))
}

/// `google.rpc.Status`: what `grpc-status-details-bin` carries.
#[derive(Clone, PartialEq, Message)]
pub(super) struct RpcStatus {
    #[prost(int32, tag = "1")]
    pub(super) code: i32,
    #[prost(string, tag = "2")]
    pub(super) message: String,
    #[prost(message, repeated, tag = "3")]
    pub(super) details: Vec<ProtoAny>,
}

/// `google.protobuf.Any`.
#[derive(Clone, PartialEq, Message)]
pub(super) struct ProtoAny {
    #[prost(string, tag = "1")]
    pub(super) type_url: String,
    #[prost(bytes = "vec", tag = "2")]
    pub(super) value: Vec<u8>,
}

/// `google.rpc.RetryInfo`.
#[derive(Clone, PartialEq, Message)]
pub(super) struct RetryInfo {
    #[prost(message, optional, tag = "1")]
    pub(super) retry_delay: Option<ProtoDuration>,
}

/// `google.protobuf.Duration`.
#[derive(Clone, PartialEq, Message)]
pub(super) struct ProtoDuration {
    #[prost(int64, tag = "1")]
    pub(super) seconds: i64,
    #[prost(int32, tag = "2")]
    pub(super) nanos: i32,
}

/// Encoded `google.rpc.Status` details holding a `RetryInfo` of `delay`,
/// as a server sends them.
#[cfg(test)]
pub(super) fn retry_info_details(code: Code, message: &str, delay: Duration) -> Vec<u8> {
    RpcStatus {
        code: code as i32,
        message: message.into(),
        details: vec![ProtoAny {
            type_url: format!("type.googleapis.com/{RETRY_INFO}"),
            value: RetryInfo {
                retry_delay: Some(ProtoDuration {
                    seconds: delay.as_secs() as i64,
                    nanos: delay.subsec_nanos() as i32,
                }),
            }
            .encode_to_vec(),
        }],
    }
    .encode_to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    const AT: &str = "http://collector:4317";

    fn server(code: Code) -> Status {
        Status::new(code, "why")
    }

    #[test]
    fn only_what_the_spec_calls_retryable_is_retried() {
        let retryable = [
            Code::Cancelled,
            Code::DeadlineExceeded,
            Code::Aborted,
            Code::OutOfRange,
            Code::Unavailable,
            Code::DataLoss,
        ];
        for code in retryable {
            assert_eq!(
                classify(&server(code), AT),
                ExportError::Retryable {
                    reason: format!("{AT} answered {}: why", code_name(code)),
                    retry_after: None,
                }
            );
        }
        let permanent = [
            Code::Unknown,
            Code::InvalidArgument,
            Code::NotFound,
            Code::AlreadyExists,
            Code::PermissionDenied,
            Code::ResourceExhausted,
            Code::FailedPrecondition,
            Code::Unimplemented,
            Code::Internal,
            Code::Unauthenticated,
        ];
        for code in permanent {
            assert_eq!(
                classify(&server(code), AT),
                ExportError::Permanent(format!("{AT} answered {}: why", code_name(code))),
            );
        }
        assert_eq!(
            classify(&Status::new(Code::InvalidArgument, ""), AT),
            ExportError::Permanent(format!("{AT} answered INVALID_ARGUMENT"))
        );
    }

    #[test]
    fn retry_info_makes_resource_exhausted_retryable_and_sets_the_delay() {
        let details = retry_info_details(
            Code::ResourceExhausted,
            "slow down",
            Duration::from_millis(2500),
        );
        let status = Status::with_details(Code::ResourceExhausted, "slow down", details.into());
        assert_eq!(
            classify(&status, AT),
            ExportError::Retryable {
                reason: format!("{AT} answered RESOURCE_EXHAUSTED: slow down"),
                retry_after: Some(Duration::from_millis(2500)),
            }
        );
        // Any retryable code honours the delay.
        let details = retry_info_details(Code::Unavailable, "", Duration::from_secs(9));
        let status = Status::with_details(Code::Unavailable, "", details.into());
        assert_eq!(
            classify(&status, AT),
            ExportError::Retryable {
                reason: format!("{AT} answered UNAVAILABLE"),
                retry_after: Some(Duration::from_secs(9)),
            }
        );
    }

    #[test]
    fn details_without_retry_info_or_with_a_bad_one() {
        let other = RpcStatus {
            code: Code::ResourceExhausted as i32,
            message: "too big".into(),
            details: vec![ProtoAny {
                type_url: "type.googleapis.com/google.rpc.QuotaFailure".into(),
                value: vec![],
            }],
        }
        .encode_to_vec();
        assert_eq!(retry_info(&other), None);
        let status = Status::with_details(Code::ResourceExhausted, "too big", other.into());
        assert!(!classify(&status, AT).is_retryable());

        assert_eq!(retry_info(b"\xff\xff not protobuf"), None);
        assert_eq!(retry_info(&[]), None);

        let negative = RpcStatus {
            details: vec![ProtoAny {
                type_url: format!("type.googleapis.com/{RETRY_INFO}"),
                value: RetryInfo {
                    retry_delay: Some(ProtoDuration {
                        seconds: -1,
                        nanos: 0,
                    }),
                }
                .encode_to_vec(),
            }],
            ..Default::default()
        }
        .encode_to_vec();
        assert_eq!(
            retry_info(&negative),
            Some(None),
            "a RetryInfo without a usable delay still marks the status retryable"
        );
    }

    #[test]
    fn a_broken_transport_is_retryable() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "connection reset");
        let status = Status::from_error(Box::new(io));
        assert_eq!(status.code(), Code::Unknown);
        let err = classify(&status, AT);
        assert!(err.is_retryable(), "{err:?}");
        assert_eq!(err.to_string(), format!("{AT}: connection reset"));
    }
}
