//! Log records and spans as lines, as otel2influx writes them for the
//! Collector's `influxdb` exporter.
//!
//! Logs go to measurement `logs`: tags are the `log_record_dimensions`
//! found among the resource's, scope's and record's attributes, and
//! `trace_id` / `span_id` (hex) when the record has both; fields are
//! `body` (text; other values as JSON), `severity_number`,
//! `severity_text`, `observed_time_unix_nano`, `attributes` (the other
//! attributes, a JSON object) and `dropped_attributes_count`. The time is
//! the record's, else its observed time, else now.
//!
//! Spans go to measurement `spans` at their start time: tags `trace_id`,
//! `span_id` and the `span_dimensions` (attributes, or `span.name`,
//! `span.kind`, `parent_span_id`); fields `span.name`, `span.kind`,
//! `parent_span_id` (when not tags), `trace_state`,
//! `end_time_unix_nano`, `duration_nano`, `otel.status_code`,
//! `otel.status_description`, `attributes` (JSON) and the dropped
//! counts. Each event is a line of `logs` (tags `trace_id`, `span_id`;
//! fields `event.name`, `attributes`), each link a line of `span-links`
//! (tags `trace_id`, `span_id`, `linked_trace_id`, `linked_span_id`).
//! A field whose key is also a tag is left out, as InfluxDB would refuse
//! the line.

use std::borrow::Cow;
use std::time::{SystemTime, UNIX_EPOCH};

use super::line::{Line, Lines, Skipped};
use super::metrics::{Limits, Tag, start};
use crate::exporter::attribute_text::{add_raw, as_string};
use crate::otlp::common::KeyValue;
use crate::otlp::trace::{span::SpanKind, status::StatusCode};
use crate::otlp::{ExportLogsServiceRequest, ExportTraceServiceRequest};

fn now_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// Sorts gathered tags by key, the last of each key winning (see
/// [`start`]).
fn sort(tags: &mut [Tag<'_>]) {
    tags.sort_by(|a, b| a.0.cmp(b.0));
}

fn has_tag(tags: &[Tag<'_>], key: &str) -> bool {
    tags.iter().any(|(k, _)| *k == key)
}

/// Adds the fields that are not tags.
struct Fields<'l, 't, 's> {
    line: Line<'l>,
    tags: &'t [Tag<'t>],
    skipped: &'s mut Skipped,
}

impl Fields<'_, '_, '_> {
    fn string(&mut self, key: &str, value: &str) {
        if !has_tag(self.tags, key) {
            self.line.string(key, value);
        }
    }

    fn int(&mut self, key: &str, value: i64) {
        if !has_tag(self.tags, key) {
            self.line.int(key, value);
        }
    }

    fn end(self, time: u64) {
        self.line.end(time, self.skipped);
    }
}

/// Writes the records of `request` as lines of `logs`.
pub(crate) fn logs(
    request: &ExportLogsServiceRequest,
    dimensions: &[String],
    limits: Limits,
    out: &mut Lines,
    skipped: &mut Skipped,
) {
    let mut tags: Vec<Tag<'_>> = Vec::new();
    for rl in &request.resource_logs {
        let resource: &[KeyValue] = rl.resource.as_ref().map_or(&[], |r| &r.attributes);
        for sl in &rl.scope_logs {
            let scope: &[KeyValue] = sl.scope.as_ref().map_or(&[], |s| &s.attributes);
            for record in &sl.log_records {
                tags.clear();
                let mut attributes = serde_json::Map::new();
                for kv in resource.iter().chain(scope).chain(&record.attributes) {
                    if kv.key.is_empty() {
                        continue;
                    }
                    if dimensions.contains(&kv.key) {
                        tags.push((&kv.key, as_string(kv.value.as_ref())));
                    } else {
                        add_raw(&mut attributes, kv);
                    }
                }
                let (trace_id, span_id) =
                    (hex::encode(&record.trace_id), hex::encode(&record.span_id));
                if !record.trace_id.is_empty() && !record.span_id.is_empty() {
                    tags.push(("trace_id", Cow::Owned(trace_id)));
                    tags.push(("span_id", Cow::Owned(span_id)));
                }
                sort(&mut tags);
                let time = match (record.time_unix_nano, record.observed_time_unix_nano) {
                    (0, 0) => now_nanos(),
                    (0, observed) => observed,
                    (time, _) => time,
                };
                let Some(line) = start(out, skipped, &tags, "logs", None) else {
                    continue;
                };
                let mut f = Fields {
                    line,
                    tags: &tags,
                    skipped,
                };
                if record.observed_time_unix_nano != 0 {
                    f.int(
                        "observed_time_unix_nano",
                        record.observed_time_unix_nano as i64,
                    );
                }
                if record.severity_number != 0 {
                    f.int("severity_number", i64::from(record.severity_number));
                }
                if !record.severity_text.is_empty() {
                    f.string("severity_text", &record.severity_text);
                }
                f.string("body", &as_string(record.body.as_ref()));
                if !attributes.is_empty() {
                    f.string(
                        "attributes",
                        &serde_json::Value::Object(attributes).to_string(),
                    );
                }
                if record.dropped_attributes_count > 0 {
                    f.int(
                        "dropped_attributes_count",
                        i64::from(record.dropped_attributes_count),
                    );
                }
                f.end(time);
                out.cut_if_full(limits.max_lines, limits.max_bytes);
            }
        }
    }
}

/// The kind as pdata names it (`Server`, `Client`, …).
fn kind_name(kind: i32) -> Option<&'static str> {
    Some(match SpanKind::try_from(kind).ok()? {
        SpanKind::Unspecified => return None,
        SpanKind::Internal => "Internal",
        SpanKind::Server => "Server",
        SpanKind::Client => "Client",
        SpanKind::Producer => "Producer",
        SpanKind::Consumer => "Consumer",
    })
}

/// Writes the spans of `request` as lines of `spans`, their events as
/// lines of `logs` and their links as lines of `span-links`.
pub(crate) fn spans(
    request: &ExportTraceServiceRequest,
    dimensions: &[String],
    limits: Limits,
    out: &mut Lines,
    skipped: &mut Skipped,
) {
    let mut tags: Vec<Tag<'_>> = Vec::new();
    let is_dimension = |key: &str| dimensions.iter().any(|d| d == key);
    for rs in &request.resource_spans {
        let resource: &[KeyValue] = rs.resource.as_ref().map_or(&[], |r| &r.attributes);
        for ss in &rs.scope_spans {
            let scope: &[KeyValue] = ss.scope.as_ref().map_or(&[], |s| &s.attributes);
            for span in &ss.spans {
                if span.trace_id.is_empty() || span.span_id.is_empty() {
                    skipped.no_id += 1;
                    continue;
                }
                if span.start_time_unix_nano == 0 {
                    skipped.no_timestamp += 1;
                    continue;
                }
                let trace_id = hex::encode(&span.trace_id);
                let span_id = hex::encode(&span.span_id);
                let parent =
                    (!span.parent_span_id.is_empty()).then(|| hex::encode(&span.parent_span_id));
                let kind = kind_name(span.kind);
                tags.clear();
                let mut attributes = serde_json::Map::new();
                for kv in resource.iter().chain(scope).chain(&span.attributes) {
                    if kv.key.is_empty() {
                        continue;
                    }
                    if is_dimension(&kv.key) {
                        tags.push((&kv.key, as_string(kv.value.as_ref())));
                    } else {
                        add_raw(&mut attributes, kv);
                    }
                }
                let structural = [
                    (
                        "span.name",
                        (!span.name.is_empty()).then_some(span.name.as_str()),
                    ),
                    ("span.kind", kind),
                    ("parent_span_id", parent.as_deref()),
                ];
                for (key, value) in structural {
                    if let Some(value) = value
                        && is_dimension(key)
                    {
                        tags.push((key, Cow::Owned(value.to_string())));
                    }
                }
                tags.push(("trace_id", Cow::Owned(trace_id.clone())));
                tags.push(("span_id", Cow::Owned(span_id.clone())));
                sort(&mut tags);
                let time = span.start_time_unix_nano;
                if let Some(line) = start(out, skipped, &tags, "spans", None) {
                    let mut f = Fields {
                        line,
                        tags: &tags,
                        skipped: &mut *skipped,
                    };
                    for (key, value) in structural {
                        if let Some(value) = value {
                            f.string(key, value);
                        }
                    }
                    if !span.trace_state.is_empty() {
                        f.string("trace_state", &span.trace_state);
                    }
                    if span.end_time_unix_nano != 0 {
                        f.int("end_time_unix_nano", span.end_time_unix_nano as i64);
                        f.int(
                            "duration_nano",
                            span.end_time_unix_nano.wrapping_sub(time) as i64,
                        );
                    }
                    if let Some(status) = &span.status {
                        match StatusCode::try_from(status.code) {
                            Ok(StatusCode::Ok) => f.string("otel.status_code", "Ok"),
                            Ok(StatusCode::Error) => f.string("otel.status_code", "Error"),
                            _ => {}
                        }
                        if !status.message.is_empty() {
                            f.string("otel.status_description", &status.message);
                        }
                    }
                    if !attributes.is_empty() {
                        f.string(
                            "attributes",
                            &serde_json::Value::Object(attributes).to_string(),
                        );
                    }
                    for (key, count) in [
                        ("dropped_attributes_count", span.dropped_attributes_count),
                        ("dropped_events_count", span.dropped_events_count),
                        ("dropped_links_count", span.dropped_links_count),
                    ] {
                        if count > 0 {
                            f.int(key, i64::from(count));
                        }
                    }
                    f.end(time);
                    out.cut_if_full(limits.max_lines, limits.max_bytes);
                }
                let ids = [
                    ("span_id", Cow::Borrowed(span_id.as_str())),
                    ("trace_id", Cow::Borrowed(trace_id.as_str())),
                ];
                for event in &span.events {
                    let Some(mut line) = start(out, skipped, &ids, "logs", None) else {
                        continue;
                    };
                    if !event.name.is_empty() {
                        line.string("event.name", &event.name);
                    }
                    if !event.attributes.is_empty() {
                        line.string("attributes", &json_object(&event.attributes));
                    }
                    if event.dropped_attributes_count > 0 {
                        line.int(
                            "dropped_attributes_count",
                            i64::from(event.dropped_attributes_count),
                        );
                    }
                    let event_time = if event.time_unix_nano == 0 {
                        time
                    } else {
                        event.time_unix_nano
                    };
                    line.end(event_time, skipped);
                    out.cut_if_full(limits.max_lines, limits.max_bytes);
                }
                for link in &span.links {
                    if link.trace_id.is_empty() || link.span_id.is_empty() {
                        skipped.no_id += 1;
                        continue;
                    }
                    let linked_trace = hex::encode(&link.trace_id);
                    let linked_span = hex::encode(&link.span_id);
                    let link_tags = [
                        ("linked_span_id", Cow::Borrowed(linked_span.as_str())),
                        ("linked_trace_id", Cow::Borrowed(linked_trace.as_str())),
                        ("span_id", Cow::Borrowed(span_id.as_str())),
                        ("trace_id", Cow::Borrowed(trace_id.as_str())),
                    ];
                    let Some(mut line) = start(out, skipped, &link_tags, "span-links", None) else {
                        continue;
                    };
                    if !link.trace_state.is_empty() {
                        line.string("trace_state", &link.trace_state);
                    }
                    if !link.attributes.is_empty() {
                        line.string("attributes", &json_object(&link.attributes));
                    }
                    if link.dropped_attributes_count > 0 {
                        line.int(
                            "dropped_attributes_count",
                            i64::from(link.dropped_attributes_count),
                        );
                    }
                    line.end(time, skipped);
                    out.cut_if_full(limits.max_lines, limits.max_bytes);
                }
            }
        }
    }
}

fn json_object(attributes: &[KeyValue]) -> String {
    let mut object = serde_json::Map::new();
    for kv in attributes {
        add_raw(&mut object, kv);
    }
    serde_json::Value::Object(object).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exporter::influxdb::line::tests::{Value, parse};
    use crate::otlp::common::{AnyValue, InstrumentationScope, any_value};
    use crate::otlp::logs::{LogRecord, ResourceLogs, ScopeLogs};
    use crate::otlp::resource::Resource;
    use crate::otlp::trace::{ResourceSpans, ScopeSpans, Span, Status, span};

    const LIMITS: Limits = Limits {
        max_lines: usize::MAX,
        max_bytes: usize::MAX,
    };

    fn kv(key: &str, value: any_value::Value) -> KeyValue {
        KeyValue {
            key: key.into(),
            value: Some(AnyValue { value: Some(value) }),
            ..Default::default()
        }
    }

    fn s(text: &str) -> any_value::Value {
        any_value::Value::StringValue(text.into())
    }

    fn resource() -> Option<Resource> {
        Some(Resource {
            attributes: vec![kv("service.name", s("shop")), kv("host.name", s("h1"))],
            ..Default::default()
        })
    }

    #[test]
    fn a_log_record_as_otel2influx_writes_it() {
        let request = ExportLogsServiceRequest {
            resource_logs: vec![ResourceLogs {
                resource: resource(),
                scope_logs: vec![ScopeLogs {
                    scope: Some(InstrumentationScope::default()),
                    log_records: vec![LogRecord {
                        time_unix_nano: 7,
                        observed_time_unix_nano: 8,
                        severity_number: 9,
                        severity_text: "INFO".into(),
                        body: Some(AnyValue {
                            value: Some(s("GET /cart \"ok\"")),
                        }),
                        attributes: vec![kv("status", any_value::Value::IntValue(200))],
                        trace_id: vec![1; 16],
                        span_id: vec![2; 8],
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        };
        let mut out = Lines::default();
        let mut skipped = Skipped::default();
        logs(
            &request,
            &["service.name".into()],
            LIMITS,
            &mut out,
            &mut skipped,
        );
        let lines = parse(std::str::from_utf8(&out.buf).unwrap());
        assert_eq!(lines.len(), 1);
        let line = &lines[0];
        assert_eq!(line.measurement, "logs");
        assert_eq!(line.time, 7);
        assert_eq!(
            line.tags,
            [
                ("service.name".to_string(), "shop".to_string()),
                ("span_id".into(), "0202020202020202".into()),
                ("trace_id".into(), "01010101010101010101010101010101".into()),
            ]
        );
        assert_eq!(
            line.fields,
            [
                ("observed_time_unix_nano".to_string(), Value::Int(8)),
                ("severity_number".into(), Value::Int(9)),
                ("severity_text".into(), Value::Str("INFO".into())),
                ("body".into(), Value::Str("GET /cart \"ok\"".into())),
                (
                    "attributes".into(),
                    Value::Str(r#"{"host.name":"h1","status":200}"#.into())
                ),
            ]
        );
    }

    #[test]
    fn a_span_with_an_event_and_a_link() {
        let request = ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                resource: resource(),
                scope_spans: vec![ScopeSpans {
                    spans: vec![Span {
                        trace_id: vec![1; 16],
                        span_id: vec![2; 8],
                        name: "GET /cart".into(),
                        kind: span::SpanKind::Server as i32,
                        start_time_unix_nano: 1_000,
                        end_time_unix_nano: 1_500,
                        status: Some(Status {
                            code: 2,
                            message: "boom".into(),
                        }),
                        events: vec![span::Event {
                            time_unix_nano: 1_200,
                            name: "retry".into(),
                            ..Default::default()
                        }],
                        links: vec![span::Link {
                            trace_id: vec![3; 16],
                            span_id: vec![4; 8],
                            trace_state: "a=b".into(),
                            ..Default::default()
                        }],
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        };
        let mut out = Lines::default();
        let mut skipped = Skipped::default();
        let dims = ["service.name".to_string(), "span.name".to_string()];
        spans(&request, &dims, LIMITS, &mut out, &mut skipped);
        assert_eq!(skipped, Skipped::default());
        let lines = parse(std::str::from_utf8(&out.buf).unwrap());
        let measurements: Vec<&str> = lines.iter().map(|l| l.measurement.as_str()).collect();
        assert_eq!(measurements, ["spans", "logs", "span-links"]);
        let span = &lines[0];
        assert_eq!(span.time, 1_000);
        let tag = |k: &str| {
            span.tags
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(tag("span.name"), Some("GET /cart"));
        assert_eq!(tag("service.name"), Some("shop"));
        let field = |k: &str| {
            span.fields
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(field("span.name"), None, "a tag, not also a field");
        assert_eq!(field("span.kind"), Some(Value::Str("Server".into())));
        assert_eq!(field("duration_nano"), Some(Value::Int(500)));
        assert_eq!(field("otel.status_code"), Some(Value::Str("Error".into())));
        assert_eq!(
            field("otel.status_description"),
            Some(Value::Str("boom".into()))
        );
        assert_eq!(
            field("attributes"),
            Some(Value::Str(r#"{"host.name":"h1"}"#.into()))
        );
        assert_eq!(lines[1].time, 1_200);
        assert_eq!(
            lines[1].fields,
            [("event.name".to_string(), Value::Str("retry".into()))]
        );
        assert_eq!(
            lines[2].fields,
            [("trace_state".to_string(), Value::Str("a=b".into()))]
        );
    }
}
