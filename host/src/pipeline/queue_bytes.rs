//! A pipeline's limit on the bytes it holds: the requests waiting in its
//! input queue, in the batcher and in the work queue, and the batch a
//! worker is running, until the worker has handed the result to the
//! exporters' queues. A count of requests alone does not bound memory
//! (one request may be a few bytes or the receiver's whole limit); with
//! this, a receiver answers "retry later" once the bytes reach
//! `queue_size_mib`, however many connections send at once.
//!
//! The bytes of a request are those of its batch as OTLP protobuf (for a
//! request that arrived as protobuf, exactly the body as decompressed).
//! The count is the pipeline's `weir_pipeline_queue_bytes` gauge itself,
//! so what the limit sees is what the metric shows.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use prometheus_client::metrics::gauge::Gauge;

/// The byte budget of one pipeline's queues.
#[derive(Debug)]
pub struct QueueBytes {
    limit: i64,
    used: Gauge,
}

impl QueueBytes {
    /// A budget of `limit` bytes, counted in `used`.
    pub fn new(limit: u64, used: Gauge) -> Arc<QueueBytes> {
        Arc::new(QueueBytes {
            limit: i64::try_from(limit).unwrap_or(i64::MAX),
            used,
        })
    }

    /// Takes `bytes` from the budget, or `None` if that would pass the
    /// limit. A request is taken whatever its size while the budget is
    /// unused: one larger than the limit (the receivers' own size limits
    /// bound it) must not be refused for ever.
    pub fn try_hold(self: &Arc<Self>, bytes: usize) -> Option<Held> {
        let bytes = i64::try_from(bytes).unwrap_or(i64::MAX);
        // A compare-and-swap on the gauge's own atomic, so the count never
        // passes the limit even for a moment (a scrape would show it).
        self.used
            .inner()
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                (used == 0 || used.saturating_add(bytes) <= self.limit)
                    .then(|| used.saturating_add(bytes))
            })
            .ok()?;
        Some(Held {
            budget: Some(self.clone()),
            bytes,
        })
    }
}

/// Bytes taken from a pipeline's budget, given back when dropped. The
/// default holds nothing (a batch that entered without the receivers'
/// way in, or a part cut off a larger batch whose remainder holds the
/// bytes).
#[derive(Debug, Default)]
pub struct Held {
    budget: Option<Arc<QueueBytes>>,
    bytes: i64,
}

impl Held {
    /// Takes over what `other` holds, so both are given back together
    /// (batches merged by the batcher).
    pub fn absorb(&mut self, mut other: Held) {
        match (&self.budget, other.budget.take()) {
            (_, None) => {}
            (None, Some(budget)) => {
                self.budget = Some(budget);
                self.bytes = other.bytes;
            }
            (Some(mine), Some(theirs)) if Arc::ptr_eq(mine, &theirs) => {
                self.bytes += other.bytes;
            }
            // Another pipeline's budget: cannot happen (a batcher serves
            // one pipeline); give it back now rather than hold it wrongly.
            (Some(_), Some(theirs)) => {
                theirs.used.dec_by(other.bytes);
            }
        }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Some(budget) = self.budget.take() {
            budget.used.dec_by(self.bytes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_up_to_the_limit_and_gives_back_on_drop() {
        let used = Gauge::default();
        let budget = QueueBytes::new(100, used.clone());
        let a = budget.try_hold(60).expect("fits");
        let b = budget.try_hold(40).expect("fits exactly");
        assert!(budget.try_hold(1).is_none(), "over the limit");
        assert_eq!(used.get(), 100, "a refusal leaves no trace");
        drop(a);
        assert_eq!(used.get(), 40);
        let c = budget.try_hold(60).expect("fits again");
        drop((b, c));
        assert_eq!(used.get(), 0);
    }

    #[test]
    fn one_request_over_the_limit_is_taken_when_nothing_else_is_held() {
        let used = Gauge::default();
        let budget = QueueBytes::new(100, used.clone());
        let big = budget
            .try_hold(500)
            .expect("an empty budget takes anything");
        assert!(budget.try_hold(1).is_none());
        drop(big);
        assert_eq!(used.get(), 0);
    }

    #[test]
    fn absorbed_holdings_are_given_back_together() {
        let used = Gauge::default();
        let budget = QueueBytes::new(100, used.clone());
        let mut merged = Held::default();
        merged.absorb(budget.try_hold(30).unwrap());
        merged.absorb(budget.try_hold(20).unwrap());
        merged.absorb(Held::default());
        assert_eq!(used.get(), 50);
        drop(merged);
        assert_eq!(used.get(), 0);
    }

    #[test]
    fn another_budgets_holding_is_given_back_not_kept() {
        let (mine, theirs) = (Gauge::default(), Gauge::default());
        let a = QueueBytes::new(100, mine.clone());
        let b = QueueBytes::new(100, theirs.clone());
        let mut held = a.try_hold(10).unwrap();
        held.absorb(b.try_hold(10).unwrap());
        assert_eq!((mine.get(), theirs.get()), (10, 0));
        drop(held);
        assert_eq!(mine.get(), 0);
    }
}
