//! [`Envelope`]: a batch on its way through a pipeline, with the
//! acknowledgements of the requests it came from.

use crate::otlp::Batch;

use crate::ack::Ack;

/// A batch and the acknowledgements riding with it.
#[derive(Debug)]
pub struct Envelope {
    /// The records.
    pub batch: Batch,
    /// One share per request the records came from.
    pub acks: Vec<Ack>,
}

impl Envelope {
    /// An envelope for one request.
    pub fn new(batch: Batch, ack: Ack) -> Envelope {
        Envelope {
            batch,
            acks: vec![ack],
        }
    }

    /// Another envelope for some of these records: same acknowledgements.
    pub fn share(&self, batch: Batch) -> Envelope {
        Envelope {
            batch,
            acks: self.acks.clone(),
        }
    }
}
