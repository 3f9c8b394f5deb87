//! Conversions between the WIT types of the plugin contract and OTLP's.

use crate::otlp::common::{AnyValue, KeyValue, any_value::Value};
use crate::otlp::{Signal, any_value_from_json, any_value_to_json};

use super::bindings::{WitKeyValue, WitSignal, WitValue};

pub(crate) fn signal_to_wit(signal: Signal) -> WitSignal {
    match signal {
        Signal::Logs => WitSignal::Logs,
        Signal::Metrics => WitSignal::Metrics,
        Signal::Traces => WitSignal::Traces,
    }
}

pub(crate) fn signal_from_wit(signal: WitSignal) -> Signal {
    match signal {
        WitSignal::Logs => Signal::Logs,
        WitSignal::Metrics => Signal::Metrics,
        WitSignal::Traces => Signal::Traces,
    }
}

/// An OTLP `AnyValue` as a WIT value; nested values become OTLP/JSON.
pub(crate) fn value_to_wit(value: &AnyValue) -> WitValue {
    match &value.value {
        None => WitValue::Empty,
        Some(Value::StringValue(s)) => WitValue::String(s.clone()),
        Some(Value::BoolValue(b)) => WitValue::Bool(*b),
        Some(Value::IntValue(i)) => WitValue::Int(*i),
        Some(Value::DoubleValue(d)) => WitValue::Double(*d),
        Some(Value::BytesValue(b)) => WitValue::Bytes(b.clone()),
        Some(Value::ArrayValue(_) | Value::KvlistValue(_) | Value::StringValueStrindex(_)) => {
            WitValue::Json(any_value_to_json(value))
        }
    }
}

/// A WIT value as an OTLP `AnyValue`; fails on JSON that is not an OTLP
/// `AnyValue`.
pub(crate) fn value_from_wit(value: WitValue) -> Result<AnyValue, String> {
    let value = match value {
        WitValue::Empty => None,
        WitValue::String(s) => Some(Value::StringValue(s)),
        WitValue::Bool(b) => Some(Value::BoolValue(b)),
        WitValue::Int(i) => Some(Value::IntValue(i)),
        WitValue::Double(d) => Some(Value::DoubleValue(d)),
        WitValue::Bytes(b) => Some(Value::BytesValue(b)),
        WitValue::Json(text) => return any_value_from_json(&text),
    };
    Ok(AnyValue { value })
}

pub(crate) fn key_value_to_wit(kv: &KeyValue) -> WitKeyValue {
    WitKeyValue {
        key: kv.key.clone(),
        value: kv
            .value
            .as_ref()
            .map(value_to_wit)
            .unwrap_or(WitValue::Empty),
    }
}
