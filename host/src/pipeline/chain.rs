//! A pipeline's plugin chain, as one worker runs it: each plugin in turn
//! over the batch; records a plugin routes leave the chain at once, kept
//! records go on to the next plugin, and what survives the last plugin
//! goes to the pipeline's exporters.

use std::sync::Arc;
use std::time::Instant;

use crate::plugin::{DEAD_LETTER_ROUTE, Instance};
use crate::telemetry::metrics::{Metrics, PluginFailureLabels, PluginLabels};

use super::envelope::Envelope;

/// Where records leaving the chain go.
#[derive(Debug, PartialEq, Eq)]
pub enum Destination {
    /// The pipeline's exporters.
    Main,
    /// A named route (resolved by the pipeline's outputs).
    Route(String),
    /// The dead-letter exporters: a plugin failed on the batch.
    DeadLetter,
}

/// One worker's instances of the pipeline's plugins, in order.
pub struct Chain {
    instances: Vec<(PluginLabels, Instance)>,
    metrics: Arc<Metrics>,
}

impl Chain {
    /// A chain of these instances, labelled for metrics.
    pub fn new(instances: Vec<(PluginLabels, Instance)>, metrics: Arc<Metrics>) -> Chain {
        Chain { instances, metrics }
    }

    /// Runs the chain over one envelope; returns where its records go.
    pub fn run(&mut self, envelope: Envelope) -> Vec<(Destination, Envelope)> {
        let mut out = Vec::new();
        let Envelope { batch, acks } = envelope;
        let mut current = Some(Envelope { batch, acks });
        for (labels, instance) in &mut self.instances {
            let Some(envelope) = current.take() else {
                break;
            };
            let Envelope { batch, acks } = envelope;
            let envelope_acks = acks;
            let started = Instant::now();
            let processed = instance.process(batch);
            let m = &self.metrics;
            m.plugin_seconds
                .get_or_create(labels)
                .inc_by(started.elapsed().as_secs_f64());
            let r = &processed.routed;
            m.plugin_kept_records
                .get_or_create(labels)
                .inc_by(r.kept() as u64);
            m.plugin_routed_records
                .get_or_create(labels)
                .inc_by(r.routed() as u64);
            m.plugin_dropped_records
                .get_or_create(labels)
                .inc_by(r.dropped as u64);
            if let Some(failure) = &processed.failure {
                m.plugin_failures
                    .get_or_create(&PluginFailureLabels {
                        pipeline: labels.pipeline.clone(),
                        plugin: labels.plugin.clone(),
                        kind: failure.kind(),
                    })
                    .inc();
            }
            let failed = processed.failure.is_some();
            for (name, routed) in processed.routed.routes {
                let destination = if failed && name == DEAD_LETTER_ROUTE {
                    Destination::DeadLetter
                } else {
                    Destination::Route(name)
                };
                out.push((
                    destination,
                    Envelope {
                        batch: routed,
                        acks: envelope_acks.clone(),
                    },
                ));
            }
            current = processed.routed.keep.map(|batch| Envelope {
                batch,
                acks: envelope_acks,
            });
        }
        if let Some(envelope) = current {
            out.push((Destination::Main, envelope));
        }
        out
    }
}
