//! Parquet objects written and read back.

use bytes::Bytes;

use super::{ParquetWriter, read};
use crate::exporter::s3::config::Compression;
use crate::otlp::common::{AnyValue, InstrumentationScope, KeyValue, any_value};
use crate::otlp::logs::ScopeLogs;
use crate::otlp::logs::{LogRecord, ResourceLogs};
use crate::otlp::resource::Resource;
use crate::otlp::trace::ScopeSpans;
use crate::otlp::trace::{ResourceSpans, Span, Status};
use crate::otlp::{Batch, ExportLogsServiceRequest, ExportTraceServiceRequest, Payload, Signal};

fn kv(key: &str, value: any_value::Value) -> KeyValue {
    KeyValue {
        key: key.to_string(),
        value: Some(AnyValue { value: Some(value) }),
        ..Default::default()
    }
}

fn s(v: &str) -> any_value::Value {
    any_value::Value::StringValue(v.to_string())
}

fn resource(service: &str) -> Option<Resource> {
    Some(Resource {
        attributes: vec![kv("service.name", s(service)), kv("host", s("h1"))],
        ..Default::default()
    })
}

fn scope() -> Option<InstrumentationScope> {
    Some(InstrumentationScope {
        name: "lib".into(),
        version: "1.2".into(),
        ..Default::default()
    })
}

fn logs(first: u64, attr: any_value::Value) -> Batch {
    let records = |svc: u64| -> Vec<LogRecord> {
        (first..first + 3)
            .map(|i| LogRecord {
                time_unix_nano: 1_700_000_000_000_000_000 + i,
                observed_time_unix_nano: 1_700_000_000_000_000_500 + i,
                severity_number: 9 + i as i32 % 3,
                severity_text: "INFO".into(),
                body: Some(AnyValue {
                    value: Some(s(&format!("line {i} of {svc}"))),
                }),
                attributes: vec![kv("n", s(&i.to_string())), kv("a", attr.clone())],
                trace_id: vec![i as u8; 16],
                span_id: vec![7; 8],
                ..Default::default()
            })
            .collect()
    };
    ExportLogsServiceRequest {
        resource_logs: [1, 2]
            .map(|svc| ResourceLogs {
                resource: resource(&format!("svc{svc}")),
                scope_logs: vec![ScopeLogs {
                    scope: scope(),
                    log_records: records(svc),
                    ..Default::default()
                }],
                ..Default::default()
            })
            .to_vec(),
    }
    .into()
}

fn object(signal: Signal, batches: &[Batch]) -> Bytes {
    let mut w = ParquetWriter::new(signal, Compression::Zstd);
    for b in batches {
        w.append(b).unwrap();
    }
    assert!(w.size() > 0);
    w.finish().unwrap().into()
}

#[test]
fn logs_with_string_attributes_read_back_equal() {
    let batches = [logs(0, s("x")), logs(10, s("y"))];
    let back = read(Signal::Logs, object(Signal::Logs, &batches)).unwrap();
    let mut want = ExportLogsServiceRequest::default();
    for b in &batches {
        let Payload::Logs(req) = b.payload() else {
            unreachable!()
        };
        want.resource_logs.extend(req.resource_logs.clone());
    }
    assert_eq!(back.payload(), &Payload::Logs(want));
}

#[test]
fn other_attribute_values_come_back_as_their_text() {
    let back = read(
        Signal::Logs,
        object(Signal::Logs, &[logs(0, any_value::Value::IntValue(200))]),
    )
    .unwrap();
    let record = back.log(0).unwrap();
    assert_eq!(record.attributes[1], kv("a", s("200")));
}

#[test]
fn spans_read_back_equal() {
    let span = |i: u8| Span {
        trace_id: vec![i; 16],
        span_id: vec![i; 8],
        parent_span_id: if i > 0 { vec![i - 1; 8] } else { vec![] },
        name: format!("GET /{i}"),
        kind: 2,
        start_time_unix_nano: 1_700_000_000_000_000_000,
        end_time_unix_nano: 1_700_000_000_250_000_000,
        attributes: vec![kv("http.route", s("/x"))],
        events: vec![crate::otlp::trace::span::Event {
            name: "retry".into(),
            time_unix_nano: 1_700_000_000_100_000_000,
            ..Default::default()
        }],
        status: (i == 2).then(|| Status {
            code: 2,
            message: "boom".into(),
        }),
        ..Default::default()
    };
    let req = ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: resource("api"),
            scope_spans: vec![ScopeSpans {
                scope: scope(),
                spans: (0..3).map(span).collect(),
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    let batch: Batch = req.clone().into();
    let back = read(Signal::Traces, object(Signal::Traces, &[batch])).unwrap();
    assert_eq!(back.payload(), &Payload::Traces(req));
}

#[test]
fn a_file_of_another_kind_is_refused() {
    let error = read(Signal::Logs, Bytes::from_static(b"PAR1 not really")).unwrap_err();
    assert!(!error.is_empty());
    // A traces archive is not a logs archive.
    let traces: Batch = ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            scope_spans: vec![ScopeSpans {
                spans: vec![Span::default()],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
    .into();
    let error = read(Signal::Logs, object(Signal::Traces, &[traces])).unwrap_err();
    assert!(error.contains("no column `body`"), "{error}");
}
