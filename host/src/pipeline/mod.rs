//! Pipelines: from the receivers' requests to the exporters.
//!
//! ```text
//! receivers ──try_send──▶ input queue ──▶ batcher ──▶ work queue ──▶ workers (plugin chain) ──▶ outputs ──▶ exporters
//! ```
//!
//! Without a `batch` processor the workers take from the input queue
//! directly.
//!
//! Every queue is bounded. A full input queue is the receivers' signal to
//! answer "retry later"; a full work or exporter queue makes the stage
//! before it wait. Each request carries an [`Ack`] that resolves when every
//! exporter its records reached has accepted them. Shutdown is by closing:
//! when the receivers drop their senders the batcher flushes, the workers
//! drain, and the caller closes the exporters.

mod batcher;
mod chain;
mod demand;
mod envelope;
mod memory_limiter;
mod outputs;
mod plan;
mod queue_bytes;

use std::sync::Arc;
use std::thread::JoinHandle;

use indexmap::IndexMap;

pub use crate::ack::Ack;
pub use chain::Chain;
pub use demand::Demand;
pub use envelope::Envelope;
pub use memory_limiter::MemoryLimiter;
pub use outputs::Outputs;
pub use plan::{ChainSource, Stage};
use queue_bytes::QueueBytes;

use crate::config::PipelineSpec;
use crate::exporter::ExporterHandle;
use crate::otlp::Signal;
use crate::telemetry::metrics::{Metrics, PipelineLabels};

/// A running pipeline.
pub struct Pipeline {
    /// Its signal.
    pub signal: Signal,
    input: Option<async_channel::Sender<Envelope>>,
    queue_bytes: Arc<QueueBytes>,
    memory_limiter: Option<Arc<MemoryLimiter>>,
    batcher: Option<tokio::task::JoinHandle<()>>,
    workers: Vec<JoinHandle<()>>,
}

/// A receiver's way into a pipeline.
#[derive(Clone, Debug)]
pub struct PipelineInput {
    tx: async_channel::Sender<Envelope>,
    queue_bytes: Arc<QueueBytes>,
    memory_limiter: Option<Arc<MemoryLimiter>>,
}

/// Why a pipeline did not take a request.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// Its queue is full: retry later.
    Overloaded,
    /// It is shutting down.
    Closed,
}

impl PipelineInput {
    /// Why the pipeline's memory limiter refuses data now, if it does.
    /// Receivers ask before they take a request in (before reading an
    /// HTTP body): what was let in goes on, within the spike allowance,
    /// rather than being read and then refused — which under load lets
    /// nothing through.
    pub fn memory_refusal(&self) -> Option<String> {
        self.memory_limiter.as_ref()?.refusal()
    }

    /// Offers an envelope without waiting: refused when the queue holds
    /// `queue_size` requests or `queue_size_mib` of bytes.
    pub fn try_send(&self, mut envelope: Envelope) -> Result<(), Refused> {
        envelope.held = self
            .queue_bytes
            .try_hold(envelope.batch.encoded_len())
            .ok_or(Refused::Overloaded)?;
        self.tx.try_send(envelope).map_err(|e| match e {
            async_channel::TrySendError::Full(_) => Refused::Overloaded,
            async_channel::TrySendError::Closed(_) => Refused::Closed,
        })
    }
}

#[cfg(test)]
impl PipelineInput {
    /// An input with room for `capacity` requests whose envelopes the test
    /// takes from the returned channel (and settles, or holds).
    pub(crate) fn for_tests(capacity: usize) -> (PipelineInput, async_channel::Receiver<Envelope>) {
        let (tx, rx) = async_channel::bounded(capacity);
        let input = PipelineInput {
            tx,
            queue_bytes: QueueBytes::new(u64::MAX, Default::default()),
            memory_limiter: None,
        };
        (input, rx)
    }
}

impl Pipeline {
    /// Starts the pipeline's batcher and `workers` worker threads, whose
    /// plugin chains follow the plans published to `plugins`.
    pub fn start(
        spec: &PipelineSpec,
        plugins: &ChainSource,
        memory_limiter: Option<Arc<MemoryLimiter>>,
        exporters: &IndexMap<String, ExporterHandle>,
        metrics: Arc<Metrics>,
        workers: usize,
        handle: &tokio::runtime::Handle,
    ) -> anyhow::Result<Pipeline> {
        let pick = |ids: &[String]| -> Vec<ExporterHandle> {
            ids.iter()
                .map(|id| exporters[id.as_str()].clone())
                .collect()
        };
        let (input_tx, input_rx) = async_channel::bounded::<Envelope>(spec.queue_size);
        // With a batcher, it takes from the input queue and hands batches
        // to the workers through a short queue of its own; without one,
        // the workers take from the input queue themselves (a task in
        // between would cost a hand-over and a wake-up per request).
        let (work_tx, work_rx) = match spec.batch {
            Some(_) => async_channel::bounded::<Envelope>(workers * 2),
            None => (input_tx.clone(), input_rx.clone()),
        };
        let demand = Arc::new(Demand::default());
        let mut threads = Vec::new();
        for n in 0..workers {
            let mut chain = Chain::new(plugins.clone(), n, metrics.clone());
            let outputs = Outputs {
                pipeline: spec.id.clone(),
                main: pick(&spec.exporters),
                routes: spec
                    .routes
                    .iter()
                    .map(|(name, ids)| (name.clone(), pick(ids)))
                    .collect(),
                dead_letter: pick(&spec.dead_letter).into(),
                metrics: metrics.clone(),
            };
            let rx = work_rx.clone();
            let demand = demand.clone();
            threads.push(
                std::thread::Builder::new()
                    .name(format!("{}-worker-{n}", spec.id))
                    .spawn(move || {
                        loop {
                            demand.idle();
                            let Ok(mut envelope) = rx.recv_blocking() else {
                                break;
                            };
                            demand.busy();
                            // Given back once the exporters' queues have
                            // the records (a full one makes this wait).
                            let held = std::mem::take(&mut envelope.held);
                            for (destination, share) in chain.run(envelope) {
                                outputs.deliver(destination, share);
                            }
                            drop(held);
                            crate::allocator::tidy_this_thread();
                        }
                    })?,
            );
        }

        let labels = PipelineLabels {
            pipeline: spec.id.clone(),
        };
        let queue_bytes = QueueBytes::new(
            spec.queue_size_mib << 20,
            metrics.pipeline_queue_bytes.get_or_create(&labels).clone(),
        );
        // A weak sender, so the probe does not keep the queue open.
        let weak = input_tx.downgrade();
        metrics.probe_queue(
            labels,
            Box::new(move || weak.upgrade().map_or(0, |tx| tx.len() as i64)),
        );
        let batcher = spec.batch.clone().map(|settings| {
            handle.spawn(batcher::run(settings, input_rx, work_tx.clone(), demand))
        });
        drop(work_tx);
        Ok(Pipeline {
            signal: spec.signal,
            input: Some(input_tx),
            queue_bytes,
            memory_limiter,
            batcher,
            workers: threads,
        })
    }

    /// A way in for a receiver.
    pub fn input(&self) -> PipelineInput {
        PipelineInput {
            tx: self.input.clone().expect("input taken only at shutdown"),
            queue_bytes: self.queue_bytes.clone(),
            memory_limiter: self.memory_limiter.clone(),
        }
    }

    /// Waits until everything the receivers handed in has gone through the
    /// workers. Call after the receivers have stopped (dropping their
    /// inputs); the exporters are closed by the caller afterwards.
    pub async fn drain(mut self) {
        self.input = None;
        if let Some(batcher) = self.batcher.take() {
            let _ = batcher.await;
        }
        let workers = std::mem::take(&mut self.workers);
        let _ = tokio::task::spawn_blocking(move || {
            for worker in workers {
                let _ = worker.join();
            }
        })
        .await;
    }
}
