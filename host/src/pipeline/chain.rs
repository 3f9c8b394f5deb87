//! A pipeline's plugin chain, as one worker runs it: each plugin in turn
//! over the batch; records a plugin routes leave the chain at once, kept
//! records go on to the next plugin, and what survives the last plugin
//! goes to the pipeline's exporters. Before each batch the worker's chain
//! catches up with the pipeline's published [`ChainPlan`](super::plan::ChainPlan):
//! instances of stages it already runs are kept, new stages' prepared
//! instances are taken over, and instances of stages no longer in the plan
//! are dropped.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Instant;

use prometheus_client::metrics::counter::Counter;

use crate::plugin::{DEAD_LETTER_ROUTE, Instance};
use crate::telemetry::metrics::{Metrics, PluginFailureLabels, PluginLabels};

use super::envelope::Envelope;
use super::plan::ChainSource;
use super::queue_bytes::Held;

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
    /// (stage id, counters, instance), in chain order.
    instances: Vec<(u64, StageCounters, Instance)>,
    metrics: Arc<Metrics>,
}

/// One stage's per-batch counters, found once when the worker adopts the
/// stage: looking them up per batch would hash the labels and take each
/// metric family's lock, which every worker shares.
struct StageCounters {
    labels: PluginLabels,
    seconds: Counter<f64, AtomicU64>,
    kept: Counter,
    routed: Counter,
    dropped: Counter,
}

impl StageCounters {
    fn new(labels: PluginLabels, m: &Metrics) -> StageCounters {
        StageCounters {
            seconds: m.plugin_seconds.get_or_create(&labels).clone(),
            kept: m.plugin_kept_records.get_or_create(&labels).clone(),
            routed: m.plugin_routed_records.get_or_create(&labels).clone(),
            dropped: m.plugin_dropped_records.get_or_create(&labels).clone(),
            labels,
        }
    }
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
                    let counters = StageCounters::new(stage.labels.clone(), &self.metrics);
                    (stage.id, counters, instance)
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
        // The worker keeps the envelope's held bytes until it has
        // delivered what comes out; the envelopes made here hold none.
        let mut current = Some(envelope);
        for (_, counters, instance) in &mut self.instances {
            let Some(envelope) = current.take() else {
                break;
            };
            let Envelope { batch, acks, .. } = envelope;
            let envelope_acks = acks;
            let started = Instant::now();
            let processed = instance.process(batch);
            counters.seconds.inc_by(started.elapsed().as_secs_f64());
            let r = &processed.routed;
            counters.kept.inc_by(r.kept() as u64);
            counters.routed.inc_by(r.routed() as u64);
            counters.dropped.inc_by(r.dropped as u64);
            if let Some(failure) = &processed.failure {
                let labels = &counters.labels;
                self.metrics
                    .plugin_failures
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
                        held: Held::default(),
                    },
                ));
            }
            current = processed.routed.keep.map(|batch| Envelope {
                batch,
                acks: envelope_acks,
                held: Held::default(),
            });
        }
        if let Some(envelope) = current {
            out.push((Destination::Main, envelope));
        }
        out
    }
}
