//! The Kafka receiver's message decode (`receiver/kafka/message.rs`), as
//! its worker runs it on each message: decode the payload in the topic's
//! encoding (`otlp_proto` or `otlp_json`), then copy the configured
//! headers onto every resource (`header_extraction`) — or, when the
//! payload cannot be decoded, build the dead-letter message's headers.
//!
//! Input: a byte choosing the signal (bits 0-1) and encoding (bit 2), a
//! byte with the number of headers (0-3), each header as a length byte
//! and key (decoded as the worker decodes keys, lossily) and a length
//! byte and value, then the payload. Checks beyond not crashing: after
//! header extraction every resource carries each extracted header once,
//! with the value of the message's first header of that name, and the
//! record count is unchanged; the batch still encodes to a request the
//! validating pass takes; a dead letter carries the original headers then
//! the error and origin.

use bytes::Bytes;
use rdkafka::message::Headers;

use super::signal_of;
use crate::kafka::Encoding;
use crate::otlp::common::any_value;
use crate::otlp::{Batch, Payload};
use crate::receiver::kafka::message::{dead_letter_headers, decode, extract_headers};
use crate::receiver::kafka::state::Message;

/// Splits `n` bytes off the front of `rest`, or all that is left.
fn take<'a>(rest: &mut &'a [u8], n: usize) -> &'a [u8] {
    let (head, tail) = rest.split_at(n.min(rest.len()));
    *rest = tail;
    head
}

fn byte(rest: &mut &[u8]) -> usize {
    take(rest, 1).first().copied().map_or(0, usize::from)
}

/// Runs the checks on one input.
pub fn check(data: &[u8]) {
    let mut rest = data;
    let choice = byte(&mut rest) as u8;
    let signal = signal_of(choice & 3);
    let encoding = if choice & 4 == 0 {
        Encoding::OtlpProto
    } else {
        Encoding::OtlpJson
    };
    let count = byte(&mut rest) % 4;
    let mut headers = Vec::new();
    for _ in 0..count {
        let n = byte(&mut rest);
        let key = String::from_utf8_lossy(take(&mut rest, n)).into_owned();
        let n = byte(&mut rest);
        headers.push((key, take(&mut rest, n).to_vec()));
    }
    let message = Message {
        key: None,
        payload: Bytes::copy_from_slice(rest),
        headers,
    };
    match decode(signal, encoding, message.payload.clone()) {
        Ok(mut batch) => {
            let records = batch.len();
            // The configured names: distinct (a config lists each once).
            let mut names: Vec<String> = message.headers.iter().map(|(k, _)| k.clone()).collect();
            names.push("absent".to_string());
            names.sort();
            names.dedup();
            extract_headers(&mut batch, &message, &names);
            assert_eq!(
                batch.len(),
                records,
                "header extraction changed the records"
            );
            headers_extracted(&batch, &message);
            let again = Batch::from_bytes(signal, batch.encode())
                .unwrap_or_else(|e| panic!("the batch with headers re-encodes badly: {e}"));
            assert_eq!(again.len(), records);
        }
        Err(error) => {
            assert!(!error.is_empty(), "an empty decode error");
            let dead = dead_letter_headers(&message, &error, "otlp_logs", 1, 2);
            assert_eq!(dead.count(), message.headers.len() + 4);
            let at = message.headers.len();
            assert_eq!(dead.get(at).key, "weir.error");
            assert_eq!(dead.get(at).value, Some(error.as_bytes()));
        }
    }
}

fn headers_extracted(batch: &Batch, message: &Message) {
    let resources: Vec<_> = match batch.payload() {
        Payload::Logs(r) => r.resource_logs.iter().map(|r| &r.resource).collect(),
        Payload::Metrics(r) => r.resource_metrics.iter().map(|r| &r.resource).collect(),
        Payload::Traces(r) => r.resource_spans.iter().map(|r| &r.resource).collect(),
    };
    for resource in resources {
        let attributes = resource.as_ref().map(|r| &r.attributes[..]).unwrap_or(&[]);
        for (name, _) in &message.headers {
            let key = format!("kafka.header.{name}");
            let found: Vec<_> = attributes.iter().filter(|kv| kv.key == key).collect();
            assert_eq!(found.len(), 1, "{key} on a resource {} times", found.len());
            let first = &message.headers.iter().find(|(k, _)| k == name).unwrap().1;
            let value = found[0].value.as_ref().and_then(|v| v.value.as_ref());
            let bytes = match value {
                Some(any_value::Value::StringValue(s)) => s.as_bytes(),
                Some(any_value::Value::BytesValue(b)) => b,
                other => panic!("{key} holds {other:?}"),
            };
            assert_eq!(bytes, &first[..], "{key}'s value");
        }
        assert!(
            !attributes.iter().any(|kv| kv.key == "kafka.header.absent")
                || message.headers.iter().any(|(k, _)| k == "absent"),
            "a header the message lacks was added"
        );
    }
}
