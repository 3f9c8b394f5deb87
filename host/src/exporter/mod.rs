//! Exporters: where records leave weir. One module per destination; this
//! file starts each configured exporter behind its queue (`queue/`: in
//! memory, or durable on disk), which settles each job's acknowledgements.
//!
//! A full exporter queue blocks the pipeline workers that feed it, which
//! fills the pipeline's queue, which makes the receivers answer "retry
//! later": back-pressure reaches the sender instead of memory growing.

mod attribute_text;
mod compression;
mod debug;
mod error;
mod file;
mod http;
mod influxdb;
mod invalid;
mod kafka;
mod otlp;
mod otlphttp;
mod prometheusremotewrite;
mod queue;
pub mod s3;
pub(crate) mod tls;
mod victorialogs;
mod victoriametrics;

pub use error::ExportError;
pub use influxdb::InfluxDbExporter;
pub use invalid::InvalidSetting;
pub use kafka::KafkaExporter;
pub use otlp::OtlpExporter;
pub use otlphttp::OtlpHttpExporter;
pub use prometheusremotewrite::{PrometheusRemoteWriteExporter, RemoteWriteOptions};
pub use s3::S3Exporter;
pub use tls::TlsSettings;
pub use victorialogs::VictoriaLogsExporter;
pub use victoriametrics::VictoriaMetricsExporter;

use std::sync::Arc;
use std::thread::JoinHandle;

use crate::ack::Ack;
use crate::config;
use crate::otlp::Batch;
use crate::telemetry::metrics::Metrics;

/// A batch for one exporter, with the acknowledgements it settles.
#[derive(Debug)]
pub struct ExportJob {
    /// The records, shared read-only by every exporter they go to.
    pub batch: Arc<Batch>,
    /// Settled when the job is done: failed if the export failed.
    pub acks: Vec<Ack>,
    /// Where the records go if this exporter refuses them for good: the
    /// dead-letter exporters of the pipeline they came from (none for
    /// records that are already dead letters).
    pub dead_letter: Option<Arc<[ExporterHandle]>>,
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

    /// Queues a job if there is room at once; gives it back otherwise.
    /// For exporters handing on to other exporters, which must not wait
    /// on a queue that may be their own.
    pub fn try_send(&self, job: ExportJob) -> Result<(), ExportJob> {
        self.tx.try_send(job).map_err(|e| e.into_inner())
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
    // Boxed: its line buffer and settings make it the largest sink.
    InfluxDb(Box<influxdb::InfluxDbSink>),
    RemoteWrite(Box<prometheusremotewrite::RemoteWriteSink>),
    Kafka(kafka::KafkaSink),
    VictoriaLogs(victorialogs::VictoriaLogsSink),
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
            Sink::InfluxDb(sink) => sink.export(batch),
            Sink::RemoteWrite(sink) => sink.export(batch),
            Sink::Kafka(sink) => sink.export(batch),
            Sink::VictoriaLogs(sink) => sink.export(batch),
            Sink::Null => Ok(()),
        }
    }

    fn flush(&mut self) {
        if let Sink::File(sink) = self {
            sink.flush();
        }
    }
}

/// Builds `count` sinks of exporter `id`, sharing what one exporter
/// should have once (a Kafka producer).
fn build_sinks(
    id: &str,
    kind: &config::Exporter,
    count: usize,
    runtime: &tokio::runtime::Handle,
) -> anyhow::Result<Vec<Sink>> {
    let kafka = match kind {
        config::Exporter::Kafka(s) => Some(kafka::KafkaClient::new(id, (**s).clone())?),
        _ => None,
    };
    (0..count)
        .map(|_| {
            Ok(match kind {
                config::Exporter::File(s) => Sink::File(file::FileSink::new(s.clone())?),
                config::Exporter::Debug(s) => Sink::Debug(debug::DebugSink::new(id, s.verbosity)),
                config::Exporter::Otlp(s) | config::Exporter::Jaeger(s) => {
                    Sink::Otlp(otlp::OtlpSink::new(id, s.clone(), runtime.clone())?)
                }
                config::Exporter::OtlpHttp(s) => {
                    Sink::OtlpHttp(otlphttp::OtlpHttpSink::new(id, s.clone(), runtime.clone())?)
                }
                config::Exporter::InfluxDb(s) => Sink::InfluxDb(Box::new(
                    influxdb::InfluxDbSink::new(id, (**s).clone(), runtime.clone())?,
                )),
                config::Exporter::PrometheusRemoteWrite(s) => Sink::RemoteWrite(Box::new(
                    prometheusremotewrite::RemoteWriteSink::new(id, s, runtime.clone())?,
                )),
                config::Exporter::VictoriaMetrics(s) => {
                    victoriametrics::build(id, s, runtime.clone())?
                }
                config::Exporter::Kafka(_) => Sink::Kafka(kafka::KafkaSink::new(
                    kafka.clone().expect("made above for kafka"),
                    runtime.clone(),
                )),
                config::Exporter::VictoriaLogs(s) => Sink::VictoriaLogs(
                    victorialogs::VictoriaLogsSink::new(id, (**s).clone(), runtime.clone())?,
                ),
                config::Exporter::Null(_) => Sink::Null,
                config::Exporter::S3(_) => {
                    anyhow::bail!("exporter {id}: s3 has its own queue runner, not sinks")
                }
            })
        })
        .collect()
}

/// Whether several sinks of this kind may export at once. Local files
/// take one writer (lines must not interleave); a network destination
/// takes `num_consumers` requests in flight.
fn concurrent(kind: &config::Exporter) -> bool {
    !matches!(
        kind,
        config::Exporter::File(_) | config::Exporter::Debug(_) | config::Exporter::Null(_)
    )
}

/// Starts exporter `id` with its queue; returns its handle and the
/// threads to join after closing it.
pub fn spawn(
    id: &str,
    spec: &config::ExporterSpec,
    metrics: Arc<Metrics>,
    runtime: &tokio::runtime::Handle,
) -> anyhow::Result<(ExporterHandle, Vec<JoinHandle<()>>)> {
    let queue = &spec.base.sending_queue;
    let (tx, rx) = async_channel::bounded::<ExportJob>(queue.queue_size);
    let id: Arc<str> = Arc::from(id);
    metrics.probe_exporter_queue(&id, queue.queue_size, {
        let weak = tx.downgrade();
        Box::new(move || weak.upgrade().map_or(0, |tx| tx.len() as i64))
    });
    let threads = match (&spec.kind, &spec.storage) {
        // Holds acknowledgements until the object holding the batch is
        // uploaded (s3/mod.rs); the configuration refuses a durable queue.
        (config::Exporter::S3(settings), _) => s3::start(
            id.clone(),
            (**settings).clone(),
            spec.base.retry_on_failure.clone(),
            rx,
            metrics,
            runtime.clone(),
        )?,
        // One reader delivers a durable log in order.
        (_, Some(storage)) => {
            let sink = build_sinks(&id, &spec.kind, 1, runtime)?
                .pop()
                .expect("one sink asked for");
            queue::start_durable(id.clone(), sink, spec, storage, rx, metrics)?
        }
        (_, None) => {
            let consumers = if concurrent(&spec.kind) {
                queue.num_consumers
            } else {
                1
            };
            let sinks = build_sinks(&id, &spec.kind, consumers, runtime)?;
            let retry = spec.base.retry_on_failure.clone();
            queue::start_memory(id.clone(), sinks, retry, rx, metrics)?
        }
    };
    Ok((ExporterHandle { id, tx }, threads))
}
