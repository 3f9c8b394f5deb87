//! The chain plan: which plugin versions a pipeline's workers run, in
//! which order, published as one immutable value that hot reload swaps.
//!
//! A worker checks the plan's generation before each batch (one atomic
//! load) and adopts a new plan only between batches, so every batch goes
//! through exactly one version of each plugin, and batches already inside
//! a plugin finish on the version they started with. Everything slow about
//! a new version — compiling, checking, instantiating and running `init`
//! with its configuration — happens before the plan is published: a
//! [`Stage`] carries one ready instance per worker, so adopting a plan only
//! moves instances around.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;

use crate::plugin::{Instance, InstanceOptions, Plugin};
use crate::telemetry::metrics::PluginLabels;

/// One plugin version at one position of one pipeline's chain.
pub struct Stage {
    /// Unique across the process: workers match the instances they hold
    /// to stages by it.
    pub id: u64,
    /// Pipeline and processor id, for metrics.
    pub labels: PluginLabels,
    /// The loaded plugin version.
    pub plugin: Arc<Plugin>,
    /// How its instances run.
    pub options: InstanceOptions,
    /// One initialised instance per worker, taken when the worker adopts
    /// the plan.
    ready: Vec<Mutex<Option<Instance>>>,
}

impl Stage {
    /// Makes a stage with `workers` initialised instances. Fails if the
    /// plugin refuses its configuration or cannot start.
    pub fn prepare(
        labels: PluginLabels,
        plugin: Arc<Plugin>,
        options: InstanceOptions,
        workers: usize,
    ) -> crate::plugin::Result<Stage> {
        let ready = (0..workers)
            .map(|_| {
                plugin
                    .instantiate(options.clone())
                    .map(|i| Mutex::new(Some(i)))
            })
            .collect::<Result<_, _>>()?;
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        Ok(Stage {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            labels,
            plugin,
            options,
            ready,
        })
    }

    /// Worker `worker`'s instance: the one prepared for it, or a new one
    /// if that is gone (a worker beyond those prepared for).
    pub(crate) fn take_instance(&self, worker: usize) -> crate::plugin::Result<Instance> {
        let prepared = self
            .ready
            .get(worker)
            .and_then(|slot| slot.lock().unwrap_or_else(|e| e.into_inner()).take());
        match prepared {
            Some(instance) => Ok(instance),
            None => self.plugin.instantiate(self.options.clone()),
        }
    }
}

impl Stage {
    /// Returns an instance taken by [`Stage::take_instance`] that the
    /// worker could not use after all.
    pub(crate) fn give_back(&self, worker: usize, instance: Instance) {
        if let Some(slot) = self.ready.get(worker) {
            *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(instance);
        }
    }
}

/// A pipeline's chain: the stages in order, and a generation number that
/// changes with every publication.
pub struct ChainPlan {
    /// Increases with each plan published to the same source.
    pub generation: u64,
    /// The stages, in the order records pass through them.
    pub stages: Vec<Arc<Stage>>,
}

/// Where a pipeline's workers find the current plan; the reloader
/// publishes new ones.
#[derive(Clone)]
pub struct ChainSource(Arc<ArcSwap<ChainPlan>>);

impl ChainSource {
    /// A source whose first plan has these stages.
    pub fn new(stages: Vec<Arc<Stage>>) -> ChainSource {
        ChainSource(Arc::new(ArcSwap::from_pointee(ChainPlan {
            generation: 1,
            stages,
        })))
    }

    /// The current plan.
    pub fn current(&self) -> Arc<ChainPlan> {
        self.0.load_full()
    }

    /// The current plan's generation, without taking a reference to it.
    pub fn generation(&self) -> u64 {
        self.0.load().generation
    }

    /// Publishes a plan with these stages; workers adopt it before their
    /// next batch. Only the reloader publishes, so generations cannot race.
    pub fn publish(&self, stages: Vec<Arc<Stage>>) {
        let generation = self.generation() + 1;
        self.0.store(Arc::new(ChainPlan { generation, stages }));
    }
}
