//! One export attempt, timed and counted the same way whichever queue
//! makes it.

use std::time::Instant;

use super::super::{ExportError, Sink};
use crate::otlp::Batch;
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
    metrics
        .export_failed_records
        .get_or_create(&ExportFailureLabels {
            exporter: id.to_string(),
            signal: batch.signal().as_str(),
            kind: if permanent { "permanent" } else { "retryable" },
        })
        .inc_by(batch.len() as u64);
}
