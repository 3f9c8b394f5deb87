//! One export attempt, timed and counted the same way whichever queue
//! makes it, and what becomes of a job whose export failed.

use std::sync::Arc;
use std::time::Instant;

use super::super::{ExportError, ExportJob, Sink};
use crate::otlp::{Batch, Signal};
use crate::telemetry::metrics::{ExportFailureLabels, ExporterLabels, Metrics, QueueLabels};

/// Exports `batch` once through `sink`; counts the records sent on
/// success and the attempt's duration either way.
pub fn attempt(
    id: &str,
    sink: &mut Sink,
    batch: &Batch,
    metrics: &Metrics,
) -> Result<(), ExportError> {
    let started = Instant::now();
    let result = sink.export(batch);
    metrics
        .export_seconds
        .get_or_create(&QueueLabels {
            exporter: id.to_string(),
        })
        .observe(started.elapsed().as_secs_f64());
    if result.is_ok() {
        metrics
            .exported_records
            .get_or_create(&ExporterLabels {
                exporter: id.to_string(),
                signal: batch.signal().as_str(),
            })
            .inc_by(batch.len() as u64);
    }
    result
}

/// Counts a retry of `batch`.
pub fn count_retry(id: &str, batch: &Batch, metrics: &Metrics) {
    metrics
        .export_retries
        .get_or_create(&ExporterLabels {
            exporter: id.to_string(),
            signal: batch.signal().as_str(),
        })
        .inc();
}

/// Counts `batch`'s records as not delivered.
pub fn count_failure(id: &str, batch: &Batch, permanent: bool, metrics: &Metrics) {
    count_failed_records(id, batch.signal(), batch.len(), permanent, metrics);
}

/// Counts `records` records of `signal` as not delivered.
pub fn count_failed_records(
    id: &str,
    signal: Signal,
    records: usize,
    permanent: bool,
    metrics: &Metrics,
) {
    metrics
        .export_failed_records
        .get_or_create(&ExportFailureLabels {
            exporter: id.to_string(),
            signal: signal.as_str(),
            kind: if permanent { "permanent" } else { "retryable" },
        })
        .inc_by(records as u64);
}

/// Counts `records` records of `signal` as delivered.
pub fn count_sent(id: &str, signal: Signal, records: usize, metrics: &Metrics) {
    metrics
        .exported_records
        .get_or_create(&ExporterLabels {
            exporter: id.to_string(),
            signal: signal.as_str(),
        })
        .inc_by(records as u64);
}

/// Records how long one export attempt took.
pub fn observe_attempt(id: &str, seconds: f64, metrics: &Metrics) {
    metrics
        .export_seconds
        .get_or_create(&QueueLabels {
            exporter: id.to_string(),
        })
        .observe(seconds);
}

/// Settles a job whose export failed with `error`: counts the records
/// not delivered; hands a batch refused for good to the pipeline's
/// dead-letter exporters, if it has any; otherwise (and for retryable
/// failures) fails the job's acknowledgements, so the senders are told.
pub fn settle_failure(id: &Arc<str>, job: &ExportJob, error: &ExportError, metrics: &Metrics) {
    let permanent = !error.is_retryable();
    // What was not delivered: the whole batch, or only the records the
    // destination refused.
    let undelivered = match error {
        ExportError::PartlyRefused { refused, .. } => refused.clone(),
        _ => job.batch.clone(),
    };
    count_failure(id, &undelivered, permanent, metrics);
    if permanent && dead_letter(id, job, &undelivered, error) {
        return;
    }
    tracing::error!(exporter = %id, %error, records = undelivered.len(), permanent,
        "export failed");
    let reason = format!("exporter {id}: {error}");
    for ack in &job.acks {
        if permanent {
            ack.fail_permanently(&reason);
        } else {
            ack.fail(&reason);
        }
    }
}

/// Hands a batch the destination refused for good to the pipeline's
/// dead-letter exporters; whether there were any with room for it.
fn dead_letter(id: &str, job: &ExportJob, letters: &Arc<Batch>, error: &ExportError) -> bool {
    let Some(targets) = &job.dead_letter else {
        return false;
    };
    let mut handed = true;
    for target in targets.iter() {
        let letter = ExportJob {
            batch: letters.clone(),
            acks: job.acks.clone(),
            dead_letter: None,
        };
        // Never wait: the dead-letter exporter may be this one.
        if let Err(letter) = target.try_send(letter) {
            handed = false;
            for ack in &letter.acks {
                ack.fail(format!("dead-letter exporter {} is full", target.id));
            }
        }
    }
    tracing::warn!(exporter = %id, %error, records = letters.len(),
        "export refused for good; records go to the pipeline's dead-letter exporters");
    handed
}
