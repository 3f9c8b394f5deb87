//! A pipeline's plugin chain, as one worker runs it: each plugin in turn
//! over the batch; records a plugin routes leave the chain at once, kept
//! records go on to the next plugin, and what survives the last plugin
//! goes to the pipeline's exporters. Before each batch the worker's chain
//! catches up with the pipeline's published [`ChainPlan`](super::plan::ChainPlan):
//! instances of stages it already runs are kept, new stages' prepared
//! instances are taken over, and instances of stages no longer in the plan
//! are dropped.

use std::sync::Arc;
use std::time::Instant;

use crate::plugin::{DEAD_LETTER_ROUTE, Instance};
use crate::telemetry::metrics::{Metrics, PluginFailureLabels, PluginLabels};

use super::envelope::Envelope;
use super::plan::ChainSource;

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
    source: ChainSource,
    worker: usize,
    /// The generation of the plan `instances` follow.
    generation: u64,
    /// (stage id, labels, instance), in chain order.
    instances: Vec<(u64, PluginLabels, Instance)>,
    metrics: Arc<Metrics>,
}

impl Chain {
    /// Worker `worker`'s chain, following the plans published to `source`.
    pub fn new(source: ChainSource, worker: usize, metrics: Arc<Metrics>) -> Chain {
        let mut chain = Chain {
            source,
            worker,
            generation: 0,
            instances: Vec::new(),
            metrics,
        };
        chain.sync();
        chain
    }

    /// Adopts the published plan if it is newer than the one this chain
    /// follows. Called between batches only.
    fn sync(&mut self) {
        if self.source.generation() == self.generation {
            return;
        }
        let plan = self.source.current();
        // First the instances of stages new to this worker, so that a
        // failure leaves the chain as it was.
        let mut fresh = Vec::new();
        for stage in &plan.stages {
            if self.instances.iter().any(|(id, _, _)| *id == stage.id) {
                continue;
            }
            match stage.take_instance(self.worker) {
                Ok(instance) => fresh.push((stage.clone(), instance)),
                Err(error) => {
                    // Only if a prepared instance went missing and a new
                    // one fails to start: stay on the previous chain and
                    // try again before the next batch, rather than run
                    // with a plugin missing.
                    tracing::error!(plugin = %stage.labels.plugin, %error,
                        "cannot start a plugin instance; keeping the previous chain");
                    for (stage, instance) in fresh {
                        stage.give_back(self.worker, instance);
                    }
                    return;
                }
            }
        }
        let mut old = std::mem::take(&mut self.instances);
        for stage in &plan.stages {
            let entry = match old.iter().position(|(id, _, _)| *id == stage.id) {
                Some(at) => old.swap_remove(at),
                None => {
                    let at = fresh
                        .iter()
                        .position(|(s, _)| s.id == stage.id)
                        .expect("an instance was taken for every new stage");
                    let (_, instance) = fresh.swap_remove(at);
                    (stage.id, stage.labels.clone(), instance)
                }
            };
            self.instances.push(entry);
        }
        // What is left in `old` belongs to stages no longer in the plan.
        self.generation = plan.generation;
    }

    /// Runs the chain over one envelope; returns where its records go.
    pub fn run(&mut self, envelope: Envelope) -> Vec<(Destination, Envelope)> {
        self.sync();
        let mut out = Vec::new();
        let Envelope { batch, acks } = envelope;
        let mut current = Some(Envelope { batch, acks });
        for (_, labels, instance) in &mut self.instances {
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
