//! Exporters: where records leave weir. One module per destination; this
//! file runs each configured exporter on a thread of its own, fed by a
//! bounded queue, and settles each job's acknowledgements with the result.
//!
//! A full exporter queue blocks the pipeline workers that feed it, which
//! fills the pipeline's queue, which makes the receivers answer "retry
//! later": back-pressure reaches the sender instead of memory growing.

mod debug;
mod file;

use std::sync::Arc;
use std::thread::JoinHandle;

use crate::config;
use crate::otlp::Batch;
use crate::pipeline::Ack;
use crate::telemetry::metrics::{ExporterLabels, Metrics};

/// How many jobs may wait for one exporter.
const QUEUE_JOBS: usize = 64;

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
    Null,
}

impl Sink {
    fn export(&mut self, batch: &Batch) -> Result<(), String> {
        match self {
            Sink::File(sink) => sink.export(batch),
            Sink::Debug(sink) => {
                sink.export(batch);
                Ok(())
            }
            Sink::Null => Ok(()),
        }
    }

    fn flush(&mut self) {
        if let Sink::File(sink) = self {
            sink.flush();
        }
    }
}

/// Starts exporter `id`; returns its handle and the thread to join after
/// closing it.
pub fn spawn(
    id: &str,
    settings: &config::Exporter,
    metrics: Arc<Metrics>,
) -> anyhow::Result<(ExporterHandle, JoinHandle<()>)> {
    let mut sink = match settings {
        config::Exporter::File(s) => Sink::File(file::FileSink::new(s.clone())?),
        config::Exporter::Debug(s) => Sink::Debug(debug::DebugSink::new(id, s.verbosity)),
        config::Exporter::Null(_) => Sink::Null,
    };
    let (tx, rx) = async_channel::bounded::<ExportJob>(QUEUE_JOBS);
    let id: Arc<str> = Arc::from(id);
    let name = id.clone();
    let thread = std::thread::Builder::new()
        .name(format!("exporter-{id}"))
        .spawn(move || {
            while let Ok(job) = rx.recv_blocking() {
                let labels = ExporterLabels {
                    exporter: name.to_string(),
                    signal: job.batch.signal().as_str(),
                };
                let records = job.batch.len() as u64;
                match sink.export(&job.batch) {
                    Ok(()) => {
                        metrics
                            .exported_records
                            .get_or_create(&labels)
                            .inc_by(records);
                    }
                    Err(reason) => {
                        metrics
                            .export_failed_records
                            .get_or_create(&labels)
                            .inc_by(records);
                        tracing::error!(exporter = %name, %reason, records, "export failed");
                        for ack in &job.acks {
                            ack.fail(format!("exporter {name}: {reason}"));
                        }
                    }
                }
            }
            sink.flush();
        })?;
    Ok((ExporterHandle { id, tx }, thread))
}
