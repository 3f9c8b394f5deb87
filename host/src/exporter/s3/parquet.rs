//! Parquet objects: one flattened row per record, so DuckDB, Spark or
//! Athena query the archive without weir. The schema (one per signal) is
//! the user's reference, in the README; in short, every signal has
//!
//! | column | type |
//! |---|---|
//! | `service_name` | string: the resource's `service.name` |
//! | `resource_attributes` | map<string, string> |
//! | `scope_name`, `scope_version` | string |
//! | `attributes` | map<string, string>: the record's (span's, point's) |
//!
//! Attribute values that are not strings are written as text (`200`,
//! `true`, `1.5`; arrays, maps and bytes as their OTLP/JSON), so a map is
//! queried as `attributes['http.route']`. Logs add `time` and
//! `observed_time` (timestamp, ns, UTC), `severity_number`,
//! `severity_text`, `body` (a string body as is, others as OTLP/JSON),
//! `trace_id` and `span_id` (hex), `flags`, `event_name`. Traces add
//! `trace_id`, `span_id`, `parent_span_id`, `trace_state`, `name`,
//! `kind`, `start_time`, `end_time`, `duration_ns`, `status_code`,
//! `status_message`, `events` and `links` (OTLP/JSON arrays). Metrics (one
//! row per data point) add `time`, `start_time`, `metric_name`,
//! `metric_description`, `metric_unit`, `metric_type`, `value_double`,
//! `value_int`, `count`, `sum`, `is_monotonic`,
//! `aggregation_temporality`, and `point` (the whole point as OTLP/JSON).
//!
//! Rows are written as batches arrive, into row groups of the open object
//! (compressed by column chunk with the exporter's `compression`).
//! [`read`] turns logs and traces objects back into OTLP for `weir
//! replay`; attribute values come back as strings.

use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Float64Builder, Int32Builder, Int64Builder, MapBuilder, StringBuilder,
    TimestampNanosecondBuilder, UInt32Builder, UInt64Builder,
};
use arrow_array::{
    Array, ArrayRef, Int32Array, MapArray, RecordBatch, StringArray, TimestampNanosecondArray,
    UInt32Array,
};
use bytes::Bytes;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{GzipLevel, ZstdLevel};
use parquet::file::properties::WriterProperties;

use super::config::Compression;
use crate::otlp::common::{AnyValue, InstrumentationScope, KeyValue, any_value};
use crate::otlp::logs::{LogRecord, ResourceLogs};
use crate::otlp::metrics::{metric, number_data_point};
use crate::otlp::resource::Resource;
use crate::otlp::trace::{ResourceSpans, Span, Status};
use crate::otlp::{
    Batch, ExportLogsServiceRequest, ExportTraceServiceRequest, Payload, Signal, any_value_to_json,
};

/// Rows per row group, at most.
const ROW_GROUP: usize = 64 * 1024;

/// A Parquet object being written.
pub struct ParquetWriter {
    signal: Signal,
    writer: Option<ArrowWriter<Vec<u8>>>,
    compression: Compression,
    failed: Option<String>,
}

impl ParquetWriter {
    /// A new, empty object of `signal`, its column chunks compressed with
    /// `compression`.
    pub fn new(signal: Signal, compression: Compression) -> ParquetWriter {
        ParquetWriter {
            signal,
            writer: None,
            compression,
            failed: None,
        }
    }

    /// Adds `batch`'s records as rows.
    pub fn append(&mut self, batch: &Batch) -> Result<(), String> {
        if let Some(failed) = &self.failed {
            return Err(failed.clone());
        }
        let rows = rows(self.signal, batch).map_err(|e| e.to_string())?;
        if self.writer.is_none() {
            let codec = match self.compression {
                Compression::Zstd => parquet::basic::Compression::ZSTD(ZstdLevel::default()),
                Compression::Gzip => parquet::basic::Compression::GZIP(GzipLevel::default()),
                Compression::None => parquet::basic::Compression::UNCOMPRESSED,
            };
            let props = WriterProperties::builder()
                .set_compression(codec)
                .set_max_row_group_row_count(Some(ROW_GROUP))
                .build();
            self.writer = Some(
                ArrowWriter::try_new(Vec::new(), rows.schema(), Some(props))
                    .map_err(|e| e.to_string())?,
            );
        }
        let writer = self.writer.as_mut().expect("made above");
        writer.write(&rows).map_err(|e| {
            // A half-written row group cannot be taken back: the object
            // is unusable from here on.
            let e = e.to_string();
            self.failed = Some(e.clone());
            e
        })
    }

    /// The object's size so far: row groups written, plus the open one's
    /// estimated size.
    pub fn size(&self) -> usize {
        self.writer
            .as_ref()
            .map_or(0, |w| w.bytes_written() + w.in_progress_size())
    }

    /// The object's bytes.
    pub fn finish(self) -> Result<Vec<u8>, String> {
        if let Some(failed) = self.failed {
            return Err(failed);
        }
        match self.writer {
            Some(writer) => writer.into_inner().map_err(|e| e.to_string()),
            None => Err("an empty object".to_string()),
        }
    }
}

/// An attribute value as map text: strings as they are, scalars as
/// literals, the rest as OTLP/JSON.
fn value_text(value: Option<&AnyValue>) -> String {
    match value.and_then(|v| v.value.as_ref()) {
        Some(any_value::Value::StringValue(s)) => s.clone(),
        Some(any_value::Value::IntValue(i)) => i.to_string(),
        Some(any_value::Value::DoubleValue(d)) => d.to_string(),
        Some(any_value::Value::BoolValue(b)) => b.to_string(),
        None => String::new(),
        Some(_) => any_value_to_json(value.expect("matched Some")),
    }
}

fn hex_id(id: &[u8]) -> Option<String> {
    (!id.is_empty()).then(|| hex::encode(id))
}

/// The columns every signal has.
struct Common {
    service: StringBuilder,
    resource: MapBuilder<StringBuilder, StringBuilder>,
    scope_name: StringBuilder,
    scope_version: StringBuilder,
    attributes: MapBuilder<StringBuilder, StringBuilder>,
}

fn map_builder() -> MapBuilder<StringBuilder, StringBuilder> {
    MapBuilder::new(None, StringBuilder::new(), StringBuilder::new())
}

fn append_map(builder: &mut MapBuilder<StringBuilder, StringBuilder>, attrs: &[KeyValue]) {
    for kv in attrs {
        builder.keys().append_value(&kv.key);
        builder.values().append_value(value_text(kv.value.as_ref()));
    }
    // Appending to a builder of a fixed type cannot fail.
    let _ = builder.append(true);
}

impl Common {
    fn new() -> Common {
        Common {
            service: StringBuilder::new(),
            resource: map_builder(),
            scope_name: StringBuilder::new(),
            scope_version: StringBuilder::new(),
            attributes: map_builder(),
        }
    }

    fn row(
        &mut self,
        resource: Option<&Resource>,
        scope: Option<&InstrumentationScope>,
        attrs: &[KeyValue],
    ) {
        let rattrs = resource
            .map(|r| r.attributes.as_slice())
            .unwrap_or_default();
        let service = rattrs
            .iter()
            .find(|kv| kv.key == "service.name")
            .map(|kv| value_text(kv.value.as_ref()));
        self.service.append_option(service);
        append_map(&mut self.resource, rattrs);
        self.scope_name
            .append_option(scope.map(|s| s.name.as_str()));
        self.scope_version
            .append_option(scope.map(|s| s.version.as_str()));
        append_map(&mut self.attributes, attrs);
    }

    fn columns(mut self) -> Vec<(&'static str, ArrayRef)> {
        vec![
            ("service_name", Arc::new(self.service.finish())),
            ("resource_attributes", Arc::new(self.resource.finish())),
            ("scope_name", Arc::new(self.scope_name.finish())),
            ("scope_version", Arc::new(self.scope_version.finish())),
            ("attributes", Arc::new(self.attributes.finish())),
        ]
    }
}

fn timestamps() -> TimestampNanosecondBuilder {
    TimestampNanosecondBuilder::new().with_timezone("UTC")
}

fn nanos(t: u64) -> Option<i64> {
    (t != 0).then_some(t as i64)
}

/// `batch` as rows of `signal`'s schema.
fn rows(signal: Signal, batch: &Batch) -> Result<RecordBatch, arrow_schema::ArrowError> {
    let mut columns: Vec<(&'static str, ArrayRef)> = Vec::new();
    let mut common = Common::new();
    match (signal, batch.payload()) {
        (Signal::Logs, Payload::Logs(req)) => {
            let (mut time, mut observed) = (timestamps(), timestamps());
            let mut sev = Int32Builder::new();
            let (mut sev_text, mut body) = (StringBuilder::new(), StringBuilder::new());
            let (mut trace, mut span) = (StringBuilder::new(), StringBuilder::new());
            let mut flags = UInt32Builder::new();
            let mut event = StringBuilder::new();
            for rl in &req.resource_logs {
                for sl in &rl.scope_logs {
                    for r in &sl.log_records {
                        common.row(rl.resource.as_ref(), sl.scope.as_ref(), &r.attributes);
                        time.append_option(nanos(r.time_unix_nano));
                        observed.append_option(nanos(r.observed_time_unix_nano));
                        sev.append_value(r.severity_number);
                        sev_text.append_value(&r.severity_text);
                        body.append_option(r.body.as_ref().map(|b| match &b.value {
                            Some(any_value::Value::StringValue(s)) => s.clone(),
                            _ => any_value_to_json(b),
                        }));
                        trace.append_option(hex_id(&r.trace_id));
                        span.append_option(hex_id(&r.span_id));
                        flags.append_value(r.flags);
                        event.append_value(&r.event_name);
                    }
                }
            }
            columns.push(("time", Arc::new(time.finish())));
            columns.push(("observed_time", Arc::new(observed.finish())));
            columns.push(("severity_number", Arc::new(sev.finish())));
            columns.push(("severity_text", Arc::new(sev_text.finish())));
            columns.push(("body", Arc::new(body.finish())));
            columns.push(("trace_id", Arc::new(trace.finish())));
            columns.push(("span_id", Arc::new(span.finish())));
            columns.push(("flags", Arc::new(flags.finish())));
            columns.push(("event_name", Arc::new(event.finish())));
        }
        (Signal::Traces, Payload::Traces(req)) => {
            let [mut trace, mut span, mut parent, mut state, mut name] =
                std::array::from_fn(|_| StringBuilder::new());
            let mut kind = Int32Builder::new();
            let (mut start, mut end) = (timestamps(), timestamps());
            let mut duration = Int64Builder::new();
            let mut code = Int32Builder::new();
            let [mut message, mut events, mut links] =
                std::array::from_fn(|_| StringBuilder::new());
            let mut flags = UInt32Builder::new();
            for rs in &req.resource_spans {
                for ss in &rs.scope_spans {
                    for s in &ss.spans {
                        common.row(rs.resource.as_ref(), ss.scope.as_ref(), &s.attributes);
                        trace.append_option(hex_id(&s.trace_id));
                        span.append_option(hex_id(&s.span_id));
                        parent.append_option(hex_id(&s.parent_span_id));
                        state.append_value(&s.trace_state);
                        name.append_value(&s.name);
                        kind.append_value(s.kind);
                        start.append_option(nanos(s.start_time_unix_nano));
                        end.append_option(nanos(s.end_time_unix_nano));
                        duration.append_value(
                            s.end_time_unix_nano.saturating_sub(s.start_time_unix_nano) as i64,
                        );
                        let status = s.status.clone().unwrap_or_default();
                        code.append_value(status.code);
                        message.append_value(&status.message);
                        events.append_value(
                            serde_json::to_string(&s.events).expect("OTLP types serialise"),
                        );
                        links.append_value(
                            serde_json::to_string(&s.links).expect("OTLP types serialise"),
                        );
                        flags.append_value(s.flags);
                    }
                }
            }
            columns.push(("trace_id", Arc::new(trace.finish())));
            columns.push(("span_id", Arc::new(span.finish())));
            columns.push(("parent_span_id", Arc::new(parent.finish())));
            columns.push(("trace_state", Arc::new(state.finish())));
            columns.push(("name", Arc::new(name.finish())));
            columns.push(("kind", Arc::new(kind.finish())));
            columns.push(("start_time", Arc::new(start.finish())));
            columns.push(("end_time", Arc::new(end.finish())));
            columns.push(("duration_ns", Arc::new(duration.finish())));
            columns.push(("status_code", Arc::new(code.finish())));
            columns.push(("status_message", Arc::new(message.finish())));
            columns.push(("events", Arc::new(events.finish())));
            columns.push(("links", Arc::new(links.finish())));
            columns.push(("flags", Arc::new(flags.finish())));
        }
        (Signal::Metrics, Payload::Metrics(req)) => {
            let (mut time, mut start) = (timestamps(), timestamps());
            let [mut name, mut desc, mut unit, mut kind, mut point] =
                std::array::from_fn(|_| StringBuilder::new());
            let mut double = Float64Builder::new();
            let mut int = Int64Builder::new();
            let mut count = UInt64Builder::new();
            let mut sum = Float64Builder::new();
            let mut monotonic = BooleanBuilder::new();
            let mut temporality = Int32Builder::new();
            for rm in &req.resource_metrics {
                for sm in &rm.scope_metrics {
                    for m in &sm.metrics {
                        let mut row = |attrs: &[KeyValue],
                                       t: u64,
                                       st: u64,
                                       kind_name: &str,
                                       value: (Option<f64>, Option<i64>),
                                       cs: (Option<u64>, Option<f64>),
                                       mt: (Option<bool>, Option<i32>),
                                       json: String| {
                            common.row(rm.resource.as_ref(), sm.scope.as_ref(), attrs);
                            time.append_option(nanos(t));
                            start.append_option(nanos(st));
                            name.append_value(&m.name);
                            desc.append_value(&m.description);
                            unit.append_value(&m.unit);
                            kind.append_value(kind_name);
                            double.append_option(value.0);
                            int.append_option(value.1);
                            count.append_option(cs.0);
                            sum.append_option(cs.1);
                            monotonic.append_option(mt.0);
                            temporality.append_option(mt.1);
                            point.append_value(json);
                        };
                        let json = |p: &dyn erased::Json| p.json();
                        let number = |v: &Option<number_data_point::Value>| match v {
                            Some(number_data_point::Value::AsDouble(d)) => (Some(*d), None),
                            Some(number_data_point::Value::AsInt(i)) => (None, Some(*i)),
                            None => (None, None),
                        };
                        match &m.data {
                            Some(metric::Data::Gauge(g)) => {
                                for p in &g.data_points {
                                    row(
                                        &p.attributes,
                                        p.time_unix_nano,
                                        p.start_time_unix_nano,
                                        "gauge",
                                        number(&p.value),
                                        (None, None),
                                        (None, None),
                                        json(p),
                                    );
                                }
                            }
                            Some(metric::Data::Sum(s)) => {
                                for p in &s.data_points {
                                    row(
                                        &p.attributes,
                                        p.time_unix_nano,
                                        p.start_time_unix_nano,
                                        "sum",
                                        number(&p.value),
                                        (None, None),
                                        (Some(s.is_monotonic), Some(s.aggregation_temporality)),
                                        json(p),
                                    );
                                }
                            }
                            Some(metric::Data::Histogram(h)) => {
                                for p in &h.data_points {
                                    row(
                                        &p.attributes,
                                        p.time_unix_nano,
                                        p.start_time_unix_nano,
                                        "histogram",
                                        (None, None),
                                        (Some(p.count), p.sum),
                                        (None, Some(h.aggregation_temporality)),
                                        json(p),
                                    );
                                }
                            }
                            Some(metric::Data::ExponentialHistogram(h)) => {
                                for p in &h.data_points {
                                    row(
                                        &p.attributes,
                                        p.time_unix_nano,
                                        p.start_time_unix_nano,
                                        "exponential_histogram",
                                        (None, None),
                                        (Some(p.count), p.sum),
                                        (None, Some(h.aggregation_temporality)),
                                        json(p),
                                    );
                                }
                            }
                            Some(metric::Data::Summary(s)) => {
                                for p in &s.data_points {
                                    row(
                                        &p.attributes,
                                        p.time_unix_nano,
                                        p.start_time_unix_nano,
                                        "summary",
                                        (None, None),
                                        (Some(p.count), Some(p.sum)),
                                        (None, None),
                                        json(p),
                                    );
                                }
                            }
                            None => {}
                        }
                    }
                }
            }
            columns.push(("time", Arc::new(time.finish())));
            columns.push(("start_time", Arc::new(start.finish())));
            columns.push(("metric_name", Arc::new(name.finish())));
            columns.push(("metric_description", Arc::new(desc.finish())));
            columns.push(("metric_unit", Arc::new(unit.finish())));
            columns.push(("metric_type", Arc::new(kind.finish())));
            columns.push(("value_double", Arc::new(double.finish())));
            columns.push(("value_int", Arc::new(int.finish())));
            columns.push(("count", Arc::new(count.finish())));
            columns.push(("sum", Arc::new(sum.finish())));
            columns.push(("is_monotonic", Arc::new(monotonic.finish())));
            columns.push(("aggregation_temporality", Arc::new(temporality.finish())));
            columns.push(("point", Arc::new(point.finish())));
        }
        _ => unreachable!("a batch's payload is of its signal"),
    }
    columns.extend(common.columns());
    RecordBatch::try_from_iter(columns)
}

/// Serialising any data point to OTLP/JSON through one closure.
mod erased {
    pub trait Json {
        fn json(&self) -> String;
    }
    impl<T: serde::Serialize> Json for T {
        fn json(&self) -> String {
            serde_json::to_string(self).expect("OTLP types serialise")
        }
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otlp::logs::ScopeLogs;
    use crate::otlp::trace::ScopeSpans;

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
}
