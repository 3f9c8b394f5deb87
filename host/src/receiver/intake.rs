//! The one way into the pipelines for every receiver, whatever its
//! transport. A server decodes a request into a [`Batch`] and hands it to
//! its [`Intake`], which picks the pipelines that listen to this receiver
//! for the batch's signal, submits the batch and waits for the exporters'
//! acknowledgement, counts the records received or the request refused,
//! and answers with a [`Refusal`] that says why in transport-neutral
//! terms. Each transport maps a [`RefusalKind`] to its own status code
//! (gRPC to a `Code`, HTTP to a status), so the reasons and the counters
//! are the same whichever way the data came in.

use std::sync::{Arc, OnceLock};

use prometheus_client::metrics::counter::Counter;

use super::submit::{SubmitError, submit};
use crate::auth::AuthFailure;
use crate::otlp::{Batch, Signal};
use crate::pipeline::PipelineInput;
use crate::telemetry::metrics::{Metrics, ReceiverLabels, RefusedLabels};

/// The pipelines one receiver feeds, per signal.
#[derive(Clone, Debug, Default)]
pub struct SignalInputs {
    logs: Vec<PipelineInput>,
    metrics: Vec<PipelineInput>,
    traces: Vec<PipelineInput>,
}

impl SignalInputs {
    /// Adds a pipeline of `signal`.
    pub fn add(&mut self, signal: Signal, input: PipelineInput) {
        self.of_mut(signal).push(input);
    }

    /// The pipelines of `signal` (none if the receiver feeds no pipeline
    /// of that signal).
    pub fn of(&self, signal: Signal) -> &[PipelineInput] {
        match signal {
            Signal::Logs => &self.logs,
            Signal::Metrics => &self.metrics,
            Signal::Traces => &self.traces,
        }
    }

    fn of_mut(&mut self, signal: Signal) -> &mut Vec<PipelineInput> {
        match signal {
            Signal::Logs => &mut self.logs,
            Signal::Metrics => &mut self.metrics,
            Signal::Traces => &mut self.traces,
        }
    }
}

/// Why a request was refused: one set for every receiver and transport.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefusalKind {
    /// The body could not be decoded (bad protobuf, JSON or compression).
    Malformed,
    /// The body is larger than the receiver's limit, as sent or
    /// decompressed.
    TooLarge,
    /// A content type or encoding the receiver does not take.
    UnsupportedMediaType,
    /// The receiver feeds no pipeline of the request's signal.
    NoPipeline,
    /// A pipeline's queue is full: retry later.
    Overloaded,
    /// A pipeline's memory limiter refuses data: retry later.
    MemoryLimited,
    /// weir is shutting down: retry later (elsewhere).
    ShuttingDown,
    /// An exporter failed or took too long: retry later.
    ExportFailed,
    /// A destination refused the records for good (and the pipeline has
    /// no dead-letter exporter for them): do not retry.
    ExportRefused,
    /// The receiver requires a token and the request carried none.
    MissingToken,
    /// The request's token is not one the receiver accepts.
    WrongToken,
    /// The call's own deadline (gRPC's `grpc-timeout`) passed first: the
    /// client has given up on it.
    DeadlineExceeded,
}

impl RefusalKind {
    /// The `reason` label of `weir_receiver_refused_requests_total`.
    pub fn reason(self) -> &'static str {
        match self {
            RefusalKind::Malformed => "malformed",
            RefusalKind::TooLarge => "too_large",
            RefusalKind::UnsupportedMediaType => "unsupported_media_type",
            RefusalKind::NoPipeline => "no_pipeline",
            RefusalKind::Overloaded => "overloaded",
            RefusalKind::MemoryLimited => "memory_limit",
            RefusalKind::ShuttingDown => "shutting_down",
            RefusalKind::ExportFailed => "export_failed",
            RefusalKind::ExportRefused => "export_refused",
            RefusalKind::MissingToken => "missing_token",
            RefusalKind::WrongToken => "wrong_token",
            RefusalKind::DeadlineExceeded => "deadline_exceeded",
        }
    }
}

impl From<AuthFailure> for Refusal {
    fn from(failure: AuthFailure) -> Refusal {
        Refusal {
            kind: match failure {
                AuthFailure::Missing => RefusalKind::MissingToken,
                AuthFailure::Wrong => RefusalKind::WrongToken,
            },
            message: failure.message().to_string(),
        }
    }
}

/// A refused request: why, and a message for the sender.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// Why, for the status code and the counters.
    pub kind: RefusalKind,
    /// What went wrong, in words the sender can act on.
    pub message: String,
}

impl Refusal {
    /// A refusal of `kind` saying `message`.
    pub fn new(kind: RefusalKind, message: impl Into<String>) -> Refusal {
        Refusal {
            kind,
            message: message.into(),
        }
    }
}

impl From<SubmitError> for Refusal {
    fn from(error: SubmitError) -> Refusal {
        match error {
            SubmitError::Overloaded => {
                Refusal::new(RefusalKind::Overloaded, "weir is overloaded: retry later")
            }
            SubmitError::ShuttingDown => Refusal::new(
                RefusalKind::ShuttingDown,
                "weir is shutting down: retry later",
            ),
            SubmitError::ExportFailed(reason) => Refusal::new(
                RefusalKind::ExportFailed,
                format!("export failed, retry later: {reason}"),
            ),
            SubmitError::ExportRefused(reason) => Refusal::new(
                RefusalKind::ExportRefused,
                format!("the records were refused for good: {reason}"),
            ),
        }
    }
}

/// One receiver's way into its pipelines over one transport.
pub struct Intake {
    receiver: String,
    transport: &'static str,
    inputs: SignalInputs,
    metrics: Arc<Metrics>,
    /// The received-records counter of each signal, found once: looking
    /// it up per request would clone the receiver's name and take the
    /// metric family's lock that every receiver task shares.
    received: [OnceLock<Counter>; 3],
}

impl Intake {
    /// The intake of receiver `receiver` over `transport` (`grpc`, `http`,
    /// …: the `transport` label of the receiver metrics).
    pub fn new(
        receiver: &str,
        transport: &'static str,
        inputs: SignalInputs,
        metrics: Arc<Metrics>,
    ) -> Intake {
        Intake {
            receiver: receiver.to_string(),
            transport,
            inputs,
            metrics,
            received: Default::default(),
        }
    }

    /// Whether a request of `signal` may come in: refused (and counted)
    /// while a pipeline it would go to is over its memory limit. Asked
    /// before the request is read where the transport allows (an HTTP
    /// body), as reading it would spend the memory the limit protects.
    pub fn admit(&self, signal: Signal) -> Result<(), Refusal> {
        let Some(reason) = self
            .inputs
            .of(signal)
            .iter()
            .find_map(PipelineInput::memory_refusal)
        else {
            return Ok(());
        };
        let refusal = Refusal::new(RefusalKind::MemoryLimited, reason);
        self.refused(&refusal);
        Err(refusal)
    }

    /// Submits a decoded request to the pipelines of its signal and waits
    /// until every exporter has it; the number of records on success. An
    /// empty batch is accepted as is (the OTLP specification allows it),
    /// whether or not a pipeline would take it.
    pub async fn accept(&self, signal: Signal, batch: Batch) -> Result<usize, Refusal> {
        let records = batch.len();
        let result = self.submit(signal, batch).await;
        match &result {
            Ok(()) => {
                let slot = match signal {
                    Signal::Logs => 0,
                    Signal::Metrics => 1,
                    Signal::Traces => 2,
                };
                self.received[slot]
                    .get_or_init(|| {
                        self.metrics
                            .received_records
                            .get_or_create(&ReceiverLabels {
                                receiver: self.receiver.clone(),
                                transport: self.transport,
                                signal: signal.as_str(),
                            })
                            .clone()
                    })
                    .inc_by(records as u64);
            }
            Err(refusal) => self.refused(refusal),
        }
        result.map(|()| records)
    }

    async fn submit(&self, signal: Signal, batch: Batch) -> Result<(), Refusal> {
        if batch.is_empty() {
            return Ok(());
        }
        let inputs = self.inputs.of(signal);
        if inputs.is_empty() {
            return Err(Refusal::new(
                RefusalKind::NoPipeline,
                format!("this receiver feeds no {signal} pipeline"),
            ));
        }
        Ok(submit(inputs, batch).await?)
    }

    /// Counts and logs a request the transport refused before it had a
    /// batch to [`accept`](Intake::accept) (it could not be read or
    /// decoded).
    pub fn refused(&self, refusal: &Refusal) {
        self.metrics
            .refused_requests
            .get_or_create(&RefusedLabels {
                receiver: self.receiver.clone(),
                transport: self.transport,
                reason: refusal.kind.reason(),
            })
            .inc();
        tracing::debug!(receiver = %self.receiver, transport = self.transport,
            reason = refusal.kind.reason(), message = %refusal.message, "refused a request");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intake(inputs: SignalInputs) -> (Intake, Arc<Metrics>) {
        let metrics = Arc::new(Metrics::new());
        (
            Intake::new("otlp", "test", inputs, metrics.clone()),
            metrics,
        )
    }

    fn refused(metrics: &Metrics, reason: &'static str) -> u64 {
        metrics
            .refused_requests
            .get_or_create(&RefusedLabels {
                receiver: "otlp".into(),
                transport: "test",
                reason,
            })
            .get()
    }

    fn logs(n: usize) -> Batch {
        Batch::from_json_as(
            Signal::Logs,
            &format!(
                r#"{{"resourceLogs":[{{"scopeLogs":[{{"logRecords":[{}]}}]}}]}}"#,
                vec![r#"{"body":{"stringValue":"x"}}"#; n].join(",")
            ),
        )
        .unwrap()
    }

    #[tokio::test]
    async fn a_signal_without_pipelines_is_refused_and_counted() {
        let (intake, metrics) = intake(SignalInputs::default());
        let refusal = intake.accept(Signal::Logs, logs(2)).await.unwrap_err();
        assert_eq!(refusal.kind, RefusalKind::NoPipeline);
        assert_eq!(refusal.message, "this receiver feeds no logs pipeline");
        assert_eq!(refused(&metrics, "no_pipeline"), 1);
    }

    #[tokio::test]
    async fn an_empty_request_is_accepted_without_pipelines() {
        let (intake, metrics) = intake(SignalInputs::default());
        assert_eq!(intake.accept(Signal::Logs, logs(0)).await, Ok(0));
        assert_eq!(refused(&metrics, "no_pipeline"), 0);
    }

    #[test]
    fn refusals_before_decoding_are_counted_by_reason() {
        let (intake, metrics) = intake(SignalInputs::default());
        intake.refused(&Refusal::new(RefusalKind::TooLarge, "too big"));
        intake.refused(&Refusal::new(RefusalKind::TooLarge, "too big"));
        assert_eq!(refused(&metrics, "too_large"), 2);
        assert_eq!(refused(&metrics, "malformed"), 0);
    }
}
