//! The in-memory queue: `num_consumers` threads take batches from a
//! bounded channel and export them, retrying retryable failures with
//! backoff (`retry_on_failure`). The requests' senders wait meanwhile. A
//! batch the destination refuses for good goes to the dead-letter
//! exporters of its pipeline, if it has any; otherwise, and when retries
//! run out, the batch fails its acknowledgements and the senders are told.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::super::{ExportError, ExportJob, Sink};
use super::attempt::{attempt, count_failure, count_retry};
use super::backoff::Backoff;
use crate::config::RetryOnFailure;
use crate::otlp::Batch;
use crate::telemetry::metrics::Metrics;

/// The Collector's default for how long a batch is retried in memory.
const MAX_ELAPSED: Duration = Duration::from_secs(300);
/// How often a waiting retry checks whether shutdown began.
const SHUTDOWN_CHECK: Duration = Duration::from_millis(100);

/// Starts one thread per sink, all taking jobs from `jobs`.
pub fn start(
    id: Arc<str>,
    sinks: Vec<Sink>,
    retry: RetryOnFailure,
    jobs: async_channel::Receiver<ExportJob>,
    metrics: Arc<Metrics>,
) -> std::io::Result<Vec<JoinHandle<()>>> {
    let mut threads = Vec::new();
    for (n, sink) in sinks.into_iter().enumerate() {
        let consumer = Consumer {
            id: id.clone(),
            sink,
            backoff: Backoff::new(retry.clone(), MAX_ELAPSED),
            jobs: jobs.clone(),
            metrics: metrics.clone(),
        };
        threads.push(
            std::thread::Builder::new()
                .name(format!("exporter-{id}-{n}"))
                .spawn(move || consumer.run())?,
        );
    }
    Ok(threads)
}

struct Consumer {
    id: Arc<str>,
    sink: Sink,
    backoff: Backoff,
    jobs: async_channel::Receiver<ExportJob>,
    metrics: Arc<Metrics>,
}

impl Consumer {
    fn run(mut self) {
        while let Ok(job) = self.jobs.recv_blocking() {
            if let Err(error) = self.deliver(&job) {
                let permanent = !error.is_retryable();
                // What was not delivered: the whole batch, or only the
                // records the destination refused.
                let undelivered = match &error {
                    ExportError::PartlyRefused { refused, .. } => refused.clone(),
                    _ => job.batch.clone(),
                };
                count_failure(&self.id, &undelivered, permanent, &self.metrics);
                if permanent && self.dead_letter(&job, &undelivered, &error) {
                    continue;
                }
                tracing::error!(exporter = %self.id, %error, records = undelivered.len(), permanent,
                    "export failed");
                let reason = format!("exporter {}: {error}", self.id);
                for ack in &job.acks {
                    if permanent {
                        ack.fail_permanently(&reason);
                    } else {
                        ack.fail(&reason);
                    }
                }
            }
        }
        self.sink.flush();
    }

    /// Hands a batch the destination refused for good to the pipeline's
    /// dead-letter exporters; whether there were any with room for it.
    fn dead_letter(&self, job: &ExportJob, letters: &Arc<Batch>, error: &ExportError) -> bool {
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
        tracing::warn!(exporter = %self.id, %error, records = letters.len(),
            "export refused for good; records go to the pipeline's dead-letter exporters");
        handed
    }

    /// Exports one job's batch, retrying while that may help.
    fn deliver(&mut self, job: &ExportJob) -> Result<(), ExportError> {
        self.backoff.reset();
        loop {
            let error = match attempt(&self.id, &mut self.sink, &job.batch, &self.metrics) {
                Ok(()) => return Ok(()),
                Err(error) => error,
            };
            let ExportError::Retryable {
                reason,
                retry_after,
            } = &error
            else {
                return Err(error);
            };
            // Shutting down: the senders are told to retry instead.
            if self.jobs.is_closed() {
                return Err(error);
            }
            let Some(wait) = self.backoff.next_wait(Instant::now(), *retry_after) else {
                return Err(error);
            };
            count_retry(&self.id, &job.batch, &self.metrics);
            tracing::warn!(exporter = %self.id, %reason, records = job.batch.len(),
                retry_in = ?wait, "export failed; retrying");
            let until = Instant::now() + wait;
            while Instant::now() < until && !self.jobs.is_closed() {
                std::thread::sleep(SHUTDOWN_CHECK.min(until - Instant::now()));
            }
        }
    }
}
