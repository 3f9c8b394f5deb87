//! The exporter's thread: it takes jobs from the exporter's queue, appends
//! each batch to the open object of its signal, and closes and uploads an
//! object when it is large enough or old enough — holding the
//! acknowledgements of every batch in the object until the upload
//! succeeded. See the module documentation of [`s3`](super) for why.
//!
//! While an upload is being tried (and retried, with `retry_on_failure`'s
//! backoff) the thread takes no new jobs: the queue fills and pushes back
//! on the pipelines, as every exporter does when its destination is slow.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;

use super::client::S3Client;
use super::config::{Marshaler, S3Exporter};
use super::encode::ObjectWriter;
use super::key;
use super::parquet::ParquetWriter;
use crate::ack::Ack;
use crate::config::RetryOnFailure;
use crate::exporter::queue::{Backoff, ExportMetrics, retry_blocking, settle_failure};
use crate::exporter::{ExportError, ExportJob};
use crate::otlp::{Batch, Signal};
use crate::telemetry::metrics::Metrics;

/// The Collector's default for how long a batch is retried in memory.
const MAX_ELAPSED: Duration = Duration::from_secs(300);

/// Starts exporter `id`'s thread.
pub fn start(
    id: Arc<str>,
    settings: S3Exporter,
    retry: RetryOnFailure,
    jobs: async_channel::Receiver<ExportJob>,
    metrics: Arc<Metrics>,
    runtime: tokio::runtime::Handle,
) -> std::io::Result<Vec<JoinHandle<()>>> {
    let thread = std::thread::Builder::new()
        .name(format!("exporter-{id}"))
        .spawn(move || {
            let client = runtime.block_on(S3Client::new(&settings.s3uploader, settings.timeout));
            let roller = Roller {
                ext: key::extension(settings.marshaler, settings.s3uploader.compression),
                max_bytes: settings.max_object_bytes(),
                backoff: Backoff::new(retry, MAX_ELAPSED),
                open: Vec::new(),
                metrics: ExportMetrics::new(id.clone(), metrics),
                id,
                settings,
                client,
                jobs,
                runtime,
            };
            roller.run();
        })?;
    Ok(vec![thread])
}

/// An object's encoder, whichever the format.
pub enum Writer {
    /// `otlp_proto` or `otlp_json`.
    Otlp(ObjectWriter),
    /// `parquet` (boxed: its writer is several times the size of the
    /// other, and open objects are few).
    Parquet(Box<ParquetWriter>),
}

impl Writer {
    /// A new, empty object of `signal` in `settings`' format.
    pub fn new(signal: Signal, settings: &S3Exporter) -> Writer {
        let compression = settings.s3uploader.compression;
        match settings.marshaler {
            Marshaler::Parquet => {
                Writer::Parquet(Box::new(ParquetWriter::new(signal, compression)))
            }
            marshaler => Writer::Otlp(ObjectWriter::new(signal, marshaler, compression)),
        }
    }

    /// Adds `batch`'s records.
    pub fn append(&mut self, batch: &Batch) -> Result<(), String> {
        match self {
            Writer::Otlp(w) => w.append(batch).map_err(|e| e.to_string()),
            Writer::Parquet(w) => w.append(batch),
        }
    }

    /// The object's size so far, as it would be uploaded (or near it).
    pub fn size(&self) -> usize {
        match self {
            Writer::Otlp(w) => w.size(),
            Writer::Parquet(w) => w.size(),
        }
    }

    /// The object's bytes.
    pub fn finish(self) -> Result<Vec<u8>, String> {
        match self {
            Writer::Otlp(w) => w.finish().map_err(|e| e.to_string()),
            Writer::Parquet(w) => (*w).finish(),
        }
    }
}

/// The acknowledgements of a batch written into an open object. The batch
/// itself is not kept: the object holds its records, compressed, and
/// keeping every batch alive until upload would cost ten times the
/// object's size in memory.
struct Held {
    acks: Vec<Ack>,
    records: usize,
}

/// An object being filled.
struct Open {
    signal: Signal,
    writer: Writer,
    /// When its first batch came: the time of its key's partition.
    started: SystemTime,
    /// The same, on the clock `max_age` is measured on.
    opened: Instant,
    held: Vec<Held>,
}

struct Roller {
    id: Arc<str>,
    settings: S3Exporter,
    client: S3Client,
    ext: &'static str,
    max_bytes: usize,
    backoff: Backoff,
    open: Vec<Open>,
    jobs: async_channel::Receiver<ExportJob>,
    metrics: ExportMetrics,
    runtime: tokio::runtime::Handle,
}

enum Event {
    Job(ExportJob),
    /// The oldest open object reached `max_age`.
    Due,
    /// The queue closed: weir is shutting down.
    Closed,
}

impl Roller {
    fn run(mut self) {
        loop {
            match self.next_event() {
                Event::Job(job) => self.add(job),
                Event::Due => self.roll_due(Instant::now()),
                Event::Closed => break,
            }
        }
        // Shutting down: upload what is open (one try each; what fails is
        // failed back to its senders, who have not been answered).
        while !self.open.is_empty() {
            self.roll(0);
        }
    }

    /// Waits for a job, or until the oldest open object is due.
    fn next_event(&self) -> Event {
        let max_age = self.settings.rollover.max_age;
        let Some(due) = self.open.iter().map(|o| o.opened + max_age).min() else {
            return self.jobs.recv_blocking().map_or(Event::Closed, Event::Job);
        };
        self.runtime.block_on(async {
            match tokio::time::timeout_at(due.into(), self.jobs.recv()).await {
                Ok(Ok(job)) => Event::Job(job),
                Ok(Err(_)) => Event::Closed,
                Err(_) => Event::Due,
            }
        })
    }

    fn add(&mut self, job: ExportJob) {
        // Nothing to archive: acknowledged at once (dropping the job).
        if job.batch.is_empty() {
            return;
        }
        let signal = job.batch.signal();
        let i = match self.open.iter().position(|o| o.signal == signal) {
            Some(i) => i,
            None => {
                self.open.push(Open {
                    signal,
                    writer: Writer::new(signal, &self.settings),
                    started: SystemTime::now(),
                    opened: Instant::now(),
                    held: Vec::new(),
                });
                self.open.len() - 1
            }
        };
        let open = &mut self.open[i];
        if let Err(reason) = open.writer.append(&job.batch) {
            let error = ExportError::Permanent(format!("encoding for S3: {reason}"));
            settle_failure(&job, &error, &self.metrics);
            return;
        }
        open.held.push(Held {
            acks: job.acks,
            records: job.batch.len(),
        });
        if open.writer.size() >= self.max_bytes {
            self.roll(i);
        }
    }

    fn roll_due(&mut self, now: Instant) {
        let max_age = self.settings.rollover.max_age;
        while let Some(i) = self.open.iter().position(|o| o.opened + max_age <= now) {
            self.roll(i);
        }
    }

    /// Closes the open object `i`, uploads it, and settles the
    /// acknowledgements it holds.
    fn roll(&mut self, i: usize) {
        let open = self.open.swap_remove(i);
        let records: usize = open.held.iter().map(|h| h.records).sum();
        let up = &self.settings.s3uploader;
        let key = key::object_key(
            &up.s3_prefix,
            &up.s3_partition_format,
            &up.file_prefix,
            open.signal,
            open.started,
            self.ext,
        );
        let result = match open.writer.finish() {
            Ok(body) => self.upload(&key, Bytes::from(body), open.signal),
            Err(reason) => Err(ExportError::Permanent(format!(
                "encoding the S3 object: {reason}"
            ))),
        };
        match result {
            Ok(()) => {
                self.metrics.count_sent(open.signal, records);
                tracing::debug!(exporter = %self.id, key, records, "s3: object uploaded");
                // Dropping the held acknowledgements settles them: success.
            }
            Err(error) => {
                let permanent = !error.is_retryable();
                self.metrics.count_failed(open.signal, records, permanent);
                tracing::error!(exporter = %self.id, key, %error, records, permanent,
                    "s3: object not uploaded; its batches are failed back to their senders");
                let reason = format!("exporter {}: {error}", self.id);
                for ack in open.held.iter().flat_map(|h| &h.acks) {
                    if permanent {
                        ack.fail_permanently(&reason);
                    } else {
                        ack.fail(&reason);
                    }
                }
            }
        }
    }

    /// Uploads one object, retrying while that may help.
    fn upload(&mut self, key: &str, body: Bytes, signal: Signal) -> Result<(), ExportError> {
        let (id, metrics, jobs) = (&self.id, &self.metrics, &self.jobs);
        let (runtime, client) = (&self.runtime, &self.client);
        retry_blocking(
            &mut self.backoff,
            || jobs.is_closed(),
            || {
                let started = Instant::now();
                let result = runtime.block_on(client.upload(key, body.clone()));
                metrics.observe_attempt(started.elapsed().as_secs_f64());
                result
            },
            |reason, wait| {
                metrics.count_retry(signal);
                tracing::warn!(exporter = %id, key, %reason, retry_in = ?wait,
                    "s3: upload failed; retrying");
            },
        )
    }
}
