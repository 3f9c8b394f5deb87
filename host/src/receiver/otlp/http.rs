//! OTLP/HTTP: `POST /v1/logs`, `/v1/metrics`, `/v1/traces` with protobuf or
//! JSON bodies, optionally gzip or zstd compressed, answered in the
//! request's own encoding as the OTLP specification says: an empty
//! `Export*ServiceResponse` on success, a `google.rpc.Status` with a
//! message on failure (400 malformed, 413 too large, 415 wrong content
//! type, 404 a signal the receiver feeds no pipeline of, 503 +
//! `Retry-After` when overloaded or an export failed).
//!
//! This module only reads and decodes bodies and encodes answers; a
//! decoded batch goes to the receiver's [`Intake`], which submits and
//! counts it, and whose refusals map to the statuses above.

use std::future::Future;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use http_body_util::BodyExt;
use prost::Message;
use tokio_util::sync::CancellationToken;

use super::body::{BodyError, Format, decompress};
use crate::auth::{AuthFailure, BearerTokens, RequireToken};
use crate::otlp::{Batch, Signal};
use crate::receiver::{Intake, Refusal, RefusalKind};

/// What the HTTP server needs to serve one receiver.
struct HttpState {
    /// The way into the receiver's pipelines.
    intake: Intake,
    /// Largest body, as sent and decompressed.
    max_body: u64,
}

/// `google.rpc.Status`, the body of OTLP/HTTP error responses.
#[derive(Clone, PartialEq, Message, serde::Serialize)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
}

/// Serves OTLP/HTTP on `listener` until `shutdown` is cancelled, then lets
/// in-flight requests finish.
pub(super) fn serve<L>(
    listener: L,
    intake: Intake,
    max_body: u64,
    auth: Option<Arc<BearerTokens>>,
    shutdown: CancellationToken,
) -> impl Future<Output = anyhow::Result<()>> + Send + 'static
where
    L: axum::serve::Listener<Addr = std::net::SocketAddr>,
{
    let app = router(Arc::new(HttpState { intake, max_body }), auth);
    async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown.cancelled_owned())
            .await
            .map_err(anyhow::Error::from)
    }
}

/// The router for one OTLP/HTTP receiver, requiring `auth`'s token if
/// given.
fn router(state: Arc<HttpState>, auth: Option<Arc<BearerTokens>>) -> axum::Router {
    let refusing = state.clone();
    let refuse = move |why: AuthFailure, headers: &HeaderMap| {
        let refusal = Refusal::from(why);
        refusing.intake.refused(&refusal);
        failure(response_format(headers), refusal)
    };
    axum::Router::new()
        .route("/v1/logs", post(|s, h, b| handle(Signal::Logs, s, h, b)))
        .route(
            "/v1/metrics",
            post(|s, h, b| handle(Signal::Metrics, s, h, b)),
        )
        .route(
            "/v1/traces",
            post(|s, h, b| handle(Signal::Traces, s, h, b)),
        )
        .fallback(unknown_path)
        // The limit is enforced below, on the body as sent and decompressed.
        .layer(DefaultBodyLimit::disable())
        // Outermost: a request without the token is answered before its
        // body is read.
        .layer(RequireToken::new(auth, refuse))
        .with_state(state)
}

async fn unknown_path(uri: axum::http::Uri) -> Response {
    (
        StatusCode::NOT_FOUND,
        format!(
            "no such path {}: OTLP/HTTP takes POST /v1/logs, /v1/metrics and /v1/traces\n",
            uri.path()
        ),
    )
        .into_response()
}

async fn handle(
    signal: Signal,
    State(state): State<Arc<HttpState>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let format = request_format(&headers);
    let response_format = response_format(&headers);
    if let Err(refusal) = state.intake.admit(signal) {
        return failure(response_format, refusal);
    }
    let batch = match decode(signal, state.max_body, format, &headers, body).await {
        Ok(batch) => batch,
        Err(refusal) => {
            state.intake.refused(&refusal);
            return failure(response_format, refusal);
        }
    };
    match state.intake.accept(signal, batch).await {
        Ok(_) => success(response_format),
        Err(refusal) => failure(response_format, refusal),
    }
}

/// The request's encoding, if it names one weir takes.
fn request_format(headers: &HeaderMap) -> Option<Format> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(Format::from_content_type)
}

/// The answer's encoding: the request's; JSON, which a person can read,
/// if it had none weir knows.
fn response_format(headers: &HeaderMap) -> Format {
    request_format(headers).unwrap_or(Format::Json)
}

/// Reads and decodes one request's body, of at most `limit` bytes as sent
/// and decompressed.
async fn decode(
    signal: Signal,
    limit: u64,
    format: Option<Format>,
    headers: &HeaderMap,
    body: Body,
) -> Result<Batch, Refusal> {
    let format = format.ok_or_else(|| {
        Refusal::new(
            RefusalKind::UnsupportedMediaType,
            format!(
                "unsupported Content-Type {:?}: OTLP/HTTP takes application/x-protobuf or application/json",
                headers
                    .get(header::CONTENT_TYPE)
                    .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                    .unwrap_or_default()
            ),
        )
    })?;
    let too_large = || {
        Refusal::new(
            RefusalKind::TooLarge,
            format!("request body exceeds the limit of {limit} bytes"),
        )
    };
    let raw: Bytes = http_body_util::Limited::new(body, limit as usize)
        .collect()
        .await
        .map_err(|_| too_large())?
        .to_bytes();
    let encoding = headers
        .get(header::CONTENT_ENCODING)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let body = decompress(encoding.as_deref(), raw, limit).map_err(|e| match e {
        BodyError::TooLarge { .. } => too_large(),
        BodyError::Corrupt(msg) => Refusal::new(
            RefusalKind::Malformed,
            format!("cannot decompress the body: {msg}"),
        ),
        BodyError::UnknownEncoding(enc) => Refusal::new(
            RefusalKind::UnsupportedMediaType,
            format!("unsupported Content-Encoding `{enc}`: use gzip, zstd or none"),
        ),
    })?;
    match format {
        Format::Protobuf => return super::request::protobuf_batch(signal, body),
        Format::Json => match std::str::from_utf8(&body) {
            Ok(text) => Batch::from_json_as(signal, text),
            Err(e) => {
                return Err(Refusal::new(
                    RefusalKind::Malformed,
                    format!("the JSON body is not UTF-8: {e}"),
                ));
            }
        },
    }
    .map_err(|e| Refusal::new(RefusalKind::Malformed, e.to_string()))
}

fn success(format: Format) -> Response {
    // Every Export*ServiceResponse with no partial success encodes to
    // nothing in protobuf and `{}` in JSON.
    let body = match format {
        Format::Protobuf => Vec::new(),
        Format::Json => b"{}".to_vec(),
    };
    ([(header::CONTENT_TYPE, format.content_type())], body).into_response()
}

/// The HTTP status of a refusal, and the gRPC code its `google.rpc.Status`
/// body carries, as the OTLP specification pairs them: only 503 (with
/// `Retry-After`) tells the client to retry.
fn status(kind: RefusalKind) -> (StatusCode, i32) {
    match kind {
        RefusalKind::Malformed | RefusalKind::ExportRefused => (StatusCode::BAD_REQUEST, 3),
        RefusalKind::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, 8),
        RefusalKind::UnsupportedMediaType => (StatusCode::UNSUPPORTED_MEDIA_TYPE, 3),
        RefusalKind::NoPipeline => (StatusCode::NOT_FOUND, 12),
        RefusalKind::Overloaded
        | RefusalKind::MemoryLimited
        | RefusalKind::ShuttingDown
        | RefusalKind::ExportFailed => (StatusCode::SERVICE_UNAVAILABLE, 14),
        RefusalKind::MissingToken | RefusalKind::WrongToken => (StatusCode::UNAUTHORIZED, 16),
        // OTLP/HTTP carries no deadline; a gateway's timeout is the nearest.
        RefusalKind::DeadlineExceeded => (StatusCode::GATEWAY_TIMEOUT, 4),
    }
}

fn failure(format: Format, refusal: Refusal) -> Response {
    let (http_status, code) = status(refusal.kind);
    let status = RpcStatus {
        code,
        message: refusal.message,
    };
    let body = match format {
        Format::Protobuf => status.encode_to_vec(),
        Format::Json => serde_json::to_vec(&status).expect("status serialises"),
    };
    let mut response = (
        http_status,
        [(header::CONTENT_TYPE, format.content_type())],
        body,
    )
        .into_response();
    if http_status == StatusCode::UNAUTHORIZED {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    if http_status == StatusCode::SERVICE_UNAVAILABLE {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}
