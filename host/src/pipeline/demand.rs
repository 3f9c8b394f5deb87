//! [`Demand`]: how many of a pipeline's workers are waiting for work.
//!
//! The batcher asks this before holding a partial batch back: when a
//! worker is idle and nothing is queued for it, waiting for more records
//! gains nothing (the batch would be processed now either way) and costs
//! the senders their latency. Workers are plain threads, so the count is
//! an atomic and the wake-up a [`Notify`], which keeps a permit for a
//! batcher that was not yet waiting — no wake-up is lost between the
//! batcher's check and its wait.

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Notify;

/// The idle workers of one pipeline.
#[derive(Debug, Default)]
pub struct Demand {
    idle: AtomicUsize,
    became_idle: Notify,
}

impl Demand {
    /// A worker is about to wait for work.
    pub fn idle(&self) {
        self.idle.fetch_add(1, Ordering::SeqCst);
        self.became_idle.notify_one();
    }

    /// A worker got work.
    pub fn busy(&self) {
        self.idle.fetch_sub(1, Ordering::SeqCst);
    }

    /// Whether a batch sent now would be taken at once: more workers idle
    /// than batches already queued for them.
    pub fn would_take(&self, queued: usize) -> bool {
        self.idle.load(Ordering::SeqCst) > queued
    }

    /// Resolves when a worker has become idle since the last call (or at
    /// once if one did while nobody was waiting).
    pub async fn changed(&self) {
        self.became_idle.notified().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_worker_that_went_idle_before_the_wait_still_wakes_it() {
        let demand = Demand::default();
        assert!(!demand.would_take(0));
        demand.idle();
        // The permit was stored: this returns at once.
        demand.changed().await;
        assert!(demand.would_take(0));
        assert!(!demand.would_take(1), "its work is already queued");
        demand.busy();
        assert!(!demand.would_take(0));
    }
}
