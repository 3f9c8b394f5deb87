//! One Kafka message into a batch: decode its payload in the topic's
//! encoding, copy the configured headers onto its resources, and — for a
//! payload that cannot be decoded — the dead-letter message that carries
//! it on with the error and its origin in headers.

use bytes::Bytes;
use rdkafka::message::{Header, OwnedHeaders};

use super::state::Message;
use crate::kafka::Encoding;
use crate::otlp::common::{AnyValue, KeyValue, any_value};
use crate::otlp::resource::Resource;
use crate::otlp::{Batch, Payload, Signal};

/// Decodes a message's payload as an export request of `signal`.
pub fn decode(signal: Signal, encoding: Encoding, payload: Bytes) -> Result<Batch, String> {
    match encoding {
        // Validated and indexed where it lies: the batch is these bytes.
        Encoding::OtlpProto => Batch::from_bytes(signal, payload).map_err(|e| e.to_string()),
        Encoding::OtlpJson => {
            let text = std::str::from_utf8(&payload)
                .map_err(|e| format!("malformed OTLP/JSON {signal} request: not UTF-8: {e}"))?;
            Batch::from_json_as(signal, text).map_err(|e| e.to_string())
        }
    }
}

/// Adds `kafka.header.<name>` to every resource of `batch` for each of
/// `names` the message carries (the Collector's `header_extraction`).
/// Values that are not UTF-8 are added as bytes.
pub fn extract_headers(batch: &mut Batch, message: &Message, names: &[String]) {
    let found: Vec<KeyValue> = names
        .iter()
        .filter_map(|name| {
            let (_, value) = message.headers.iter().find(|(key, _)| key == name)?;
            let value = match std::str::from_utf8(value) {
                Ok(text) => any_value::Value::StringValue(text.to_string()),
                Err(_) => any_value::Value::BytesValue(value.clone()),
            };
            Some(KeyValue {
                key: format!("kafka.header.{name}"),
                value: Some(AnyValue { value: Some(value) }),
                ..Default::default()
            })
        })
        .collect();
    if found.is_empty() {
        return;
    }
    let add = |resource: &mut Option<Resource>| {
        let resource = resource.get_or_insert_with(Resource::default);
        resource
            .attributes
            .retain(|kv| !found.iter().any(|f| f.key == kv.key));
        resource.attributes.extend(found.iter().cloned());
    };
    match batch.payload_mut() {
        Payload::Logs(request) => request
            .resource_logs
            .iter_mut()
            .for_each(|r| add(&mut r.resource)),
        Payload::Metrics(request) => request
            .resource_metrics
            .iter_mut()
            .for_each(|r| add(&mut r.resource)),
        Payload::Traces(request) => request
            .resource_spans
            .iter_mut()
            .for_each(|r| add(&mut r.resource)),
    }
}

/// The headers of a dead-letter message: the original's, then the error
/// and where the message came from.
pub fn dead_letter_headers(
    message: &Message,
    error: &str,
    topic: &str,
    partition: i32,
    offset: i64,
) -> OwnedHeaders {
    let mut headers = OwnedHeaders::new_with_capacity(message.headers.len() + 4);
    for (key, value) in &message.headers {
        headers = headers.insert(Header {
            key,
            value: Some(value.as_slice()),
        });
    }
    let origin = [
        ("weir.error", error.to_string()),
        ("weir.origin.topic", topic.to_string()),
        ("weir.origin.partition", partition.to_string()),
        ("weir.origin.offset", offset.to_string()),
    ];
    for (key, value) in &origin {
        headers = headers.insert(Header {
            key,
            value: Some(value.as_str()),
        });
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;
    use rdkafka::message::Headers;

    fn message(headers: &[(&str, &[u8])]) -> Message {
        Message {
            key: None,
            payload: Bytes::new(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_vec()))
                .collect(),
        }
    }

    #[test]
    fn undecodable_payloads_say_why() {
        let bad = Bytes::from_static(b"\xff\xff\xff");
        let error = decode(Signal::Logs, Encoding::OtlpProto, bad).unwrap_err();
        assert!(
            error.contains("malformed OTLP protobuf logs request"),
            "{error}"
        );
        let bad = Bytes::from_static(b"{not json");
        let error = decode(Signal::Traces, Encoding::OtlpJson, bad).unwrap_err();
        assert!(
            error.contains("malformed OTLP/JSON traces request"),
            "{error}"
        );
    }

    #[test]
    fn headers_become_resource_attributes() {
        let mut batch = Batch::from_json_as(
            Signal::Logs,
            r#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{}]}]},
                {"resource":{"attributes":[{"key":"kafka.header.tenant","value":{"stringValue":"old"}}]},
                 "scopeLogs":[{"logRecords":[{}]}]}]}"#,
        )
        .unwrap();
        let message = message(&[("tenant", b"acme"), ("other", b"x"), ("raw", b"\xff")]);
        extract_headers(
            &mut batch,
            &message,
            &[
                "tenant".to_string(),
                "raw".to_string(),
                "absent".to_string(),
            ],
        );
        for record in 0..2 {
            let attributes = &batch.resource(record).unwrap().attributes;
            let keys: Vec<_> = attributes.iter().map(|kv| kv.key.as_str()).collect();
            assert_eq!(keys, ["kafka.header.tenant", "kafka.header.raw"]);
            assert_eq!(
                attributes[0].value.as_ref().unwrap().value,
                Some(any_value::Value::StringValue("acme".into()))
            );
            assert_eq!(
                attributes[1].value.as_ref().unwrap().value,
                Some(any_value::Value::BytesValue(vec![0xff]))
            );
        }
    }

    #[test]
    fn dead_letters_carry_their_origin() {
        let headers = dead_letter_headers(&message(&[("h", b"v")]), "bad", "otlp_logs", 2, 41);
        let pairs: Vec<(String, String)> = headers
            .iter()
            .map(|h| {
                (
                    h.key.to_string(),
                    String::from_utf8(h.value.unwrap().to_vec()).unwrap(),
                )
            })
            .collect();
        let expected = [
            ("h", "v"),
            ("weir.error", "bad"),
            ("weir.origin.topic", "otlp_logs"),
            ("weir.origin.partition", "2"),
            ("weir.origin.offset", "41"),
        ];
        assert_eq!(
            pairs,
            expected
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<Vec<_>>()
        );
    }
}
