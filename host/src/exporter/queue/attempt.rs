//! One export attempt, timed and counted the same way whichever queue
//! makes it, and what becomes of a job whose export failed.

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;

use super::super::{ExportError, ExportJob, Sink};
use crate::otlp::{Batch, Signal};
use crate::telemetry::metrics::{ExportFailureLabels, ExporterLabels, Metrics, QueueLabels};

/// One exporter's delivery metrics: attempts and their seconds, records
/// sent, failed and retried. Each series is looked up by its labels once,
/// on first use, and kept: a lookup allocates the exporter's name and
/// takes the metric family's lock, and the queues made two or three of
/// them for every batch, on every exporter thread.
pub struct ExportMetrics {
    id: Arc<str>,
    metrics: Arc<Metrics>,
    seconds: OnceLock<Histogram>,
    /// By signal.
    sent: [OnceLock<Counter>; 3],
    /// By signal.
    retries: [OnceLock<Counter>; 3],
    /// By signal, then retryable (0) or permanent (1).
    failed: [[OnceLock<Counter>; 2]; 3],
}

impl ExportMetrics {
    /// The metrics of exporter `id`.
    pub fn new(id: Arc<str>, metrics: Arc<Metrics>) -> ExportMetrics {
        ExportMetrics {
            id,
            metrics,
            seconds: OnceLock::new(),
            sent: Default::default(),
            retries: Default::default(),
            failed: Default::default(),
        }
    }

    /// The exporter's id.
    pub fn id(&self) -> &Arc<str> {
        &self.id
    }

    /// Records how long one export attempt took.
    pub fn observe_attempt(&self, seconds: f64) {
        self.seconds
            .get_or_init(|| {
                let labels = QueueLabels {
                    exporter: self.id.to_string(),
                };
                self.metrics.export_seconds.get_or_create(&labels).clone()
            })
            .observe(seconds);
    }

    /// Counts `records` records of `signal` as delivered.
    pub fn count_sent(&self, signal: Signal, records: usize) {
        self.by_signal(&self.sent[signal as usize], signal, |m| &m.exported_records)
            .inc_by(records as u64);
    }

    /// Counts a retry of a batch of `signal`.
    pub fn count_retry(&self, signal: Signal) {
        self.by_signal(&self.retries[signal as usize], signal, |m| {
            &m.export_retries
        })
        .inc();
    }

    /// Counts `records` records of `signal` as not delivered.
    pub fn count_failed(&self, signal: Signal, records: usize, permanent: bool) {
        self.failed[signal as usize][usize::from(permanent)]
            .get_or_init(|| {
                let labels = ExportFailureLabels {
                    exporter: self.id.to_string(),
                    signal: signal.as_str(),
                    kind: if permanent { "permanent" } else { "retryable" },
                };
                self.metrics
                    .export_failed_records
                    .get_or_create(&labels)
                    .clone()
            })
            .inc_by(records as u64);
    }

    /// Counts `batch`'s records as not delivered.
    pub fn count_failure(&self, batch: &Batch, permanent: bool) {
        self.count_failed(batch.signal(), batch.len(), permanent);
    }

    fn by_signal<'a>(
        &self,
        slot: &'a OnceLock<Counter>,
        signal: Signal,
        family: impl FnOnce(&Metrics) -> &Family<ExporterLabels, Counter>,
    ) -> &'a Counter {
        slot.get_or_init(|| {
            let labels = ExporterLabels {
                exporter: self.id.to_string(),
                signal: signal.as_str(),
            };
            family(&self.metrics).get_or_create(&labels).clone()
        })
    }
}

/// Exports `batch` once through `sink`; counts the records sent on
/// success and the attempt's duration either way.
pub fn attempt(sink: &mut Sink, batch: &Batch, metrics: &ExportMetrics) -> Result<(), ExportError> {
    let started = Instant::now();
    let result = sink.export(batch);
    metrics.observe_attempt(started.elapsed().as_secs_f64());
    if result.is_ok() {
        metrics.count_sent(batch.signal(), batch.len());
    }
    result
}

/// Settles a job whose export failed with `error`: counts the records
/// not delivered; hands a batch refused for good to the pipeline's
/// dead-letter exporters, if it has any; otherwise (and for retryable
/// failures) fails the job's acknowledgements, so the senders are told.
pub fn settle_failure(job: &ExportJob, error: &ExportError, metrics: &ExportMetrics) {
    let id = metrics.id();
    let permanent = !error.is_retryable();
    // What was not delivered: the whole batch, or only the records the
    // destination refused.
    let undelivered = match error {
        ExportError::PartlyRefused { refused, .. } => refused.clone(),
        _ => job.batch.clone(),
    };
    metrics.count_failure(&undelivered, permanent);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_count_lands_in_the_series_of_its_exporter_signal_and_kind() {
        let metrics = Arc::new(Metrics::default());
        let export = ExportMetrics::new("otlp/a".into(), metrics.clone());
        export.count_sent(Signal::Logs, 3);
        export.count_sent(Signal::Logs, 4);
        export.count_sent(Signal::Traces, 2);
        export.count_retry(Signal::Metrics);
        export.count_failed(Signal::Logs, 5, true);
        export.count_failed(Signal::Logs, 6, false);
        export.observe_attempt(0.5);

        let labels = |signal: Signal| ExporterLabels {
            exporter: "otlp/a".into(),
            signal: signal.as_str(),
        };
        let sent = |signal| {
            metrics
                .exported_records
                .get_or_create(&labels(signal))
                .get()
        };
        assert_eq!((sent(Signal::Logs), sent(Signal::Traces)), (7, 2));
        let retries = |signal| metrics.export_retries.get_or_create(&labels(signal)).get();
        assert_eq!((retries(Signal::Metrics), retries(Signal::Logs)), (1, 0));
        let failed = |kind| {
            let labels = ExportFailureLabels {
                exporter: "otlp/a".into(),
                signal: "logs",
                kind,
            };
            metrics.export_failed_records.get_or_create(&labels).get()
        };
        assert_eq!((failed("permanent"), failed("retryable")), (5, 6));
    }

    #[test]
    fn series_appear_only_once_something_is_counted() {
        let metrics = Arc::new(Metrics::default());
        let export = ExportMetrics::new("null".into(), metrics.clone());
        export.count_sent(Signal::Logs, 1);
        let text = metrics.render();
        assert!(text.contains(r#"signal="logs""#), "{text}");
        assert!(!text.contains(r#"signal="traces""#), "{text}");
        assert!(!text.contains("retryable"), "{text}");
    }
}
