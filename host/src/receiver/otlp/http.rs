//! OTLP/HTTP: `POST /v1/logs`, `/v1/metrics`, `/v1/traces` with protobuf or
//! JSON bodies, optionally gzip or zstd compressed, answered in the
//! request's own encoding as the OTLP specification says: an empty
//! `Export*ServiceResponse` on success, a `google.rpc.Status` with a
//! message on failure (400 malformed, 413 too large, 415 wrong content
//! type, 503 + `Retry-After` when overloaded).

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use http_body_util::BodyExt;
use prost::Message;

use super::body::{BodyError, Format, decompress};
use super::submit::{SubmitError, submit};
use crate::otlp::{Batch, Signal};
use crate::pipeline::PipelineInput;
use crate::telemetry::metrics::{Metrics, ReceiverLabels, RefusedLabels};

/// What the HTTP server needs to serve one receiver.
pub struct HttpState {
    /// The receiver id, for metrics and logs.
    pub receiver: String,
    /// Largest body, as sent and decompressed.
    pub max_body: u64,
    /// Pipelines per signal.
    pub logs: Vec<PipelineInput>,
    /// Pipelines per signal.
    pub metrics: Vec<PipelineInput>,
    /// Pipelines per signal.
    pub traces: Vec<PipelineInput>,
    /// Counters.
    pub counters: Arc<Metrics>,
}

/// `google.rpc.Status`, the body of OTLP/HTTP error responses.
#[derive(Clone, PartialEq, Message, serde::Serialize)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
}

/// The router for one OTLP/HTTP receiver.
pub fn router(state: Arc<HttpState>) -> axum::Router {
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

struct Refusal {
    status: StatusCode,
    reason: &'static str,
    message: String,
}

fn refuse(status: StatusCode, reason: &'static str, message: impl Into<String>) -> Refusal {
    Refusal {
        status,
        reason,
        message: message.into(),
    }
}

async fn handle(
    signal: Signal,
    State(state): State<Arc<HttpState>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    // Answer in the request's encoding; JSON, which a person can read,
    // if it had none we know.
    let format = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(Format::from_content_type);
    let response_format = format.unwrap_or(Format::Json);
    match accept(signal, &state, format, &headers, body).await {
        Ok(records) => {
            state
                .counters
                .received_records
                .get_or_create(&ReceiverLabels {
                    receiver: state.receiver.clone(),
                    transport: "http",
                    signal: signal.as_str(),
                })
                .inc_by(records as u64);
            success(response_format)
        }
        Err(refusal) => {
            state
                .counters
                .refused_requests
                .get_or_create(&RefusedLabels {
                    receiver: state.receiver.clone(),
                    transport: "http",
                    reason: refusal.reason,
                })
                .inc();
            tracing::debug!(receiver = %state.receiver, %signal, status = %refusal.status,
                message = %refusal.message, "refused OTLP/HTTP request");
            failure(response_format, refusal)
        }
    }
}

/// Reads, decodes and submits one request; the number of records on
/// success.
async fn accept(
    signal: Signal,
    state: &HttpState,
    format: Option<Format>,
    headers: &HeaderMap,
    body: Body,
) -> Result<usize, Refusal> {
    let format = format.ok_or_else(|| {
        refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!(
                "unsupported Content-Type {:?}: OTLP/HTTP takes application/x-protobuf or application/json",
                headers
                    .get(header::CONTENT_TYPE)
                    .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                    .unwrap_or_default()
            ),
        )
    })?;
    let limit = state.max_body;
    let too_large = || {
        refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
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
        BodyError::Corrupt(msg) => refuse(
            StatusCode::BAD_REQUEST,
            "malformed",
            format!("cannot decompress the body: {msg}"),
        ),
        BodyError::UnknownEncoding(enc) => refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("unsupported Content-Encoding `{enc}`: use gzip, zstd or none"),
        ),
    })?;
    let batch = match format {
        Format::Protobuf => Batch::decode(signal, &body),
        Format::Json => match std::str::from_utf8(&body) {
            Ok(text) => Batch::from_json_as(signal, text),
            Err(e) => {
                return Err(refuse(
                    StatusCode::BAD_REQUEST,
                    "malformed",
                    format!("the JSON body is not UTF-8: {e}"),
                ));
            }
        },
    }
    .map_err(|e| refuse(StatusCode::BAD_REQUEST, "malformed", e.to_string()))?;

    let records = batch.len();
    if records == 0 {
        // Valid and empty (as the specification allows): nothing to do.
        return Ok(0);
    }
    let inputs = match signal {
        Signal::Logs => &state.logs,
        Signal::Metrics => &state.metrics,
        Signal::Traces => &state.traces,
    };
    if inputs.is_empty() {
        return Err(refuse(
            StatusCode::NOT_FOUND,
            "no_pipeline",
            format!("this receiver feeds no {signal} pipeline"),
        ));
    }
    submit(inputs, batch).await.map_err(|e| match e {
        SubmitError::Overloaded => refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "overloaded",
            "weir is overloaded: retry later",
        ),
        SubmitError::ShuttingDown => refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting_down",
            "weir is shutting down: retry later",
        ),
        SubmitError::ExportFailed(reason) => refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "export_failed",
            format!("export failed, retry later: {reason}"),
        ),
    })?;
    Ok(records)
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

fn failure(format: Format, refusal: Refusal) -> Response {
    // gRPC status codes, as OTLP/HTTP error bodies carry them.
    let code = match refusal.status {
        StatusCode::BAD_REQUEST => 3,
        StatusCode::PAYLOAD_TOO_LARGE => 8,
        StatusCode::SERVICE_UNAVAILABLE => 14,
        StatusCode::NOT_FOUND => 12,
        _ => 3,
    };
    let status = RpcStatus {
        code,
        message: refusal.message,
    };
    let body = match format {
        Format::Protobuf => status.encode_to_vec(),
        Format::Json => serde_json::to_vec(&status).expect("status serialises"),
    };
    let mut response = (
        refusal.status,
        [(header::CONTENT_TYPE, format.content_type())],
        body,
    )
        .into_response();
    if refusal.status == StatusCode::SERVICE_UNAVAILABLE {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}
