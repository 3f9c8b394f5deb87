//! The in-memory queue: the exporter's thread takes batches from a
//! bounded channel and exports each once; a failure is reported back to
//! the requests' senders, who retry.

use std::sync::Arc;
use std::thread::JoinHandle;

use super::super::{ExportJob, Sink};
use crate::telemetry::metrics::{ExporterLabels, Metrics};

/// Starts the exporter's thread.
pub fn start(
    id: Arc<str>,
    mut sink: Sink,
    jobs: async_channel::Receiver<ExportJob>,
    metrics: Arc<Metrics>,
) -> std::io::Result<Vec<JoinHandle<()>>> {
    let thread = std::thread::Builder::new()
        .name(format!("exporter-{id}"))
        .spawn(move || {
            while let Ok(job) = jobs.recv_blocking() {
                let labels = ExporterLabels {
                    exporter: id.to_string(),
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
                        tracing::error!(exporter = %id, %reason, records, "export failed");
                        for ack in &job.acks {
                            ack.fail(format!("exporter {id}: {reason}"));
                        }
                    }
                }
            }
            sink.flush();
        })?;
    Ok(vec![thread])
}
