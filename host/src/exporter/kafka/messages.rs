//! From a batch to Kafka messages: which records go together (one message
//! for the batch, or one per trace or per resource, each with its key),
//! how each message's payload is encoded, and splitting what would exceed
//! `max_message_bytes`. Kept apart from the producer, so it is tested
//! without a broker.
//!
//! A batch that needs no partitioning and fits is encoded as a whole with
//! [`Batch::encode`], so a batch no plugin changed is produced as the
//! bytes that arrived once the batch keeps them.

use bytes::Bytes;
use prost::Message as _;
use sha2::{Digest, Sha256};

use crate::kafka::Encoding;
use crate::otlp::common::KeyValue;
use crate::otlp::trace::{ResourceSpans, ScopeSpans};
use crate::otlp::{
    Batch, ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest,
    Payload,
};

/// How a batch's records are grouped into messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Partition {
    /// One message for the batch, without a key.
    None,
    /// One message per trace, keyed by the trace id in hex.
    TraceId,
    /// One message per resource, keyed by a hash of its attributes.
    ResourceAttributes,
}

/// One message to produce.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// The message key, if the partitioning gives one.
    pub key: Option<String>,
    /// The encoded `Export*ServiceRequest`.
    pub payload: Bytes,
    /// How many records it holds.
    pub records: usize,
}

/// What a batch becomes.
#[derive(Debug, Default)]
pub struct Messages {
    /// The messages, in record order within each key.
    pub messages: Vec<Message>,
    /// Records that alone are larger than `max_message_bytes`, with their
    /// resources and scopes: they cannot be produced.
    pub oversize: Vec<Batch>,
}

/// Turns `batch` into messages of at most `max_bytes` each.
pub fn build(
    batch: &Batch,
    partition: Partition,
    encoding: Encoding,
    max_bytes: usize,
) -> Messages {
    let mut out = Messages::default();
    match partition {
        Partition::None => add(&mut out, None, batch, encoding, max_bytes),
        Partition::TraceId => match batch.payload() {
            Payload::Traces(request) => {
                for (key, part) in split_by_trace(request) {
                    add(&mut out, Some(key), &part.into(), encoding, max_bytes);
                }
            }
            _ => add(&mut out, None, batch, encoding, max_bytes),
        },
        Partition::ResourceAttributes => {
            for (key, part) in split_by_resource(batch.payload()) {
                add(&mut out, Some(key), &part, encoding, max_bytes);
            }
        }
    }
    out
}

/// Adds `part` as one message if it fits, or as the messages of its two
/// halves (recursively) if not.
fn add(out: &mut Messages, key: Option<String>, part: &Batch, encoding: Encoding, max: usize) {
    let records = part.len();
    if records == 0 {
        return;
    }
    let payload = encode(part, encoding);
    if payload.len() <= max {
        out.messages.push(Message {
            key,
            payload,
            records,
        });
        return;
    }
    if records == 1 {
        out.oversize.push(part.clone());
        return;
    }
    // Halving keeps record order and needs log2(n) rounds at most; the
    // encoded size of a half is close to half the whole.
    let first: Vec<bool> = (0..records).map(|i| i < records / 2).collect();
    let second: Vec<bool> = first.iter().map(|k| !k).collect();
    add(out, key.clone(), &part.extract(&first), encoding, max);
    add(out, key, &part.extract(&second), encoding, max);
}

fn encode(batch: &Batch, encoding: Encoding) -> Bytes {
    match encoding {
        Encoding::OtlpProto => batch.encode(),
        Encoding::OtlpJson => serde_json::to_vec(&batch.to_json_value())
            .expect("an OTLP JSON value always serialises")
            .into(),
    }
}

/// One request per trace id, in order of first appearance, each holding
/// that trace's spans under copies of their resources and scopes.
fn split_by_trace(request: &ExportTraceServiceRequest) -> Vec<(String, ExportTraceServiceRequest)> {
    /// A trace's request, and the (resource, scope) positions in the
    /// source its last span came from: a span from elsewhere opens a new
    /// resource or scope entry.
    #[derive(Default)]
    struct Trace {
        request: ExportTraceServiceRequest,
        last: Option<(usize, usize)>,
    }
    let mut traces: indexmap::IndexMap<&[u8], Trace> = Default::default();
    for (r, resource_spans) in request.resource_spans.iter().enumerate() {
        for (s, scope_spans) in resource_spans.scope_spans.iter().enumerate() {
            for span in &scope_spans.spans {
                let trace = traces.entry(span.trace_id.as_slice()).or_default();
                let out = &mut trace.request;
                if trace.last.is_none_or(|(last_r, _)| last_r != r) {
                    out.resource_spans.push(ResourceSpans {
                        resource: resource_spans.resource.clone(),
                        scope_spans: Vec::new(),
                        schema_url: resource_spans.schema_url.clone(),
                    });
                }
                let target = out.resource_spans.last_mut().expect("pushed above");
                if trace.last != Some((r, s)) {
                    target.scope_spans.push(ScopeSpans {
                        scope: scope_spans.scope.clone(),
                        spans: Vec::new(),
                        schema_url: scope_spans.schema_url.clone(),
                    });
                }
                trace.last = Some((r, s));
                let scope = target.scope_spans.last_mut().expect("pushed above");
                scope.spans.push(span.clone());
            }
        }
    }
    traces
        .into_iter()
        .map(|(trace_id, trace)| (hex::encode(trace_id), trace.request))
        .collect()
}

/// One batch per resource, keyed by the hash of its attributes.
fn split_by_resource(payload: &Payload) -> Vec<(String, Batch)> {
    match payload {
        Payload::Logs(request) => request
            .resource_logs
            .iter()
            .map(|rl| {
                let attributes = rl.resource.as_ref().map_or(&[][..], |r| &r.attributes);
                let part = ExportLogsServiceRequest {
                    resource_logs: vec![rl.clone()],
                };
                (attributes_key(attributes), part.into())
            })
            .collect(),
        Payload::Metrics(request) => request
            .resource_metrics
            .iter()
            .map(|rm| {
                let attributes = rm.resource.as_ref().map_or(&[][..], |r| &r.attributes);
                let part = ExportMetricsServiceRequest {
                    resource_metrics: vec![rm.clone()],
                };
                (attributes_key(attributes), part.into())
            })
            .collect(),
        Payload::Traces(request) => request
            .resource_spans
            .iter()
            .map(|rs| {
                let attributes = rs.resource.as_ref().map_or(&[][..], |r| &r.attributes);
                let part = ExportTraceServiceRequest {
                    resource_spans: vec![rs.clone()],
                };
                (attributes_key(attributes), part.into())
            })
            .collect(),
    }
}

/// A stable key for a set of attributes: the same attributes give the same
/// key in any order, in any process, in any weir version. SHA-256 over
/// the attributes sorted by key, each as its key and its value's protobuf
/// encoding, cut to 128 bits and written in hex.
pub fn attributes_key(attributes: &[KeyValue]) -> String {
    let mut sorted: Vec<&KeyValue> = attributes.iter().collect();
    sorted.sort_by(|a, b| a.key.cmp(&b.key));
    let mut hash = Sha256::new();
    for kv in sorted {
        hash.update((kv.key.len() as u64).to_le_bytes());
        hash.update(kv.key.as_bytes());
        let value = kv
            .value
            .as_ref()
            .map(|v| v.encode_to_vec())
            .unwrap_or_default();
        hash.update((value.len() as u64).to_le_bytes());
        hash.update(&value);
    }
    hex::encode(&hash.finalize()[..16])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otlp::Signal;

    fn spans() -> Batch {
        Batch::from_json_as(
            Signal::Traces,
            r#"{"resourceSpans":[
              {"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"a"}}]},
               "schemaUrl":"https://schema/1",
               "scopeSpans":[{"scope":{"name":"s1"},"schemaUrl":"https://scope/1","spans":[
                 {"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708","name":"x1"},
                 {"traceId":"1112131415161718191a1b1c1d1e1f20","spanId":"0102030405060709","name":"y1"}]},
                {"scope":{"name":"s2"},"spans":[
                 {"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"010203040506070a","name":"x2"}]}]},
              {"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"b"}}]},
               "scopeSpans":[{"scope":{"name":"s3"},"spans":[
                 {"traceId":"1112131415161718191a1b1c1d1e1f20","spanId":"010203040506070b","name":"y2"}]}]}]}"#,
        )
        .unwrap()
    }

    fn logs(bodies: &[&str]) -> Batch {
        let records: Vec<String> = bodies
            .iter()
            .map(|b| format!(r#"{{"body":{{"stringValue":"{b}"}}}}"#))
            .collect();
        Batch::from_json_as(
            Signal::Logs,
            &format!(
                r#"{{"resourceLogs":[{{"scopeLogs":[{{"logRecords":[{}]}}]}}]}}"#,
                records.join(",")
            ),
        )
        .unwrap()
    }

    #[test]
    fn an_unpartitioned_batch_that_fits_is_one_message_of_its_encoding() {
        let batch = logs(&["a", "b", "c"]);
        let out = build(&batch, Partition::None, Encoding::OtlpProto, 1_000_000);
        assert_eq!(out.messages.len(), 1);
        assert_eq!(out.messages[0].key, None);
        assert_eq!(out.messages[0].payload, batch.encode());
        assert_eq!(out.messages[0].records, 3);
        assert!(out.oversize.is_empty());
    }

    #[test]
    fn json_encoding_is_otlp_json() {
        let batch = logs(&["a"]);
        let out = build(&batch, Partition::None, Encoding::OtlpJson, 1_000_000);
        let text = std::str::from_utf8(&out.messages[0].payload).unwrap();
        assert_eq!(Batch::from_json_as(Signal::Logs, text).unwrap(), batch);
    }

    #[test]
    fn spans_split_by_trace_keep_their_resources_and_scopes() {
        let out = build(&spans(), Partition::TraceId, Encoding::OtlpProto, 1_000_000);
        let keys: Vec<_> = out
            .messages
            .iter()
            .map(|m| m.key.clone().unwrap())
            .collect();
        assert_eq!(
            keys,
            [
                "0102030405060708090a0b0c0d0e0f10",
                "1112131415161718191a1b1c1d1e1f20"
            ]
        );
        let first = Batch::decode(Signal::Traces, &out.messages[0].payload).unwrap();
        let Payload::Traces(first) = first.payload() else {
            unreachable!()
        };
        // Trace x: resource a, two scopes, their schema URLs restored.
        assert_eq!(first.resource_spans.len(), 1);
        assert_eq!(first.resource_spans[0].schema_url, "https://schema/1");
        let scopes = &first.resource_spans[0].scope_spans;
        assert_eq!(scopes.len(), 2);
        assert_eq!(scopes[0].schema_url, "https://scope/1");
        assert_eq!(scopes[0].spans[0].name, "x1");
        assert_eq!(scopes[1].scope.as_ref().unwrap().name, "s2");
        assert_eq!(scopes[1].spans[0].name, "x2");
        // Trace y: spans under two resources.
        let second = Batch::decode(Signal::Traces, &out.messages[1].payload).unwrap();
        let Payload::Traces(second) = second.payload() else {
            unreachable!()
        };
        let names: Vec<_> = second
            .resource_spans
            .iter()
            .flat_map(|rs| &rs.scope_spans)
            .flat_map(|ss| &ss.spans)
            .map(|s| s.name.as_str())
            .collect();
        assert_eq!(names, ["y1", "y2"]);
        assert_eq!(second.resource_spans.len(), 2);
        assert_eq!(out.messages.iter().map(|m| m.records).sum::<usize>(), 4);
    }

    #[test]
    fn resources_split_with_stable_keys() {
        let out = build(
            &spans(),
            Partition::ResourceAttributes,
            Encoding::OtlpProto,
            1_000_000,
        );
        assert_eq!(out.messages.len(), 2);
        assert_eq!(out.messages[0].records, 3);
        assert_eq!(out.messages[1].records, 1);
        let key = |v: &str| {
            attributes_key(&[KeyValue {
                key: "service.name".into(),
                value: Some(crate::otlp::common::AnyValue {
                    value: Some(crate::otlp::common::any_value::Value::StringValue(v.into())),
                }),
                ..Default::default()
            }])
        };
        assert_eq!(out.messages[0].key.as_deref(), Some(key("a").as_str()));
        assert_eq!(out.messages[1].key.as_deref(), Some(key("b").as_str()));
        assert_ne!(key("a"), key("b"));
    }

    #[test]
    fn attribute_order_does_not_change_the_key() {
        let kv = |k: &str, v: i64| KeyValue {
            key: k.into(),
            value: Some(crate::otlp::common::AnyValue {
                value: Some(crate::otlp::common::any_value::Value::IntValue(v)),
            }),
            ..Default::default()
        };
        assert_eq!(
            attributes_key(&[kv("a", 1), kv("b", 2)]),
            attributes_key(&[kv("b", 2), kv("a", 1)])
        );
        assert_ne!(
            attributes_key(&[kv("a", 1), kv("b", 2)]),
            attributes_key(&[kv("a", 2), kv("b", 1)])
        );
    }

    #[test]
    fn a_batch_too_large_is_split_into_messages_that_fit() {
        let body = "x".repeat(300);
        let bodies: Vec<&str> = (0..40).map(|_| body.as_str()).collect();
        let batch = logs(&bodies);
        let limit = 2_000;
        assert!(batch.encode().len() > limit);
        let out = build(&batch, Partition::None, Encoding::OtlpProto, limit);
        assert!(out.messages.len() > 1);
        assert!(out.messages.iter().all(|m| m.payload.len() <= limit));
        assert_eq!(out.messages.iter().map(|m| m.records).sum::<usize>(), 40);
        assert!(out.oversize.is_empty());
        // Together they are the batch, in order.
        let mut joined = Batch::empty(Signal::Logs);
        for m in &out.messages {
            joined
                .append(Batch::decode(Signal::Logs, &m.payload).unwrap())
                .unwrap();
        }
        assert_eq!(joined.len(), 40);
    }

    #[test]
    fn a_single_record_too_large_is_set_aside() {
        let big = "x".repeat(5_000);
        let batch = logs(&["small", &big, "small too"]);
        let out = build(&batch, Partition::None, Encoding::OtlpProto, 2_000);
        assert_eq!(out.messages.iter().map(|m| m.records).sum::<usize>(), 2);
        assert_eq!(out.oversize.len(), 1);
        assert_eq!(out.oversize[0].len(), 1);
    }
}
