//! Exporters: where records leave weir. One module per destination; this
//! file starts each configured exporter behind its queue (`queue/`: in
//! memory, or durable on disk), which settles each job's acknowledgements.
//!
//! A full exporter queue blocks the pipeline workers that feed it, which
//! fills the pipeline's queue, which makes the receivers answer "retry
//! later": back-pressure reaches the sender instead of memory growing.

mod debug;
mod error;
mod file;
mod otlp;
mod otlphttp;
mod queue;

pub use error::ExportError;
pub use otlp::OtlpExporter;
pub use otlphttp::OtlpHttpExporter;

use std::sync::Arc;
use std::thread::JoinHandle;

use crate::config;
use crate::otlp::Batch;
use crate::pipeline::Ack;
use crate::telemetry::metrics::Metrics;

/// A batch for one exporter, with the acknowledgements it settles.
#[derive(Debug)]
pub struct ExportJob {
    /// The records, shared read-only by every exporter they go to.
    pub batch: Arc<Batch>,
    /// Settled when the job is done: failed if the export failed.
    pub acks: Vec<Ack>,
}

/// The sending end of a running exporter.
#[derive(Clone, Debug)]
pub struct ExporterHandle {
    /// The exporter's id.
    pub id: Arc<str>,
    tx: async_channel::Sender<ExportJob>,
}

impl ExporterHandle {
    /// Queues a job, waiting while the queue is full. Fails the job's
    /// acknowledgements if the exporter has stopped.
    pub fn send_blocking(&self, job: ExportJob) {
        if let Err(async_channel::SendError(job)) = self.tx.send_blocking(job) {
            for ack in &job.acks {
                ack.fail(format!("exporter {} has stopped", self.id));
            }
        }
    }

    /// Closes the queue: the exporter finishes what is queued, then stops.
    pub fn close(&self) {
        self.tx.close();
    }
}

/// The sink an exporter writes to.
enum Sink {
    File(file::FileSink),
    Debug(debug::DebugSink),
    Otlp(otlp::OtlpSink),
    OtlpHttp(otlphttp::OtlpHttpSink),
    Null,
}

impl Sink {
    fn export(&mut self, batch: &Batch) -> Result<(), ExportError> {
        match self {
            // A local disk that fails to write is not expected to heal by
            // itself soon, but it may (a full disk being cleared): retry.
            Sink::File(sink) => sink.export(batch).map_err(ExportError::retryable),
            Sink::Debug(sink) => {
                sink.export(batch);
                Ok(())
            }
            Sink::Otlp(sink) => sink.export(batch),
            Sink::OtlpHttp(sink) => sink.export(batch),
            Sink::Null => Ok(()),
        }
    }

    fn flush(&mut self) {
        if let Sink::File(sink) = self {
            sink.flush();
        }
    }
}

/// Starts exporter `id` with its queue; returns its handle and the
/// threads to join after closing it.
pub fn spawn(
    id: &str,
    spec: &config::ExporterSpec,
    metrics: Arc<Metrics>,
    runtime: &tokio::runtime::Handle,
) -> anyhow::Result<(ExporterHandle, Vec<JoinHandle<()>>)> {
    let sink = match &spec.kind {
        config::Exporter::File(s) => Sink::File(file::FileSink::new(s.clone())?),
        config::Exporter::Debug(s) => Sink::Debug(debug::DebugSink::new(id, s.verbosity)),
        config::Exporter::Otlp(s) => {
            Sink::Otlp(otlp::OtlpSink::new(id, s.clone(), runtime.clone())?)
        }
        config::Exporter::OtlpHttp(s) => {
            Sink::OtlpHttp(otlphttp::OtlpHttpSink::new(id, s.clone(), runtime.clone())?)
        }
        config::Exporter::Null(_) => Sink::Null,
    };
    let (tx, rx) = async_channel::bounded::<ExportJob>(spec.base.sending_queue.queue_size);
    let id: Arc<str> = Arc::from(id);
    let threads = match &spec.storage {
        Some(storage) => queue::start_durable(id.clone(), sink, spec, storage, rx, metrics)?,
        None => queue::start_memory(id.clone(), sink, rx, metrics)?,
    };
    Ok((ExporterHandle { id, tx }, threads))
}
