//! The JSON lines VictoriaLogs is sent, field by field.

use serde_json::{Map, Value, json};

use super::*;
use crate::otlp::common::{ArrayValue, InstrumentationScope, KeyValueList};
use crate::otlp::logs::{ResourceLogs, ScopeLogs};
use crate::otlp::resource::Resource;

fn value(v: any_value::Value) -> Option<AnyValue> {
    Some(AnyValue { value: Some(v) })
}

fn string(s: &str) -> Option<AnyValue> {
    value(any_value::Value::StringValue(s.into()))
}

/// An array element (not optional).
fn item(v: any_value::Value) -> AnyValue {
    AnyValue { value: Some(v) }
}

fn kv(key: &str, v: Option<AnyValue>) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: v,
        ..Default::default()
    }
}

fn request(
    resource: Vec<KeyValue>,
    scope: Option<InstrumentationScope>,
    records: Vec<LogRecord>,
) -> ExportLogsServiceRequest {
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: Some(Resource {
                attributes: resource,
                ..Default::default()
            }),
            scope_logs: vec![ScopeLogs {
                scope,
                log_records: records,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

/// The lines of a body, each parsed as a JSON object.
fn lines(body: &[u8]) -> Vec<Map<String, Value>> {
    let text = std::str::from_utf8(body).expect("JSON lines are UTF-8");
    assert!(text.is_empty() || text.ends_with('\n'), "{text}");
    text.lines()
        .map(|line| match serde_json::from_str(line) {
            Ok(Value::Object(map)) => map,
            other => panic!("not a JSON object: {line}: {other:?}"),
        })
        .collect()
}

fn one(request: &ExportLogsServiceRequest) -> Map<String, Value> {
    let mut lines = lines(&encode(request, TimeFormat::Rfc3339));
    assert_eq!(lines.len(), 1);
    lines.remove(0)
}

fn record_with_body(body: Option<AnyValue>) -> LogRecord {
    LogRecord {
        body,
        ..Default::default()
    }
}

#[test]
fn every_part_of_a_record_becomes_a_string_field() {
    let host = value(any_value::Value::KvlistValue(KeyValueList {
        values: vec![
            kv("name", string("web-1")),
            kv(
                "os",
                value(any_value::Value::KvlistValue(KeyValueList {
                    values: vec![kv("version", string("6.1"))],
                })),
            ),
        ],
    }));
    let tags = value(any_value::Value::ArrayValue(ArrayValue {
        values: vec![
            item(any_value::Value::StringValue("a".into())),
            item(any_value::Value::IntValue(2)),
            item(any_value::Value::BoolValue(false)),
        ],
    }));
    let request = request(
        vec![kv("service.name", string("checkout")), kv("host", host)],
        Some(InstrumentationScope {
            name: "io.weir.test".into(),
            version: "1.2.0".into(),
            attributes: vec![kv("lib", string("x"))],
            ..Default::default()
        }),
        vec![LogRecord {
            time_unix_nano: 1_700_000_000_000_000_001,
            observed_time_unix_nano: 1_700_000_005_000_000_000,
            severity_number: 17,
            severity_text: "ERROR".into(),
            body: string("payment failed"),
            attributes: vec![
                kv("http.status_code", value(any_value::Value::IntValue(502))),
                kv("ratio", value(any_value::Value::DoubleValue(0.25))),
                kv("retry", value(any_value::Value::BoolValue(true))),
                kv("raw", value(any_value::Value::BytesValue(vec![0xff, 0x00]))),
                kv("tags", tags),
                kv("empty", None),
            ],
            trace_id: (1..=16).collect(),
            span_id: (1..=8).collect(),
            event_name: "payment.failed".into(),
            ..Default::default()
        }],
    );
    let expected = json!({
        "_time": "2023-11-14T22:13:20.000000001Z",
        "_msg": "payment failed",
        "service.name": "checkout",
        "host.name": "web-1",
        "host.os.version": "6.1",
        "scope.name": "io.weir.test",
        "scope.version": "1.2.0",
        "scope.attributes.lib": "x",
        "severity_text": "ERROR",
        "severity_number": "17",
        "http.status_code": "502",
        "ratio": "0.25",
        "retry": "true",
        "raw": "/wA=",
        "tags": "[\"a\",2,false]",
        "trace_id": "0102030405060708090a0b0c0d0e0f10",
        "span_id": "0102030405060708",
        "event_name": "payment.failed",
    });
    assert_eq!(Value::Object(one(&request)), expected);
}

#[test]
fn bodies_with_quotes_newlines_and_control_characters_stay_on_one_line() {
    let nasty = "say \"hi\"\\\n\ttab\r\u{0}\u{1b}[31m red \u{2028} ünïcødé 🦀";
    let records = vec![
        record_with_body(string(nasty)),
        record_with_body(string("second")),
    ];
    let body = encode(&request(vec![], None, records), TimeFormat::Rfc3339);
    let text = String::from_utf8(body.clone()).unwrap();
    assert_eq!(text.matches('\n').count(), 2, "one line per record: {text}");
    assert!(!text.contains('\u{0}') && !text.contains('\r'), "{text:?}");
    let lines = lines(&body);
    assert_eq!(lines[0]["_msg"], nasty, "the message arrives exactly");
    assert_eq!(lines[1]["_msg"], "second");
}

#[test]
fn bytes_bodies_are_base64_so_no_byte_sequence_breaks_the_json() {
    let bytes = vec![0xff, 0xfe, 0x00, b'"', b'\n', 0xc3];
    let line = one(&request(
        vec![],
        None,
        vec![record_with_body(value(any_value::Value::BytesValue(
            bytes.clone(),
        )))],
    ));
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(line["_msg"].as_str().unwrap())
        .unwrap();
    assert_eq!(decoded, bytes);
}

#[test]
fn map_and_array_bodies_are_one_message_as_json_text() {
    let map = value(any_value::Value::KvlistValue(KeyValueList {
        values: vec![
            kv("msg", string("disk full")),
            kv("free", value(any_value::Value::IntValue(0))),
            kv(
                "mounts",
                value(any_value::Value::ArrayValue(ArrayValue {
                    values: vec![
                        item(any_value::Value::StringValue("/".into())),
                        item(any_value::Value::StringValue("/var".into())),
                    ],
                })),
            ),
            kv("load", value(any_value::Value::DoubleValue(f64::NAN))),
            kv("none", None),
        ],
    }));
    let line = one(&request(vec![], None, vec![record_with_body(map)]));
    assert_eq!(
        line["_msg"],
        r#"{"msg":"disk full","free":0,"mounts":["/","/var"],"load":"NaN","none":null}"#
    );
    assert!(
        !line.contains_key("msg"),
        "the map is not spread into fields"
    );

    let array = value(any_value::Value::ArrayValue(ArrayValue {
        values: vec![
            item(any_value::Value::DoubleValue(1.5)),
            item(any_value::Value::BytesValue(b"hi".to_vec())),
        ],
    }));
    let line = one(&request(vec![], None, vec![record_with_body(array)]));
    assert_eq!(line["_msg"], r#"[1.5,"aGk="]"#);
}

#[test]
fn scalar_bodies_and_doubles_are_text_as_victorialogs_writes_them() {
    let cases = [
        (any_value::Value::IntValue(-42), "-42"),
        (any_value::Value::BoolValue(true), "true"),
        (any_value::Value::DoubleValue(0.1), "0.1"),
        (
            any_value::Value::DoubleValue(1e21),
            "1000000000000000000000",
        ),
        (any_value::Value::DoubleValue(-2.0), "-2"),
        (any_value::Value::DoubleValue(f64::INFINITY), "+Inf"),
        (any_value::Value::DoubleValue(f64::NEG_INFINITY), "-Inf"),
    ];
    for (body, text) in cases {
        let line = one(&request(vec![], None, vec![record_with_body(value(body))]));
        assert_eq!(line["_msg"], text);
    }
}

#[test]
fn time_is_rfc3339_or_unix_nanos_falling_back_to_the_observed_time() {
    let at = |time, observed| LogRecord {
        time_unix_nano: time,
        observed_time_unix_nano: observed,
        body: string("x"),
        ..Default::default()
    };
    let request = request(
        vec![],
        None,
        vec![
            at(1_700_000_000_123_456_789, 5),
            at(0, 1_000_000_000),
            at(0, 0),
        ],
    );
    let rfc = lines(&encode(&request, TimeFormat::Rfc3339));
    assert_eq!(rfc[0]["_time"], "2023-11-14T22:13:20.123456789Z");
    assert_eq!(rfc[1]["_time"], "1970-01-01T00:00:01.000000000Z");
    assert!(
        !rfc[2].contains_key("_time"),
        "no time: VictoriaLogs stamps it on arrival"
    );
    let nanos = lines(&encode(&request, TimeFormat::UnixNano));
    assert_eq!(nanos[0]["_time"], "1700000000123456789");
    assert_eq!(nanos[1]["_time"], "1000000000");
    assert!(!nanos[2].contains_key("_time"));
}

#[test]
fn attributes_named_like_victorialogs_fields_cannot_replace_them() {
    let record = LogRecord {
        time_unix_nano: 1_000_000_000,
        body: string("the message"),
        attributes: vec![
            kv("_msg", string("not the message")),
            kv("_time", string("0")),
            kv("_stream", string("s")),
        ],
        ..Default::default()
    };
    let line = one(&request(
        vec![kv("_stream_id", string("r"))],
        None,
        vec![record],
    ));
    assert_eq!(line["_msg"], "the message");
    assert_eq!(line["_time"], "1970-01-01T00:00:01.000000000Z");
    assert_eq!(line["attributes._msg"], "not the message");
    assert_eq!(line["attributes._time"], "0");
    assert_eq!(line["attributes._stream"], "s");
    assert_eq!(line["attributes._stream_id"], "r");
    assert!(!line.contains_key("_stream") && !line.contains_key("_stream_id"));
}

#[test]
fn resources_and_scopes_go_with_their_own_records_only() {
    let mut request = request(
        vec![kv("service.name", string("a"))],
        Some(InstrumentationScope {
            name: "one".into(),
            ..Default::default()
        }),
        vec![record_with_body(string("a1"))],
    );
    request.resource_logs.push(ResourceLogs {
        resource: Some(Resource {
            attributes: vec![kv("host.name", string("h"))],
            ..Default::default()
        }),
        scope_logs: vec![
            ScopeLogs {
                log_records: vec![record_with_body(string("b1"))],
                ..Default::default()
            },
            ScopeLogs {
                scope: Some(InstrumentationScope {
                    name: "two".into(),
                    ..Default::default()
                }),
                log_records: vec![record_with_body(string("b2"))],
                ..Default::default()
            },
        ],
        ..Default::default()
    });
    let lines = lines(&encode(&request, TimeFormat::Rfc3339));
    let fields = |i: usize| {
        let mut keys: Vec<_> = lines[i].keys().cloned().collect();
        keys.sort();
        keys
    };
    assert_eq!(fields(0), ["_msg", "scope.name", "service.name"]);
    assert_eq!(fields(1), ["_msg", "host.name"]);
    assert_eq!(fields(2), ["_msg", "host.name", "scope.name"]);
    assert_eq!(lines[2]["scope.name"], "two");
}

#[test]
fn an_empty_request_is_an_empty_body() {
    assert!(encode(&ExportLogsServiceRequest::default(), TimeFormat::Rfc3339).is_empty());
}
