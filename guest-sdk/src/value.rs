//! Conveniences on [`Value`](crate::Value), the WIT attribute value
//! (OTLP's `AnyValue`; arrays and maps arrive as OTLP/JSON text).

use crate::Value;

impl Value {
    /// The string, if this is a string value.
    ///
    /// ```
    /// use weir_guest::Value;
    ///
    /// assert_eq!(Value::from("acme").as_str(), Some("acme"));
    /// assert_eq!(Value::Int(7).as_str(), None);
    /// assert_eq!(Value::Int(7).to_text().as_deref(), Some("7"));
    /// ```
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The integer, if this is an int value.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The boolean, if this is a bool value.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The number, if this is a double or int value.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Double(d) => Some(*d),
            Value::Int(i) => Some(*i as f64),
            _ => None,
        }
    }

    /// The value as text, as a human would write it: strings as they are,
    /// numbers and booleans formatted, nested values as their OTLP/JSON;
    /// `None` for bytes and empty values.
    pub fn to_text(&self) -> Option<String> {
        match self {
            Value::String(s) => Some(s.clone()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Int(i) => Some(i.to_string()),
            Value::Double(d) => Some(d.to_string()),
            Value::Json(j) => Some(j.clone()),
            Value::Bytes(_) | Value::Empty => None,
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Int(i)
    }
}

impl From<f64> for Value {
    fn from(d: f64) -> Value {
        Value::Double(d)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}
