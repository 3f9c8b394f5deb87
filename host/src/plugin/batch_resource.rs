//! The batch as the guest sees it: a host resource lent for one call.
//!
//! The first change a guest makes saves a copy of the batch as it arrived,
//! so that a plugin failing half-way through a transform can be undone and
//! the batch passed on unchanged, as its failure policy promises. Filters
//! and routers never change the batch, so they never pay for the copy.

use crate::otlp::Batch;

/// A batch lent to a guest for the duration of one `process` call.
pub struct BatchResource {
    batch: Batch,
    /// The batch as it arrived, saved before the first change.
    original: Option<Batch>,
}

impl BatchResource {
    pub(crate) fn new(batch: Batch) -> BatchResource {
        BatchResource {
            batch,
            original: None,
        }
    }

    pub(crate) fn batch(&self) -> &Batch {
        &self.batch
    }

    /// The batch, for a change: saves the original first.
    pub(crate) fn batch_mut(&mut self) -> &mut Batch {
        if self.original.is_none() {
            self.original = Some(self.batch.clone());
        }
        &mut self.batch
    }

    /// The batch with the guest's changes, and the batch as it arrived if
    /// the guest changed it.
    pub(crate) fn into_parts(self) -> (Batch, Option<Batch>) {
        (self.batch, self.original)
    }

    /// The batch as it arrived, without the guest's changes.
    pub(crate) fn into_original(self) -> Batch {
        self.original.unwrap_or(self.batch)
    }
}
