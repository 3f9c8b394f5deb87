//! The validating pass over OTLP protobuf requests (`otlp::wire`), the
//! one way in for protobuf bodies from OTLP/HTTP, OTLP/gRPC and Kafka.
//!
//! Input: a byte choosing the signal, then the request bytes. Checks,
//! against a full prost decode of the same bytes:
//! - the walk accepts exactly what prost accepts (the property tests in
//!   `otlp/wire/tests.rs` allow no difference, and neither does this);
//! - on an accepted request, the index counts the records prost decodes,
//!   and every column accessor (`severity_numbers`, `names`,
//!   `time_unix_nano`, `attributes`, `attribute`, `attribute_column`)
//!   answers what the decoded request holds;
//! - splicing a subset of the records (flags taken from the input) gives
//!   what decode → retain gives, and the spliced bytes re-validate to the
//!   index the splice built.

use bytes::Bytes;
use prost::Message;

use super::{encode, prost_decode, signal_of};
use crate::otlp::common::{AnyValue, KeyValue};
use crate::otlp::wire::{self, AttributeOwner, Index};
use crate::otlp::{Batch, Signal, find_attribute};

const OWNERS: [AttributeOwner; 3] = [
    AttributeOwner::Resource,
    AttributeOwner::Scope,
    AttributeOwner::Record,
];

/// Runs the checks on one input.
pub fn check(data: &[u8]) {
    let Some((&first, bytes)) = data.split_first() else {
        return;
    };
    let signal = signal_of(first);
    let walked = Index::walk(signal, bytes);
    let decoded = prost_decode(signal, bytes);
    let payload = match (walked, decoded) {
        (Ok(_), Ok(payload)) => payload,
        (Err(_), Err(_)) => return,
        (walk, prost) => panic!(
            "the walk and prost disagree on a {signal} request: walk {:?}, prost {:?}",
            walk.err(),
            prost.err()
        ),
    };
    let (canonical, index) = wire::parse(signal, Bytes::copy_from_slice(bytes))
        .unwrap_or_else(|e| panic!("walked, then refused by parse: {e}"));
    let reference = Batch::from(payload);
    accessors_agree(&canonical, &index, &reference);
    let keep: Vec<bool> = (0..index.len())
        .map(|i| data[i % data.len()] >> (i % 8) & 1 == 1)
        .collect();
    splice_agrees(signal, &canonical, &index, reference, &keep);
}

/// A value by its encoding (NaN-safe).
fn value_bytes(value: Option<&AnyValue>) -> Option<Vec<u8>> {
    value.map(Message::encode_to_vec)
}

fn attributes_bytes(attributes: &[KeyValue]) -> Vec<Vec<u8>> {
    attributes.iter().map(Message::encode_to_vec).collect()
}

/// The decoded answer to "attributes of record `record`'s `owner`".
fn reference_attributes(batch: &Batch, owner: AttributeOwner, record: u32) -> Vec<KeyValue> {
    match owner {
        AttributeOwner::Resource => batch.resource(record).map(|r| r.attributes.clone()),
        AttributeOwner::Scope => batch.scope(record).map(|s| s.attributes.clone()),
        AttributeOwner::Record => batch.record_attributes(record).map(<[_]>::to_vec),
    }
    .unwrap_or_default()
}

fn reference_time(batch: &Batch, record: u32) -> Option<u64> {
    match batch.signal() {
        Signal::Logs => batch.log(record).map(|l| l.time_unix_nano),
        Signal::Traces => batch.span(record).map(|s| s.start_time_unix_nano),
        Signal::Metrics => batch.point(record).map(|p| p.time_unix_nano()),
    }
}

fn accessors_agree(bytes: &[u8], index: &Index, reference: &Batch) {
    assert_eq!(index.len(), reference.len(), "record count");
    assert_eq!(
        index.severity_numbers(bytes),
        reference.severity_numbers(),
        "severity numbers"
    );
    assert_eq!(index.names(bytes), reference.names(), "names");
    // Keys that occur (so that lookups hit), a key that does not, and
    // the empty key.
    let mut keys = vec![String::new(), "service.name".to_string()];
    for record in 0..index.len() {
        assert_eq!(
            index.time_unix_nano(bytes, record),
            reference_time(reference, record as u32),
            "time of record {record}"
        );
        for owner in OWNERS {
            let want = reference_attributes(reference, owner, record as u32);
            let got = index.attributes(bytes, owner, record);
            assert_eq!(
                attributes_bytes(&got),
                attributes_bytes(&want),
                "{owner:?} attributes of record {record}"
            );
            if keys.len() < 8 {
                keys.extend(want.iter().take(2).map(|kv| kv.key.clone()));
            }
        }
    }
    for owner in OWNERS {
        for key in &keys {
            let column = index.attribute_column(bytes, owner, key);
            assert_eq!(column.len(), index.len(), "column length");
            for (record, got) in column.iter().enumerate() {
                let attributes = reference_attributes(reference, owner, record as u32);
                let want = value_bytes(find_attribute(&attributes, key));
                assert_eq!(
                    value_bytes(got.as_ref()),
                    want,
                    "column {owner:?} {key:?} of record {record}"
                );
                assert_eq!(
                    value_bytes(index.attribute(bytes, owner, record, key).as_ref()),
                    want,
                    "attribute {owner:?} {key:?} of record {record}"
                );
            }
        }
    }
}

fn splice_agrees(signal: Signal, bytes: &[u8], index: &Index, reference: Batch, keep: &[bool]) {
    let mut expected = reference;
    expected.retain(keep);
    let (out, out_index) = match index.select(bytes, keep) {
        Some(spliced) => spliced,
        None => (bytes.to_vec(), index.clone()),
    };
    let decoded = prost_decode(signal, &out)
        .unwrap_or_else(|e| panic!("the spliced request does not decode: {e}"));
    assert_eq!(
        encode(&decoded),
        encode(expected.payload()),
        "splice and retain keep different records"
    );
    let walked = Index::walk(signal, &out)
        .unwrap_or_else(|e| panic!("the spliced request does not re-validate: {e}"));
    assert!(walked.canonical, "the spliced request is not canonical");
    assert_eq!(walked.index, out_index, "the splice's index");
}
