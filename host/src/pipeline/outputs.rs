//! Where a pipeline's records go after the plugin chain: the pipeline's
//! exporters, the exporters of a named route, or the dead-letter
//! exporters. Records for a route the configuration does not name go to
//! the dead letters too, with the reason logged; with no dead-letter
//! exporter they are dropped, counted and logged — never silently. Each
//! job also carries the dead-letter exporters, for records an exporter's
//! destination refuses for good.

use std::sync::Arc;

use indexmap::IndexMap;

use crate::exporter::{ExportJob, ExporterHandle};
use crate::telemetry::metrics::{DropLabels, Metrics};

use super::chain::Destination;
use super::envelope::Envelope;

/// A pipeline's exporters, by destination.
pub struct Outputs {
    pub(crate) pipeline: String,
    pub(crate) main: Vec<ExporterHandle>,
    pub(crate) routes: IndexMap<String, Vec<ExporterHandle>>,
    pub(crate) dead_letter: Arc<[ExporterHandle]>,
    pub(crate) metrics: Arc<Metrics>,
}

impl Outputs {
    /// Sends an envelope's records to every exporter of its destination,
    /// waiting while an exporter's queue is full.
    pub fn deliver(&self, destination: Destination, envelope: Envelope) {
        if envelope.batch.is_empty() {
            return;
        }
        let (targets, diverted) = match &destination {
            Destination::Main => (&self.main[..], None),
            Destination::Route(name) => match self.routes.get(name) {
                Some(targets) => (&targets[..], None),
                None => (
                    &self.dead_letter[..],
                    Some(format!("unknown route `{name}`")),
                ),
            },
            Destination::DeadLetter => (&self.dead_letter[..], Some("plugin failure".to_string())),
        };
        let records = envelope.batch.len();
        if let Some(reason) = &diverted {
            tracing::warn!(pipeline = %self.pipeline, %reason, records, "records go to dead letters");
        }
        if targets.is_empty() {
            self.metrics
                .dropped_records
                .get_or_create(&DropLabels {
                    pipeline: self.pipeline.clone(),
                    reason: "no_dead_letter",
                })
                .inc_by(records as u64);
            tracing::error!(pipeline = %self.pipeline, records,
                reason = diverted.as_deref().unwrap_or("-"),
                "dropping records: the pipeline has no dead_letter exporters");
            return;
        }
        // Records an exporter refuses for good become dead letters, unless
        // they are dead letters already.
        let dead_letter =
            (diverted.is_none() && !self.dead_letter.is_empty()).then(|| self.dead_letter.clone());
        let batch = Arc::new(envelope.batch);
        for target in targets.iter() {
            target.send_blocking(ExportJob {
                batch: batch.clone(),
                acks: envelope.acks.clone(),
                dead_letter: dead_letter.clone(),
            });
        }
    }
}
