//! The byte path held to a full prost decode: on random valid requests
//! the walk accepts, its accessors answer as the decoded request does, and
//! the splice gives what decode → retain → encode gives; on damaged and
//! random bytes the walk refuses exactly what prost refuses.

use proptest::collection::vec;
use proptest::prelude::*;
use prost::Message;

use super::arbitrary::{self, KEYS};
use super::{AttributeOwner, Index};
use crate::otlp::common::{AnyValue, ArrayValue, KeyValue, any_value};
use crate::otlp::logs::{LogRecord, ResourceLogs, ScopeLogs};
use crate::otlp::{
    Batch, ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest,
    Payload, Signal, find_attribute,
};

const OWNERS: [AttributeOwner; 3] = [
    AttributeOwner::Resource,
    AttributeOwner::Scope,
    AttributeOwner::Record,
];

/// A full prost decode, the reference.
fn prost_decode(signal: Signal, bytes: &[u8]) -> Result<Payload, prost::DecodeError> {
    Ok(match signal {
        Signal::Logs => Payload::Logs(ExportLogsServiceRequest::decode(bytes)?),
        Signal::Metrics => Payload::Metrics(ExportMetricsServiceRequest::decode(bytes)?),
        Signal::Traces => Payload::Traces(ExportTraceServiceRequest::decode(bytes)?),
    })
}

fn encode(payload: &Payload) -> Vec<u8> {
    match payload {
        Payload::Logs(r) => r.encode_to_vec(),
        Payload::Metrics(r) => r.encode_to_vec(),
        Payload::Traces(r) => r.encode_to_vec(),
    }
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

/// Every accessor of the byte path against the decoded request.
fn accessors_agree(payload: Payload) -> Result<(), TestCaseError> {
    let bytes = encode(&payload);
    let reference = Batch::from(payload);
    let signal = reference.signal();
    let walked = Index::walk(signal, &bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert!(walked.canonical);
    let index = walked.index;
    prop_assert_eq!(index.len(), reference.len());
    prop_assert_eq!(index.severity_numbers(&bytes), reference.severity_numbers());
    prop_assert_eq!(index.names(&bytes), reference.names());
    for owner in OWNERS {
        for key in KEYS {
            let column = index.attribute_column(&bytes, owner, key);
            prop_assert_eq!(column.len(), index.len());
            for (record, got) in column.into_iter().enumerate() {
                let attrs = reference_attributes(&reference, owner, record as u32);
                let want = find_attribute(&attrs, key).cloned();
                prop_assert_eq!(&index.attribute(&bytes, owner, record, key), &want);
                prop_assert_eq!(got, want);
            }
        }
    }
    for record in 0..index.len() {
        prop_assert_eq!(
            index.time_unix_nano(&bytes, record),
            reference_time(&reference, record as u32)
        );
        for owner in OWNERS {
            prop_assert_eq!(
                index.attributes(&bytes, owner, record),
                reference_attributes(&reference, owner, record as u32)
            );
        }
    }
    Ok(())
}

/// Splicing the flagged records out of the bytes against decode → retain.
fn select_agrees(payload: Payload, seed: &[bool]) -> Result<(), TestCaseError> {
    let bytes = encode(&payload);
    let signal = Batch::from(payload.clone()).signal();
    let index = Index::walk(signal, &bytes).unwrap().index;
    let keep: Vec<bool> = (0..index.len()).map(|i| seed[i % seed.len()]).collect();
    let mut expected = Batch::from(payload);
    expected.retain(&keep);
    let (out, out_index) = match index.select(&bytes, &keep) {
        Some(spliced) => spliced,
        None => (bytes.clone(), index.clone()),
    };
    prop_assert_eq!(&prost_decode(signal, &out).unwrap(), expected.payload());
    // The index built while splicing is the one a walk of the output builds.
    let walked = Index::walk(signal, &out).unwrap();
    prop_assert!(walked.canonical);
    prop_assert_eq!(walked.index, out_index);
    Ok(())
}

/// The walk and prost accept and refuse the same bytes.
fn refusal_agrees(signal: Signal, bytes: &[u8]) -> Result<(), TestCaseError> {
    let walk = Index::walk(signal, bytes);
    let prost = prost_decode(signal, bytes);
    prop_assert_eq!(
        walk.is_ok(),
        prost.is_ok(),
        "walk: {:?}, prost: {:?}",
        walk.err(),
        prost.err()
    );
    Ok(())
}

/// Damage: (position, byte, operation) applied in turn.
fn damage(mut bytes: Vec<u8>, edits: &[(usize, u8, u8)]) -> Vec<u8> {
    for &(at, byte, op) in edits {
        if bytes.is_empty() {
            bytes.push(byte);
            continue;
        }
        let at = at % bytes.len();
        match op % 4 {
            0 => bytes[at] = byte,
            1 => bytes.insert(at, byte),
            2 => bytes.truncate(at),
            _ => {
                bytes.remove(at);
            }
        }
    }
    bytes
}

fn edits() -> impl Strategy<Value = Vec<(usize, u8, u8)>> {
    vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..4)
}

fn payloads() -> impl Strategy<Value = Payload> {
    prop_oneof![
        arbitrary::logs().prop_map(Payload::Logs),
        arbitrary::traces().prop_map(Payload::Traces),
        arbitrary::metrics().prop_map(Payload::Metrics),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn accessors_read_what_a_decode_reads(payload in payloads()) {
        accessors_agree(payload)?;
    }

    #[test]
    fn splicing_keeps_what_retain_keeps(payload in payloads(), seed in vec(any::<bool>(), 1..8)) {
        select_agrees(payload, &seed)?;
    }

    #[test]
    fn damaged_requests_are_refused_as_prost_refuses_them(payload in payloads(), edits in edits()) {
        let signal = Batch::from(payload.clone()).signal();
        let bytes = damage(encode(&payload), &edits);
        refusal_agrees(signal, &bytes)?;
    }

    #[test]
    fn the_attribute_shortcut_accepts_only_what_prost_decodes(
        attributes in arbitrary::attributes(),
        value in arbitrary::any_value(),
        edits in edits(),
    ) {
        for attribute in attributes {
            let bytes = damage(attribute.encode_to_vec(), &edits);
            if super::shortcuts::scalar_key_value(&bytes, 0) {
                prop_assert!(KeyValue::decode(&bytes[..]).is_ok(), "{:?}", bytes);
            }
        }
        let bytes = damage(value.encode_to_vec(), &edits);
        if super::shortcuts::scalar_any_value(&bytes, 0) {
            prop_assert!(AnyValue::decode(&bytes[..]).is_ok(), "{:?}", bytes);
        }
    }

    #[test]
    fn the_log_record_shortcut_accepts_only_what_prost_decodes(
        request in arbitrary::logs(),
        edits in edits(),
    ) {
        let records = request.resource_logs.iter()
            .flat_map(|r| &r.scope_logs)
            .flat_map(|s| &s.log_records);
        for record in records {
            let bytes = record.encode_to_vec();
            let scalar = |v: &Option<AnyValue>| !matches!(
                v.as_ref().and_then(|v| v.value.as_ref()),
                Some(any_value::Value::ArrayValue(_) | any_value::Value::KvlistValue(_))
            );
            // Not vacuous: an encoder's record with scalar values takes it.
            if scalar(&record.body) && record.attributes.iter().all(|a| scalar(&a.value)) {
                prop_assert_eq!(
                    super::shortcuts::ordered_log_record(&bytes, 0),
                    Some(record.severity_number as i64 as u64)
                );
            }
            let damaged = damage(bytes, &edits);
            if let Some(severity) = super::shortcuts::ordered_log_record(&damaged, 0) {
                let decoded = LogRecord::decode(&damaged[..]);
                prop_assert!(decoded.is_ok(), "{:?}", damaged);
                prop_assert_eq!(decoded.unwrap().severity_number, severity as i32);
            }
        }
    }

    #[test]
    fn random_bytes_are_refused_as_prost_refuses_them(bytes in vec(any::<u8>(), 0..64)) {
        for signal in Signal::ALL {
            refusal_agrees(signal, &bytes)?;
        }
    }
}

/// A log request whose one record's body nests `depth` array values.
fn nested(depth: usize) -> Vec<u8> {
    let mut value = AnyValue::default();
    for _ in 0..depth {
        value = AnyValue {
            value: Some(any_value::Value::ArrayValue(ArrayValue {
                values: vec![value],
            })),
        };
    }
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            scope_logs: vec![ScopeLogs {
                log_records: vec![LogRecord {
                    body: Some(value),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
    .encode_to_vec()
}

#[test]
fn the_nesting_limit_is_prosts() {
    let mut refused = 0;
    for depth in 40..56 {
        let bytes = nested(depth);
        refusal_agrees(Signal::Logs, &bytes).unwrap();
        refused += Index::walk(Signal::Logs, &bytes).is_err() as usize;
    }
    // The limit falls inside the range tried, so both sides were seen.
    assert!(refused > 0 && refused < 16, "{refused}");
}

#[test]
fn groups_are_skipped_and_a_stray_end_group_is_refused() {
    // Field 1 of the request: an empty ResourceLogs holding an unknown
    // group 5 (start 0x2b, a varint field 1 inside, end 0x2c).
    let good = [0x0a, 0x04, 0x2b, 0x08, 0x01, 0x2c];
    refusal_agrees(Signal::Logs, &good).unwrap();
    assert!(Index::walk(Signal::Logs, &good).is_ok());
    // Closed by the end tag of another field.
    let crossed = [0x0a, 0x04, 0x2b, 0x08, 0x01, 0x34];
    refusal_agrees(Signal::Logs, &crossed).unwrap();
    assert!(Index::walk(Signal::Logs, &crossed).is_err());
}

#[test]
fn invalid_utf8_is_refused_with_its_place() {
    // ResourceLogs { schema_url: [0xff] }.
    let bytes = [0x0a, 0x03, 0x1a, 0x01, 0xff];
    refusal_agrees(Signal::Logs, &bytes).unwrap();
    let e = Index::walk(Signal::Logs, &bytes).err().unwrap();
    assert_eq!(e.offset, 4);
    assert!(
        e.to_string()
            .contains("field 3 of ResourceLogs is not UTF-8"),
        "{e}"
    );
}

/// A field of `number` holding `body`, as bytes.
fn len_field(number: u8, body: &[u8]) -> Vec<u8> {
    let mut field = vec![number << 3 | 2];
    super::reader::put_varint(&mut field, body.len() as u64);
    field.extend(body);
    field
}

#[test]
fn a_metric_with_two_data_fields_is_re_encoded_first() {
    use crate::otlp::metrics::{
        Gauge, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, metric::Data,
    };
    let metric = |n| Metric {
        name: "m".into(),
        data: Some(Data::Gauge(Gauge {
            data_points: vec![NumberDataPoint::default(); n],
        })),
        ..Default::default()
    };
    // Two gauges in one metric: prost merges their points (3 records).
    let mut twice = metric(1).encode_to_vec();
    twice.extend(&metric(2).encode_to_vec()[3..]); // the second gauge field only
    let request = |m: Vec<u8>| len_field(1, &len_field(2, &len_field(2, &m)));
    let bytes = request(twice);
    let decoded = prost_decode(Signal::Metrics, &bytes).unwrap();
    let Payload::Metrics(req) = &decoded else {
        unreachable!()
    };
    assert_eq!(req.resource_metrics[0].scope_metrics[0].metrics.len(), 1);
    assert!(!Index::walk(Signal::Metrics, &bytes).unwrap().canonical);
    let (canonical, index) = super::parse(Signal::Metrics, bytes.into()).unwrap();
    assert_eq!(index.len(), 3);
    assert_eq!(prost_decode(Signal::Metrics, &canonical).unwrap(), decoded);
    // Unused in this test, but the sketch above must match what ScopeMetrics
    // and ResourceMetrics encode to.
    let _ = (ResourceMetrics::default(), ScopeMetrics::default());
}

#[test]
fn fields_between_records_stay_when_the_records_around_them_go() {
    // A scope whose records are not back to back, as an encoder may
    // write them: its schema URL and an unknown field lie between them.
    let record = |severity| {
        let record = LogRecord {
            severity_number: severity,
            ..Default::default()
        };
        len_field(2, &record.encode_to_vec())
    };
    let pieces: Vec<(Option<usize>, Vec<u8>)> = vec![
        (None, len_field(1, b"\x0a\x01s")), // scope { name: "s" }
        (Some(0), record(1)),
        (None, len_field(3, b"u")), // schema_url
        (Some(1), record(2)),
        (Some(2), record(3)),
        (None, vec![9 << 3, 7]), // unknown field 9, varint 7
        (Some(3), record(4)),
    ];
    let request = |keep: &[bool]| {
        let scope: Vec<u8> = pieces
            .iter()
            .filter(|(record, _)| record.is_none_or(|r| keep[r]))
            .flat_map(|(_, bytes)| bytes.clone())
            .collect();
        len_field(1, &len_field(2, &scope))
    };
    let bytes = request(&[true; 4]);
    let index = Index::walk(Signal::Logs, &bytes).unwrap().index;
    for subset in 0..16u8 {
        let keep: Vec<bool> = (0..4).map(|r| subset & (1 << r) != 0).collect();
        // Nothing kept: no empty scope or resource is left behind.
        let expected = if subset == 0 {
            Vec::new()
        } else {
            request(&keep)
        };
        let (out, out_index) = index
            .select(&bytes, &keep)
            .unwrap_or_else(|| (bytes.clone(), index.clone()));
        assert_eq!(out, expected, "records kept: {keep:?}");
        assert_eq!(Index::walk(Signal::Logs, &out).unwrap().index, out_index);
    }
}

#[test]
fn appended_indexes_describe_the_concatenated_bytes() {
    let runner_payloads = [
        nested(1),
        ExportLogsServiceRequest::default().encode_to_vec(),
        nested(3),
    ];
    let mut bytes = Vec::new();
    let mut index = Index::empty(Signal::Logs);
    for part in &runner_payloads {
        let other = Index::walk(Signal::Logs, part).unwrap().index;
        index.append(&other, bytes.len() as u32);
        bytes.extend(part);
    }
    assert_eq!(Index::walk(Signal::Logs, &bytes).unwrap().index, index);
    assert_eq!(index.len(), 2);
}

/// A batch that is its bytes against the same batch decoded: carving,
/// joining and changing either gives the same request.
fn batches_agree(a: Payload, b: Payload, seed: &[bool]) -> Result<(), TestCaseError> {
    let signal = Batch::from(a.clone()).signal();
    let wire = |p: &Payload| Batch::decode(signal, &encode(p)).unwrap();
    let (wa, da) = (wire(&a), Batch::from(a.clone()));
    prop_assert_eq!(wa.len(), da.len());
    prop_assert_eq!(&wa, &da);
    let keep: Vec<bool> = (0..da.len()).map(|i| seed[i % seed.len()]).collect();

    let (mut wr, mut dr) = (wa.clone(), da.clone());
    wr.retain(&keep);
    dr.retain(&keep);
    prop_assert_eq!(&prost_decode(signal, &wr.encode()).unwrap(), dr.payload());
    prop_assert_eq!(wr.len(), dr.len());
    prop_assert_eq!(&wa.extract(&keep), &dr);

    // Joining: only when both signals match (payloads() draws any signal).
    if Batch::from(b.clone()).signal() == signal {
        let (mut wj, mut dj) = (wa.clone(), da.clone());
        wj.append(wire(&b)).unwrap();
        dj.append(Batch::from(b)).unwrap();
        prop_assert_eq!(wj.len(), dj.len());
        prop_assert_eq!(&prost_decode(signal, &wj.encode()).unwrap(), dj.payload());
        prop_assert_eq!(wj.severity_numbers(), dj.severity_numbers());
    }

    // A change made through a batch of bytes reaches its output.
    if !da.is_empty() {
        let (mut wm, mut dm) = (wa, da);
        let kv = KeyValue {
            key: "added".into(),
            ..Default::default()
        };
        wm.record_attributes_mut(0).unwrap().push(kv.clone());
        dm.record_attributes_mut(0).unwrap().push(kv);
        prop_assert_eq!(&prost_decode(signal, &wm.encode()).unwrap(), dm.payload());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn a_batch_of_bytes_behaves_as_the_decoded_batch(
        a in payloads(),
        b in payloads(),
        seed in vec(any::<bool>(), 1..8),
    ) {
        batches_agree(a, b, &seed)?;
    }
}
