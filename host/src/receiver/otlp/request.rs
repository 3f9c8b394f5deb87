//! One way in for OTLP protobuf requests, whichever transport brought
//! them: the request bytes (decompressed, within the size limit) are
//! validated and indexed into a [`Batch`] without being copied, or refused
//! as malformed with the place and reason.

use bytes::Bytes;

use crate::otlp::{Batch, Signal};
use crate::receiver::{Refusal, RefusalKind};

/// The batch of a protobuf export request of `signal`.
pub(super) fn protobuf_batch(signal: Signal, bytes: Bytes) -> Result<Batch, Refusal> {
    Batch::from_bytes(signal, bytes)
        .map_err(|e| Refusal::new(RefusalKind::Malformed, e.to_string()))
}
