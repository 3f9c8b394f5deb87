//! The body of a `/insert/jsonline` request: one JSON object per log
//! record, one per line, each a flat set of string fields as
//! VictoriaLogs stores them. Pure functions, tested without a server.
//!
//! The fields are named as VictoriaLogs' own OpenTelemetry endpoint names
//! them, so a LogsQL query works the same whichever `mode` wrote the
//! records: resource and record attributes under their keys, nested maps
//! flattened with `.` (`http.request.method`), arrays as JSON text, bytes
//! in base64, numbers and booleans as text; `scope.name`,
//! `scope.version`, `scope.attributes.<key>`; `severity_text`,
//! `severity_number`, `trace_id` and `span_id` in hex, `event_name`.
//! Two things differ on purpose: the body is always `_msg` (a map or
//! array body as its JSON text, where the OpenTelemetry endpoint spreads a
//! map body into fields and leaves `_msg` empty), and an attribute named
//! like one of VictoriaLogs' own fields (`_msg`, `_time`, `_stream`,
//! `_stream_id`) is written as `attributes.<key>` so that it cannot
//! replace the record's message or time.

use std::borrow::Cow;
use std::time::{Duration, UNIX_EPOCH};

use base64::Engine;

use super::config::TimeFormat;
use crate::otlp::ExportLogsServiceRequest;
use crate::otlp::common::{AnyValue, KeyValue, any_value};
use crate::otlp::logs::LogRecord;

/// The field VictoriaLogs reads the message from (`_msg_field`).
pub(crate) const MSG_FIELD: &str = "_msg";
/// The field VictoriaLogs reads the time from (`_time_field`).
pub(crate) const TIME_FIELD: &str = "_time";

/// Field names VictoriaLogs gives a meaning of its own.
const RESERVED_FIELDS: [&str; 4] = ["_msg", "_time", "_stream", "_stream_id"];

/// Encodes every log record of `request` as a JSON line.
pub(crate) fn encode(request: &ExportLogsServiceRequest, time_format: TimeFormat) -> Vec<u8> {
    let mut out = Vec::new();
    // The fields a resource and a scope give all their records, written
    // once and copied into each record's line.
    let mut resource_fields = Vec::new();
    let mut scope_fields = Vec::new();
    for resource_logs in &request.resource_logs {
        resource_fields.clear();
        if let Some(resource) = &resource_logs.resource {
            write_attributes(&mut resource_fields, "", &resource.attributes);
        }
        for scope_logs in &resource_logs.scope_logs {
            scope_fields.clear();
            if let Some(scope) = &scope_logs.scope {
                if !scope.name.is_empty() {
                    write_field(&mut scope_fields, "scope.name", &scope.name);
                }
                if !scope.version.is_empty() {
                    write_field(&mut scope_fields, "scope.version", &scope.version);
                }
                write_attributes(&mut scope_fields, "scope.attributes", &scope.attributes);
            }
            for record in &scope_logs.log_records {
                write_record(
                    &mut out,
                    record,
                    &resource_fields,
                    &scope_fields,
                    time_format,
                );
            }
        }
    }
    out
}

/// Appends one record's line: `{"_time":…,"_msg":…,<resource>,<scope>,<record>}\n`.
fn write_record(
    out: &mut Vec<u8>,
    record: &LogRecord,
    resource_fields: &[u8],
    scope_fields: &[u8],
    time_format: TimeFormat,
) {
    let mut fields = Vec::with_capacity(256);
    if let Some(time) = record_time(record) {
        write_field(&mut fields, TIME_FIELD, &format_time(time, time_format));
    }
    if let Some(body) = record.body.as_ref().and_then(|b| b.value.as_ref()) {
        let message = match body {
            // Maps and arrays stay one message, as their JSON text.
            any_value::Value::ArrayValue(_) | any_value::Value::KvlistValue(_) => {
                Some(Cow::Owned(plain_json(body).to_string()))
            }
            other => scalar_text(other),
        };
        if let Some(message) = message {
            write_field(&mut fields, MSG_FIELD, &message);
        }
    }
    fields.extend_from_slice(resource_fields);
    fields.extend_from_slice(scope_fields);
    if !record.severity_text.is_empty() {
        write_field(&mut fields, "severity_text", &record.severity_text);
    }
    if record.severity_number != 0 {
        write_field(
            &mut fields,
            "severity_number",
            &record.severity_number.to_string(),
        );
    }
    write_attributes(&mut fields, "", &record.attributes);
    if !record.trace_id.is_empty() {
        write_field(&mut fields, "trace_id", &hex::encode(&record.trace_id));
    }
    if !record.span_id.is_empty() {
        write_field(&mut fields, "span_id", &hex::encode(&record.span_id));
    }
    if !record.event_name.is_empty() {
        write_field(&mut fields, "event_name", &record.event_name);
    }
    out.push(b'{');
    // Every field was written with a leading comma.
    out.extend_from_slice(fields.strip_prefix(b",").unwrap_or(&fields));
    out.extend_from_slice(b"}\n");
}

/// The record's time: when it happened, else when it was observed.
fn record_time(record: &LogRecord) -> Option<u64> {
    [record.time_unix_nano, record.observed_time_unix_nano]
        .into_iter()
        .find(|&t| t != 0)
}

/// `_time` in the chosen format.
pub(crate) fn format_time(unix_nanos: u64, format: TimeFormat) -> String {
    match format {
        TimeFormat::UnixNano => unix_nanos.to_string(),
        TimeFormat::Rfc3339 => {
            humantime::format_rfc3339_nanos(UNIX_EPOCH + Duration::from_nanos(unix_nanos))
                .to_string()
        }
    }
}

/// Appends `,"<key>":"<value>"`, both escaped as JSON strings.
fn write_field(out: &mut Vec<u8>, key: &str, value: &str) {
    out.push(b',');
    write_string(out, key);
    out.push(b':');
    write_string(out, value);
}

fn write_string(out: &mut Vec<u8>, text: &str) {
    // serde_json's string escaping: quotes, backslashes and every control
    // character, so a body with newlines stays on its line.
    serde_json::to_writer(&mut *out, text).expect("writing to a Vec cannot fail");
}

/// Appends attributes as fields named `<prefix>.<key>` (or `<key>` with
/// no prefix), maps flattened into further fields.
fn write_attributes(out: &mut Vec<u8>, prefix: &str, attributes: &[KeyValue]) {
    for attribute in attributes {
        let Some(value) = attribute.value.as_ref().and_then(|v| v.value.as_ref()) else {
            // A key without a value: VictoriaLogs keeps nothing for it.
            continue;
        };
        let name = if prefix.is_empty() {
            if RESERVED_FIELDS.contains(&attribute.key.as_str()) {
                Cow::Owned(format!("attributes.{}", attribute.key))
            } else {
                Cow::Borrowed(attribute.key.as_str())
            }
        } else {
            Cow::Owned(format!("{prefix}.{}", attribute.key))
        };
        write_value(out, &name, value);
    }
}

fn write_value(out: &mut Vec<u8>, name: &str, value: &any_value::Value) {
    match value {
        any_value::Value::KvlistValue(list) => write_attributes(out, name, &list.values),
        any_value::Value::ArrayValue(_) => write_field(out, name, &plain_json(value).to_string()),
        other => {
            if let Some(text) = scalar_text(other) {
                write_field(out, name, &text);
            }
        }
    }
}

/// A value that is not a map or an array, as text: strings as they are,
/// integers in decimal, doubles in their shortest exact form without an
/// exponent (as Go's `strconv.FormatFloat(v, 'f', -1, 64)`, which
/// VictoriaLogs uses), bytes in standard base64. `None` for a profiles
/// dictionary index (`string_value_strindex`), which means nothing
/// outside a profile and which VictoriaLogs skips too.
fn scalar_text(value: &any_value::Value) -> Option<Cow<'_, str>> {
    Some(match value {
        any_value::Value::StringValue(s) => Cow::Borrowed(s),
        any_value::Value::BoolValue(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
        any_value::Value::IntValue(i) => Cow::Owned(i.to_string()),
        any_value::Value::DoubleValue(d) => Cow::Owned(format_double(*d)),
        any_value::Value::BytesValue(b) => {
            Cow::Owned(base64::engine::general_purpose::STANDARD.encode(b))
        }
        any_value::Value::ArrayValue(_) | any_value::Value::KvlistValue(_) => {
            Cow::Owned(plain_json(value).to_string())
        }
        any_value::Value::StringValueStrindex(_) => return None,
    })
}

/// Rust's `Display` for `f64` is the shortest text that reads back as
/// the same number, never with an exponent; only the non-finite values
/// are spelled as Go spells them.
fn format_double(d: f64) -> String {
    if d.is_nan() {
        "NaN".into()
    } else if d.is_infinite() {
        if d > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        d.to_string()
    }
}

/// A value as plain JSON (not OTLP/JSON's `{"stringValue": …}`): maps as
/// objects, arrays as arrays, integers and finite doubles as numbers,
/// bytes as base64 strings, non-finite doubles as their text.
pub(crate) fn plain_json(value: &any_value::Value) -> serde_json::Value {
    use serde_json::Value as Json;
    let inner = |v: &AnyValue| v.value.as_ref().map_or(Json::Null, plain_json);
    match value {
        any_value::Value::StringValue(s) => Json::String(s.clone()),
        any_value::Value::BoolValue(b) => Json::Bool(*b),
        any_value::Value::IntValue(i) => Json::from(*i),
        any_value::Value::DoubleValue(d) => serde_json::Number::from_f64(*d)
            .map_or_else(|| Json::String(format_double(*d)), Json::Number),
        any_value::Value::BytesValue(b) => {
            Json::String(base64::engine::general_purpose::STANDARD.encode(b))
        }
        any_value::Value::ArrayValue(array) => {
            Json::Array(array.values.iter().map(inner).collect())
        }
        any_value::Value::KvlistValue(list) => Json::Object(
            list.values
                .iter()
                .map(|kv| (kv.key.clone(), kv.value.as_ref().map_or(Json::Null, inner)))
                .collect(),
        ),
        any_value::Value::StringValueStrindex(_) => Json::Null,
    }
}

#[cfg(test)]
mod tests;
