//! The OTLP/JSON request decoder, as OTLP/HTTP (`application/json`) and
//! the Kafka receiver (`otlp_json`) call it: the body must be UTF-8, then
//! `Batch::from_json_as` for the signal the path or topic names.
//!
//! Input: a byte choosing the signal, then the body. Checks beyond not
//! crashing: an accepted request's protobuf encoding — what the exporters
//! send on — passes the validating pass (`otlp::wire`) with the same
//! record count, so nothing JSON lets in is refused or miscounted
//! downstream; and it survives a JSON round trip (decode → encode →
//! decode gives the same request).

use super::{encode, signal_of};
use crate::otlp::Batch;

/// Runs the checks on one input.
pub fn check(data: &[u8]) {
    let Some((&first, body)) = data.split_first() else {
        return;
    };
    let signal = signal_of(first);
    // Both receivers refuse a body that is not UTF-8 before decoding it.
    let Ok(text) = std::str::from_utf8(body) else {
        return;
    };
    // Telling the signal from the keys must not crash either.
    let _ = Batch::from_json(text);
    let Ok(batch) = Batch::from_json_as(signal, text) else {
        return;
    };
    let bytes = batch.encode();
    let wire = Batch::from_bytes(signal, bytes.clone()).unwrap_or_else(|e| {
        panic!(
            "an accepted OTLP/JSON {signal} request encodes to protobuf the wire pass refuses: {e}"
        )
    });
    assert_eq!(wire.len(), batch.len(), "record count after re-encoding");

    let json = batch.to_json_value().to_string();
    let again = Batch::from_json_as(signal, &json).unwrap_or_else(|e| {
        panic!("weir's own OTLP/JSON of an accepted request is refused: {e}\n{json}")
    });
    assert_eq!(
        encode(again.payload()),
        encode(batch.payload()),
        "the JSON round trip changed the request"
    );
}
