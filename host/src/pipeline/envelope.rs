//! [`Envelope`]: a batch on its way through a pipeline, with the
//! acknowledgements of the requests it came from and the bytes it holds
//! of the pipeline's queue budget.

use super::queue_bytes::Held;
use crate::ack::Ack;
use crate::otlp::Batch;

/// A batch and the acknowledgements riding with it.
#[derive(Debug)]
pub struct Envelope {
    /// The records.
    pub batch: Batch,
    /// One share per request the records came from.
    pub acks: Vec<Ack>,
    /// Its requests' share of the pipeline's queue bytes, given back
    /// once a worker has handed the records on.
    pub held: Held,
}

impl Envelope {
    /// An envelope for one request.
    pub fn new(batch: Batch, ack: Ack) -> Envelope {
        Envelope {
            batch,
            acks: vec![ack],
            held: Held::default(),
        }
    }

    /// Another envelope for some of these records: same acknowledgements;
    /// the bytes stay held by this one.
    pub fn share(&self, batch: Batch) -> Envelope {
        Envelope {
            batch,
            acks: self.acks.clone(),
            held: Held::default(),
        }
    }
}
