//! Handing a decoded request to the pipelines a receiver feeds, and
//! waiting for its acknowledgement: success only once every exporter has
//! the records, "retry later" when a queue is full or an exporter failed.
//! Receivers reach it through their [`Intake`](super::Intake), which
//! picks the pipelines and turns a [`SubmitError`] into a refusal.

use std::time::Duration;

use crate::otlp::Batch;
use crate::pipeline::{Ack, Envelope, PipelineInput, Refused};

/// How long a request may wait for its records to be exported before the
/// sender is told to retry (the records may still arrive: at least once).
const ACK_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a request was not accepted.
#[derive(Debug, PartialEq, Eq)]
pub enum SubmitError {
    /// A pipeline's queue is full.
    Overloaded,
    /// weir is shutting down.
    ShuttingDown,
    /// An exporter could not take the records (or took too long).
    ExportFailed(String),
    /// A destination refused the records for good: retrying cannot help.
    ExportRefused(String),
}

/// Sends `batch` to every pipeline in `inputs` (a copy each) and waits
/// until all their exporters have it.
pub async fn submit(inputs: &[PipelineInput], batch: Batch) -> Result<(), SubmitError> {
    let (ack, done) = Ack::new();
    let mut batch = Some(batch);
    for (i, input) in inputs.iter().enumerate() {
        let share = if i + 1 == inputs.len() {
            batch.take().expect("one batch per input")
        } else {
            batch.as_ref().expect("one batch per input").clone()
        };
        input
            .try_send(Envelope::new(share, ack.clone()))
            .map_err(|refused| match refused {
                Refused::Overloaded => SubmitError::Overloaded,
                Refused::Closed => SubmitError::ShuttingDown,
            })?;
    }
    drop(ack);
    match tokio::time::timeout(ACK_TIMEOUT, done).await {
        Ok(Ok(Ok(()))) => Ok(()),
        Ok(Ok(Err(error))) if error.permanent => Err(SubmitError::ExportRefused(error.reason)),
        Ok(Ok(Err(error))) => Err(SubmitError::ExportFailed(error.reason)),
        Ok(Err(_)) => Err(SubmitError::ShuttingDown),
        Err(_) => Err(SubmitError::ExportFailed(format!(
            "not exported within {}s",
            ACK_TIMEOUT.as_secs()
        ))),
    }
}
