//! Parquet objects back into OTLP, for `weir replay`: logs and traces
//! (metrics are archived for queries; replay them from `otlp_proto`).
//! Attribute values come back as the strings they were written as.

use arrow_array::{
    Array, Int32Array, MapArray, RecordBatch, StringArray, TimestampNanosecondArray, UInt32Array,
};
use bytes::Bytes;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::otlp::common::{AnyValue, InstrumentationScope, KeyValue, any_value};
use crate::otlp::logs::{LogRecord, ResourceLogs};
use crate::otlp::resource::Resource;
use crate::otlp::trace::{ResourceSpans, Span, Status};
use crate::otlp::{Batch, ExportLogsServiceRequest, ExportTraceServiceRequest, Signal};

/// Reads a logs or traces Parquet object back into one OTLP request:
/// consecutive rows of the same resource and scope share them.
pub fn read(signal: Signal, bytes: Bytes) -> Result<Batch, String> {
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes)
        .map_err(|e| e.to_string())?
        .build()
        .map_err(|e| e.to_string())?;
    let mut logs: Vec<ResourceLogs> = Vec::new();
    let mut spans: Vec<ResourceSpans> = Vec::new();
    for rows in reader {
        let rows = rows.map_err(|e| e.to_string())?;
        let cols = Columns(&rows);
        let resource = cols.map("resource_attributes")?;
        let attributes = cols.map("attributes")?;
        let scope_name = cols.strings("scope_name")?;
        let scope_version = cols.strings("scope_version")?;
        for i in 0..rows.num_rows() {
            let res = Resource {
                attributes: map_row(resource, i),
                ..Default::default()
            };
            let scope = (!scope_name.is_null(i)).then(|| InstrumentationScope {
                name: scope_name.value(i).to_string(),
                version: text(scope_version, i),
                ..Default::default()
            });
            let attrs = map_row(attributes, i);
            match signal {
                Signal::Logs => {
                    let record = log_row(&cols, i, attrs)?;
                    push_grouped(
                        &mut logs,
                        res,
                        scope,
                        record,
                        |rl| (&mut rl.resource, &mut rl.scope_logs),
                        |sl| (&mut sl.scope, &mut sl.log_records),
                    );
                }
                Signal::Traces => {
                    let span = span_row(&cols, i, attrs)?;
                    push_grouped(
                        &mut spans,
                        res,
                        scope,
                        span,
                        |rs| (&mut rs.resource, &mut rs.scope_spans),
                        |ss| (&mut ss.scope, &mut ss.spans),
                    );
                }
                Signal::Metrics => {
                    return Err(
                        "replaying metrics from Parquet is not supported (archive metrics as \
                         otlp_proto to replay them)"
                            .to_string(),
                    );
                }
            }
        }
    }
    Ok(match signal {
        Signal::Logs => ExportLogsServiceRequest {
            resource_logs: logs,
        }
        .into(),
        _ => ExportTraceServiceRequest {
            resource_spans: spans,
        }
        .into(),
    })
}

/// Appends `item` under the last resource and scope if they are `res` and
/// `scope`, else under new ones.
fn push_grouped<R: Default, S: Default, T>(
    out: &mut Vec<R>,
    res: Resource,
    scope: Option<InstrumentationScope>,
    item: T,
    parts: impl Fn(&mut R) -> (&mut Option<Resource>, &mut Vec<S>),
    scope_parts: impl Fn(&mut S) -> (&mut Option<InstrumentationScope>, &mut Vec<T>),
) {
    let res = (!res.attributes.is_empty()).then_some(res);
    let same_resource = out.last_mut().is_some_and(|r| *parts(r).0 == res);
    if !same_resource {
        let mut r = R::default();
        *parts(&mut r).0 = res;
        out.push(r);
    }
    let scopes = parts(out.last_mut().expect("pushed above")).1;
    let same_scope = scopes
        .last_mut()
        .is_some_and(|s| *scope_parts(s).0 == scope);
    if !same_scope {
        let mut s = S::default();
        *scope_parts(&mut s).0 = scope;
        scopes.push(s);
    }
    scope_parts(scopes.last_mut().expect("pushed above"))
        .1
        .push(item);
}

fn string_value(s: &str) -> AnyValue {
    AnyValue {
        value: Some(any_value::Value::StringValue(s.to_string())),
    }
}

fn map_row(map: &MapArray, i: usize) -> Vec<KeyValue> {
    if map.is_null(i) {
        return Vec::new();
    }
    let entries = map.value(i);
    let keys = entries.column(0).as_any().downcast_ref::<StringArray>();
    let values = entries.column(1).as_any().downcast_ref::<StringArray>();
    let (Some(keys), Some(values)) = (keys, values) else {
        return Vec::new();
    };
    (0..keys.len())
        .map(|j| KeyValue {
            key: keys.value(j).to_string(),
            value: Some(string_value(values.value(j))),
            ..Default::default()
        })
        .collect()
}

fn text(column: &StringArray, i: usize) -> String {
    if column.is_null(i) {
        String::new()
    } else {
        column.value(i).to_string()
    }
}

fn id(column: &StringArray, i: usize) -> Result<Vec<u8>, String> {
    if column.is_null(i) {
        return Ok(Vec::new());
    }
    hex::decode(column.value(i)).map_err(|e| format!("row {i}: an id that is not hex: {e}"))
}

fn time(column: &TimestampNanosecondArray, i: usize) -> u64 {
    if column.is_null(i) {
        0
    } else {
        column.value(i) as u64
    }
}

/// Named, typed access to a row group's columns.
struct Columns<'a>(&'a RecordBatch);

impl Columns<'_> {
    fn get<T: 'static>(&self, name: &str) -> Result<&T, String> {
        self.0
            .column_by_name(name)
            .ok_or_else(|| {
                format!("no column `{name}`: not a weir Parquet archive of this signal")
            })?
            .as_any()
            .downcast_ref::<T>()
            .ok_or_else(|| {
                format!(
                    "column `{name}` has type {:?}",
                    self.0.column_by_name(name).map(|c| c.data_type().clone())
                )
            })
    }
    fn strings(&self, name: &str) -> Result<&StringArray, String> {
        self.get(name)
    }
    fn map(&self, name: &str) -> Result<&MapArray, String> {
        self.get(name)
    }
    fn times(&self, name: &str) -> Result<&TimestampNanosecondArray, String> {
        self.get(name)
    }
    fn i32s(&self, name: &str) -> Result<&Int32Array, String> {
        self.get(name)
    }
    fn u32s(&self, name: &str) -> Result<&UInt32Array, String> {
        self.get(name)
    }
}

fn log_row(cols: &Columns, i: usize, attributes: Vec<KeyValue>) -> Result<LogRecord, String> {
    let body = cols.strings("body")?;
    Ok(LogRecord {
        time_unix_nano: time(cols.times("time")?, i),
        observed_time_unix_nano: time(cols.times("observed_time")?, i),
        severity_number: cols.i32s("severity_number")?.value(i),
        severity_text: text(cols.strings("severity_text")?, i),
        body: (!body.is_null(i)).then(|| {
            // A body written as OTLP/JSON (not a string) comes back as the
            // value it was; a string body as the string.
            let s = body.value(i);
            crate::otlp::any_value_from_json(s)
                .ok()
                .filter(|v| {
                    !matches!(v.value, Some(any_value::Value::StringValue(_))) && s.starts_with('{')
                })
                .unwrap_or_else(|| string_value(s))
        }),
        attributes,
        trace_id: id(cols.strings("trace_id")?, i)?,
        span_id: id(cols.strings("span_id")?, i)?,
        flags: cols.u32s("flags")?.value(i),
        event_name: text(cols.strings("event_name")?, i),
        ..Default::default()
    })
}

fn span_row(cols: &Columns, i: usize, attributes: Vec<KeyValue>) -> Result<Span, String> {
    let parse = |name: &str| -> Result<String, String> { Ok(text(cols.strings(name)?, i)) };
    let events = parse("events")?;
    let links = parse("links")?;
    Ok(Span {
        trace_id: id(cols.strings("trace_id")?, i)?,
        span_id: id(cols.strings("span_id")?, i)?,
        parent_span_id: id(cols.strings("parent_span_id")?, i)?,
        trace_state: parse("trace_state")?,
        name: parse("name")?,
        kind: cols.i32s("kind")?.value(i),
        start_time_unix_nano: time(cols.times("start_time")?, i),
        end_time_unix_nano: time(cols.times("end_time")?, i),
        attributes,
        events: serde_json::from_str(&events).map_err(|e| format!("row {i}: events: {e}"))?,
        links: serde_json::from_str(&links).map_err(|e| format!("row {i}: links: {e}"))?,
        status: {
            let code = cols.i32s("status_code")?.value(i);
            let message = parse("status_message")?;
            (code != 0 || !message.is_empty()).then_some(Status { code, message })
        },
        flags: cols.u32s("flags")?.value(i),
        ..Default::default()
    })
}
