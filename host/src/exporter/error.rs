//! Why an export failed, and whether trying again can help.
//!
//! The OTLP specification splits failures into retryable (the destination
//! is down, overloaded or throttling: 429, 502, 503, 504, `UNAVAILABLE`,
//! a refused connection) and permanent (the destination refused the data
//! itself: 400, 413, `INVALID_ARGUMENT`). A sink says which; the queue in
//! front of it retries the first kind and gives up on the second. A third
//! kind says that some records were refused for good and the rest were
//! delivered, so that only those records go to the dead-letter exporters.

use std::sync::Arc;
use std::time::Duration;

use crate::otlp::Batch;

/// A failed export.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ExportError {
    /// Trying again later may succeed.
    #[error("{reason}")]
    Retryable {
        /// What went wrong.
        reason: String,
        /// How long the destination asked us to wait (`Retry-After`).
        retry_after: Option<Duration>,
    },
    /// The destination will never take this batch.
    #[error("{0}")]
    Permanent(String),
    /// The destination took every record but `refused`, which it will
    /// never take (e.g. a record larger than Kafka's message limit).
    #[error("{reason}")]
    PartlyRefused {
        /// Why the records were refused.
        reason: String,
        /// The refused records, with their resources and scopes.
        refused: Arc<Batch>,
    },
}

impl ExportError {
    /// A retryable failure without a requested delay.
    pub fn retryable(reason: impl Into<String>) -> ExportError {
        ExportError::Retryable {
            reason: reason.into(),
            retry_after: None,
        }
    }

    /// Whether trying again may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, ExportError::Retryable { .. })
    }
}
