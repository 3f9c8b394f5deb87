//! The in-memory queue: `num_consumers` threads take batches from a
//! bounded channel and export them, retrying retryable failures with
//! backoff (`retry_on_failure`). The requests' senders wait meanwhile. A
//! batch the destination refuses for good goes to the dead-letter
//! exporters of its pipeline, if it has any; otherwise, and when retries
//! run out, the batch fails its acknowledgements and the senders are told.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use super::super::{ExportError, ExportJob, Sink};
use super::attempt::{ExportMetrics, attempt, settle_failure};
use super::backoff::Backoff;
use super::retry::retry_blocking;
use crate::config::RetryOnFailure;
use crate::telemetry::metrics::Metrics;

/// The Collector's default for how long a batch is retried in memory.
const MAX_ELAPSED: Duration = Duration::from_secs(300);

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
            sink,
            backoff: Backoff::new(retry.clone(), MAX_ELAPSED),
            jobs: jobs.clone(),
            metrics: ExportMetrics::new(id.clone(), metrics.clone()),
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
    sink: Sink,
    backoff: Backoff,
    jobs: async_channel::Receiver<ExportJob>,
    metrics: ExportMetrics,
}

impl Consumer {
    fn run(mut self) {
        while let Ok(job) = self.jobs.recv_blocking() {
            if let Err(error) = self.deliver(&job) {
                settle_failure(&job, &error, &self.metrics);
            }
            drop(job);
            crate::allocator::tidy_this_thread();
        }
        self.sink.flush();
    }

    /// Exports one job's batch, retrying while that may help.
    fn deliver(&mut self, job: &ExportJob) -> Result<(), ExportError> {
        let (metrics, jobs) = (&self.metrics, &self.jobs);
        let id = metrics.id();
        let sink = &mut self.sink;
        retry_blocking(
            &mut self.backoff,
            || jobs.is_closed(),
            || attempt(sink, &job.batch, metrics),
            |reason, wait| {
                metrics.count_retry(job.batch.signal());
                tracing::warn!(exporter = %id, %reason, records = job.batch.len(),
                    retry_in = ?wait, "export failed; retrying");
            },
        )
    }
}
