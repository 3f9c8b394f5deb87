//! OTLP attribute values as text, as the Collector's exporters write
//! them: a tag or label value is the value's `AsString` form (strings as
//! they are, numbers and booleans as text, bytes in base64, arrays and
//! maps as JSON); the `attributes` field of InfluxDB logs and spans is a
//! JSON object of the attributes' plain values (`AsRaw`).

use std::borrow::Cow;

use base64::Engine;

use crate::otlp::common::{AnyValue, KeyValue, any_value::Value};

/// The value as text (otel2influx's `AsString`); empty for no value.
pub(crate) fn as_string(value: Option<&AnyValue>) -> Cow<'_, str> {
    match value.and_then(|v| v.value.as_ref()) {
        None => Cow::Borrowed(""),
        Some(Value::StringValue(s)) => Cow::Borrowed(s),
        // An index into a dictionary OTLP/profiles carries; metrics, logs
        // and spans have none, so there is no text to give.
        Some(Value::StringValueStrindex(_)) => Cow::Borrowed(""),
        Some(Value::IntValue(i)) => Cow::Owned(i.to_string()),
        Some(Value::DoubleValue(d)) => Cow::Owned(d.to_string()),
        Some(Value::BoolValue(b)) => Cow::Borrowed(if *b { "true" } else { "false" }),
        Some(Value::BytesValue(b)) => {
            Cow::Owned(base64::engine::general_purpose::STANDARD.encode(b))
        }
        Some(other @ (Value::ArrayValue(_) | Value::KvlistValue(_))) => {
            Cow::Owned(raw(Some(other)).to_string())
        }
    }
}

/// The value as plain JSON (otel2influx's `AsRaw`).
pub(crate) fn raw(value: Option<&Value>) -> serde_json::Value {
    use serde_json::Value as J;
    match value {
        None => J::Null,
        Some(Value::StringValue(s)) => J::String(s.clone()),
        Some(Value::StringValueStrindex(_)) => J::Null,
        Some(Value::IntValue(i)) => J::from(*i),
        // NaN and ±Inf have no JSON form: null, as Go's encoder would
        // refuse the whole object.
        Some(Value::DoubleValue(d)) => serde_json::Number::from_f64(*d).map_or(J::Null, J::Number),
        Some(Value::BoolValue(b)) => J::Bool(*b),
        Some(Value::BytesValue(b)) => {
            J::String(base64::engine::general_purpose::STANDARD.encode(b))
        }
        Some(Value::ArrayValue(a)) => {
            J::Array(a.values.iter().map(|v| raw(v.value.as_ref())).collect())
        }
        Some(Value::KvlistValue(kv)) => J::Object(
            kv.values
                .iter()
                .map(|kv| {
                    (
                        kv.key.clone(),
                        raw(kv.value.as_ref().and_then(|v| v.value.as_ref())),
                    )
                })
                .collect(),
        ),
    }
}

/// Adds `attributes` to a JSON object of plain values.
pub(crate) fn add_raw(object: &mut serde_json::Map<String, serde_json::Value>, kv: &KeyValue) {
    object.insert(
        kv.key.clone(),
        raw(kv.value.as_ref().and_then(|v| v.value.as_ref())),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otlp::common::{ArrayValue, KeyValueList};

    fn v(value: Value) -> AnyValue {
        AnyValue { value: Some(value) }
    }

    #[test]
    fn tag_text_is_as_string() {
        assert_eq!(as_string(Some(&v(Value::StringValue("a b".into())))), "a b");
        assert_eq!(as_string(Some(&v(Value::IntValue(-4)))), "-4");
        assert_eq!(as_string(Some(&v(Value::DoubleValue(0.25)))), "0.25");
        assert_eq!(
            as_string(Some(&v(Value::DoubleValue(1e21)))),
            "1000000000000000000000"
        );
        assert_eq!(as_string(Some(&v(Value::BoolValue(true)))), "true");
        assert_eq!(
            as_string(Some(&v(Value::BytesValue(vec![1, 2, 3])))),
            "AQID"
        );
        assert_eq!(as_string(None), "");
        let list = v(Value::KvlistValue(KeyValueList {
            values: vec![KeyValue {
                key: "k".into(),
                value: Some(v(Value::ArrayValue(ArrayValue {
                    values: vec![v(Value::IntValue(1)), v(Value::DoubleValue(f64::NAN))],
                }))),
                ..Default::default()
            }],
        }));
        assert_eq!(as_string(Some(&list)), r#"{"k":[1,null]}"#);
    }
}
