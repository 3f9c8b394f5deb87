//! OTLP/gRPC: the `LogsService`, `MetricsService` and `TraceService`
//! export calls, with gzip and zstd request compression and a limit on the
//! decoded message size. Answers `UNAVAILABLE` when overloaded or when an
//! exporter failed (both retryable, as OTLP clients expect), and
//! `INVALID_ARGUMENT` for what tonic cannot decode.

use std::sync::Arc;

use tonic::codec::CompressionEncoding;
use tonic::{Request, Response, Status};

use super::submit::{SubmitError, submit};
use crate::otlp::{Batch, Signal};
use crate::pipeline::PipelineInput;
use crate::telemetry::metrics::{Metrics, ReceiverLabels, RefusedLabels};

use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsServiceRequest, ExportLogsServiceResponse,
    logs_service_server::{LogsService, LogsServiceServer},
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
    metrics_service_server::{MetricsService, MetricsServiceServer},
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
    trace_service_server::{TraceService, TraceServiceServer},
};

/// One gRPC receiver's services.
#[derive(Clone)]
pub struct GrpcReceiver {
    /// The receiver id.
    pub receiver: String,
    /// Pipelines per signal.
    pub logs: Vec<PipelineInput>,
    /// Pipelines per signal.
    pub metrics: Vec<PipelineInput>,
    /// Pipelines per signal.
    pub traces: Vec<PipelineInput>,
    /// Counters.
    pub counters: Arc<Metrics>,
}

impl GrpcReceiver {
    async fn accept(&self, signal: Signal, batch: Batch) -> Result<(), Status> {
        let records = batch.len();
        let result = self.submit(signal, batch).await;
        match &result {
            Ok(()) => {
                self.counters
                    .received_records
                    .get_or_create(&ReceiverLabels {
                        receiver: self.receiver.clone(),
                        transport: "grpc",
                        signal: signal.as_str(),
                    })
                    .inc_by(records as u64);
            }
            Err((reason, _)) => {
                self.counters
                    .refused_requests
                    .get_or_create(&RefusedLabels {
                        receiver: self.receiver.clone(),
                        transport: "grpc",
                        reason,
                    })
                    .inc();
            }
        }
        result.map_err(|(_, status)| status)
    }

    async fn submit(&self, signal: Signal, batch: Batch) -> Result<(), (&'static str, Status)> {
        if batch.is_empty() {
            return Ok(());
        }
        let inputs = match signal {
            Signal::Logs => &self.logs,
            Signal::Metrics => &self.metrics,
            Signal::Traces => &self.traces,
        };
        if inputs.is_empty() {
            return Err((
                "no_pipeline",
                Status::unimplemented(format!("this receiver feeds no {signal} pipeline")),
            ));
        }
        submit(inputs, batch).await.map_err(|e| match e {
            SubmitError::Overloaded => (
                "overloaded",
                Status::unavailable("weir is overloaded: retry later"),
            ),
            SubmitError::ShuttingDown => (
                "shutting_down",
                Status::unavailable("weir is shutting down: retry later"),
            ),
            SubmitError::ExportFailed(reason) => (
                "export_failed",
                Status::unavailable(format!("export failed, retry later: {reason}")),
            ),
        })
    }

    /// The three services, with compression and the message size limit.
    pub fn services(
        self,
        max_message: usize,
    ) -> (
        LogsServiceServer<GrpcReceiver>,
        MetricsServiceServer<GrpcReceiver>,
        TraceServiceServer<GrpcReceiver>,
    ) {
        macro_rules! configure {
            ($server:expr) => {
                $server
                    .max_decoding_message_size(max_message)
                    .accept_compressed(CompressionEncoding::Gzip)
                    .accept_compressed(CompressionEncoding::Zstd)
                    .send_compressed(CompressionEncoding::Gzip)
            };
        }
        (
            configure!(LogsServiceServer::new(self.clone())),
            configure!(MetricsServiceServer::new(self.clone())),
            configure!(TraceServiceServer::new(self)),
        )
    }
}

#[tonic::async_trait]
impl LogsService for GrpcReceiver {
    async fn export(
        &self,
        request: Request<ExportLogsServiceRequest>,
    ) -> Result<Response<ExportLogsServiceResponse>, Status> {
        self.accept(Signal::Logs, request.into_inner().into())
            .await?;
        Ok(Response::new(ExportLogsServiceResponse::default()))
    }
}

#[tonic::async_trait]
impl MetricsService for GrpcReceiver {
    async fn export(
        &self,
        request: Request<ExportMetricsServiceRequest>,
    ) -> Result<Response<ExportMetricsServiceResponse>, Status> {
        self.accept(Signal::Metrics, request.into_inner().into())
            .await?;
        Ok(Response::new(ExportMetricsServiceResponse::default()))
    }
}

#[tonic::async_trait]
impl TraceService for GrpcReceiver {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        self.accept(Signal::Traces, request.into_inner().into())
            .await?;
        Ok(Response::new(ExportTraceServiceResponse::default()))
    }
}

/// Rewrites tonic's answer to an undecodable request, `INTERNAL` ("failed
/// to decode Protobuf message"), to `INVALID_ARGUMENT`, which is what it
/// is: the sender's fault, not to be retried (the OTLP specification's
/// mapping). tonic decodes before the service sees the request, so this is
/// done on the way out, where the status travels in the response headers.
pub fn invalid_argument_for_decode_errors<B>(mut response: http::Response<B>) -> http::Response<B> {
    let headers = response.headers_mut();
    let internal = headers.get("grpc-status").is_some_and(|v| v == "13");
    let decode = headers
        .get("grpc-message")
        .and_then(|m| m.to_str().ok())
        .is_some_and(|m| {
            m.starts_with("failed%20to%20decode") || m.starts_with("failed to decode")
        });
    if internal && decode {
        headers.insert("grpc-status", http::HeaderValue::from_static("3"));
    }
    response
}
