//! The durable queue: two threads around a [`log`](super::log) on disk.
//!
//! The intake thread takes batches from the pipelines, appends them to the
//! log — several at a time, with one fsync for the group — and only then
//! settles their acknowledgements, so a sender's `200` means the records
//! are on disk. A full log fails the batch's acknowledgement ("retry
//! later"); nothing already queued is touched.
//!
//! The delivery thread exports from the log in order, retries retryable
//! failures with backoff for as long as `retry_on_failure` allows, and
//! marks a batch delivered only once the destination accepted it (or
//! refused it for good, which is logged and counted). At shutdown it
//! delivers what it can for a short while and leaves the rest on disk for
//! the next start.

use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::super::{ExportError, ExportJob, Sink};
use super::attempt::{ExportMetrics, attempt};
use super::backoff::Backoff;
use super::frame;
use super::log::{self, AppendError, Damage, LogReader, LogWriter, Next};
use crate::config::{ExporterSpec, FileStorage};
use crate::otlp::Batch;
use crate::telemetry::metrics::{ExporterLabels, Metrics, QueueLabels};

/// Batches written with one fsync, at most.
const GROUP: usize = 64;
/// How long delivery goes on after shutdown began; what is left stays on
/// disk for the next start.
const SHUTDOWN_DRAIN: Duration = Duration::from_secs(10);
/// At most one "queue full" warning per this long.
const FULL_WARNING_EVERY: Duration = Duration::from_secs(5);

/// The directory of exporter `id`'s log inside the storage directory,
/// named as the Collector names its storage clients.
pub fn queue_dir(storage: &FileStorage, id: &str) -> PathBuf {
    let name: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    storage.directory.join(format!("exporter_{name}"))
}

/// Opens exporter `id`'s log and starts its intake and delivery threads.
pub fn start(
    id: Arc<str>,
    sink: Sink,
    spec: &ExporterSpec,
    storage: &FileStorage,
    jobs: async_channel::Receiver<ExportJob>,
    metrics: Arc<Metrics>,
) -> anyhow::Result<Vec<JoinHandle<()>>> {
    let dir = queue_dir(storage, &id);
    let max_bytes = spec.base.sending_queue.max_size_mib << 20;
    let options = log::Options {
        max_bytes,
        // Space comes back a segment at a time: small enough that a
        // delivered segment is not held long, large enough that files
        // stay few.
        segment_bytes: (max_bytes / 16).clamp(1 << 20, 64 << 20),
        fsync: storage.fsync,
    };
    let (writer, reader, recovered) = log::open(&dir, options).map_err(|e| {
        anyhow::anyhow!(
            "exporter {id}: cannot open its durable queue in {}: {e}",
            dir.display()
        )
    })?;
    let labels = QueueLabels {
        exporter: id.to_string(),
    };
    for damage in &recovered.damage {
        report_damage(&id, &metrics, damage);
    }
    if recovered.frames > 0 {
        tracing::info!(exporter = %id, batches = recovered.frames, records = recovered.records,
            dir = %dir.display(),
            "durable queue: delivering what an earlier run left (records delivered just before it stopped may arrive twice)");
        metrics
            .queue_recovered_records
            .get_or_create(&labels)
            .inc_by(recovered.records);
    }
    update_depth(&metrics, &labels, reader.depth());

    let intake = Intake {
        id: id.clone(),
        writer,
        metrics: metrics.clone(),
        labels: labels.clone(),
        last_full_warning: None,
    };
    let delivery = Delivery {
        id: id.clone(),
        sink,
        reader,
        backoff: Backoff::new(spec.base.retry_on_failure.clone(), Duration::ZERO),
        export_metrics: ExportMetrics::new(id.clone(), metrics.clone()),
        metrics,
        labels,
    };
    Ok(vec![
        std::thread::Builder::new()
            .name(format!("queue-{id}"))
            .spawn(move || intake.run(jobs))?,
        std::thread::Builder::new()
            .name(format!("exporter-{id}"))
            .spawn(move || delivery.run())?,
    ])
}

fn report_damage(id: &str, metrics: &Metrics, damage: &Damage) {
    tracing::error!(exporter = %id, segment = %damage.segment.display(), offset = damage.offset,
        discarded_bytes = damage.discarded, reason = %damage.reason,
        "durable queue: damaged data cut off; the records in it are lost");
    let labels = QueueLabels {
        exporter: id.to_string(),
    };
    metrics.queue_damaged.get_or_create(&labels).inc();
    metrics
        .queue_damaged_bytes
        .get_or_create(&labels)
        .inc_by(damage.discarded);
}

fn update_depth(metrics: &Metrics, labels: &QueueLabels, depth: log::Depth) {
    metrics
        .queue_records
        .get_or_create(labels)
        .set(depth.records as i64);
    metrics
        .queue_bytes
        .get_or_create(labels)
        .set(depth.bytes as i64);
}

struct Intake {
    id: Arc<str>,
    writer: LogWriter,
    metrics: Arc<Metrics>,
    labels: QueueLabels,
    last_full_warning: Option<Instant>,
}

impl Intake {
    fn run(mut self, jobs: async_channel::Receiver<ExportJob>) {
        let mut group = Vec::with_capacity(GROUP);
        while let Ok(job) = jobs.recv_blocking() {
            group.push(job);
            while group.len() < GROUP {
                match jobs.try_recv() {
                    Ok(job) => group.push(job),
                    Err(_) => break,
                }
            }
            let mut written = Vec::with_capacity(group.len());
            for job in group.drain(..) {
                let records = job.batch.len() as u32;
                match self.writer.append(&frame::encode(&job.batch), records) {
                    Ok(()) => written.push(job),
                    Err(error) => self.refuse(&job, &error),
                }
            }
            match self.writer.sync() {
                // Dropping the jobs settles their acknowledgements.
                Ok(()) => drop(written),
                Err(error) => {
                    let error = AppendError::Io(error);
                    for job in &written {
                        self.refuse(job, &error);
                    }
                }
            }
            update_depth(&self.metrics, &self.labels, self.writer.depth());
        }
        // Dropping the writer closes the log: delivery finishes up.
    }

    fn refuse(&mut self, job: &ExportJob, error: &AppendError) {
        let records = job.batch.len() as u64;
        self.metrics
            .queue_refused_records
            .get_or_create(&ExporterLabels {
                exporter: self.id.to_string(),
                signal: job.batch.signal().as_str(),
            })
            .inc_by(records);
        let warn_now = !matches!(error, AppendError::Full { .. })
            || self
                .last_full_warning
                .is_none_or(|t| t.elapsed() >= FULL_WARNING_EVERY);
        if warn_now {
            self.last_full_warning = Some(Instant::now());
            tracing::warn!(exporter = %self.id, %error, records,
                "durable queue refused a batch; its senders are told to retry");
        }
        let reason = format!("exporter {}: {error}", self.id);
        for ack in &job.acks {
            // A batch larger than the whole queue will never fit.
            if matches!(error, AppendError::TooLarge { .. }) {
                ack.fail_permanently(&reason);
            } else {
                ack.fail(&reason);
            }
        }
    }
}

struct Delivery {
    id: Arc<str>,
    sink: Sink,
    reader: LogReader,
    backoff: Backoff,
    export_metrics: ExportMetrics,
    metrics: Arc<Metrics>,
    labels: QueueLabels,
}

/// What became of one batch.
enum Delivered {
    /// Accepted, or given up for good: move on.
    Done,
    /// Shutting down while the destination fails: leave it on disk.
    Stop,
}

impl Delivery {
    fn run(mut self) {
        let mut closing_since: Option<Instant> = None;
        loop {
            if self.reader.is_closed() {
                let since = *closing_since.get_or_insert_with(Instant::now);
                if since.elapsed() >= SHUTDOWN_DRAIN {
                    self.leave_rest("shutdown drain time is up");
                    break;
                }
            }
            let next = match self.reader.next(Duration::from_millis(500)) {
                Ok(next) => next,
                Err(error) => {
                    tracing::error!(exporter = %self.id, %error, "durable queue: cannot read its log; trying again");
                    if self.reader.wait_closed(Duration::from_secs(1)) {
                        self.leave_rest("its log cannot be read");
                        break;
                    }
                    continue;
                }
            };
            match next {
                Next::Closed => break,
                Next::Empty => {}
                Next::Damaged(damage) => report_damage(&self.id, &self.metrics, &damage),
                Next::Entry(entry) => {
                    let outcome = match Batch::decode(entry.signal, &entry.request) {
                        Ok(batch) => self.deliver(&batch),
                        Err(error) => {
                            // Checksummed, so weir wrote it: a bug, not damage.
                            tracing::error!(exporter = %self.id, %error, records = entry.records,
                                "durable queue: a queued batch does not decode; dropped");
                            Delivered::Done
                        }
                    };
                    if let Delivered::Stop = outcome {
                        self.leave_rest("the destination is failing");
                        break;
                    }
                    if let Err(error) = self.reader.commit() {
                        tracing::error!(exporter = %self.id, %error,
                            "durable queue: cannot record a delivery; it may be repeated after a restart");
                    }
                    update_depth(&self.metrics, &self.labels, self.reader.depth());
                }
            }
        }
        self.sink.flush();
    }

    /// Exports one batch, retrying as configured.
    fn deliver(&mut self, batch: &Batch) -> Delivered {
        let records = batch.len();
        self.backoff.reset();
        loop {
            let reason = match attempt(&mut self.sink, batch, &self.export_metrics) {
                Ok(()) => return Delivered::Done,
                Err(ExportError::Permanent(reason)) => {
                    tracing::error!(exporter = %self.id, %reason, records,
                        "export refused for good; batch dropped from the durable queue");
                    self.export_metrics.count_failure(batch, true);
                    return Delivered::Done;
                }
                Err(ExportError::PartlyRefused { reason, refused }) => {
                    tracing::error!(exporter = %self.id, %reason, records = refused.len(),
                        "records refused for good; dropped from the durable queue, \
                         the rest delivered");
                    self.export_metrics.count_failure(&refused, true);
                    return Delivered::Done;
                }
                Err(ExportError::Retryable {
                    reason,
                    retry_after,
                }) => {
                    if self.reader.is_closed() {
                        return Delivered::Stop;
                    }
                    match self.backoff.next_wait(Instant::now(), retry_after) {
                        Some(wait) => {
                            self.export_metrics.count_retry(batch.signal());
                            tracing::warn!(exporter = %self.id, %reason, records,
                                retry_in = ?wait, "export failed; will retry from the durable queue");
                            // Wakes early when shutdown begins.
                            self.reader.wait_closed(wait);
                            continue;
                        }
                        None => reason,
                    }
                }
            };
            tracing::error!(exporter = %self.id, %reason, records,
                "export failed and retry_on_failure gave up; batch dropped from the durable queue");
            self.export_metrics.count_failure(batch, false);
            return Delivered::Done;
        }
    }

    fn leave_rest(&self, why: &str) {
        let depth = self.reader.depth();
        if depth.frames > 0 {
            tracing::warn!(exporter = %self.id, batches = depth.frames, records = depth.records, why,
                "durable queue: records stay on disk and are delivered at the next start");
        }
    }
}
