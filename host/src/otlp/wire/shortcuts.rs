//! The walk's shortcuts for the messages a request holds most of: log
//! records, `KeyValue` attributes whose value is a scalar `AnyValue`, and
//! scalar `AnyValue` log bodies. A 1,000-record request holds several
//! thousand of them; walking each through the general, table-driven walk
//! costs a call, a reader and an indirect jump per field, which dominated
//! its profile.
//!
//! A log record is read as encoders write it — every protobuf encoder
//! writes fields in field-number order — as a straight run of "is the
//! next field this one?" tests, each of which the processor predicts.
//!
//! A shortcut only ever answers "valid" (with what the index needs) or
//! "not sure": anything it does not expect (fields out of order, an array
//! or map value, an unknown field, a malformed length or bad UTF-8) sends
//! the message back to the general walk, which accepts or refuses it with
//! the exact reasons. The property tests hold each shortcut to accept
//! only what prost decodes.

use super::ascii::is_ascii;
use super::reader::Reader;

/// `LogRecord` keys (field number << 3 | wire type), in field order.
mod log_record {
    pub const TIME: u8 = 1 << 3 | 1;
    pub const SEVERITY_NUMBER: u8 = 2 << 3;
    pub const SEVERITY_TEXT: u8 = 3 << 3 | 2;
    pub const BODY: u8 = 5 << 3 | 2;
    pub const ATTRIBUTES: u8 = 6 << 3 | 2;
    pub const DROPPED_ATTRIBUTES: u8 = 7 << 3;
    pub const FLAGS: u8 = 8 << 3 | 5;
    pub const TRACE_ID: u8 = 9 << 3 | 2;
    pub const SPAN_ID: u8 = 10 << 3 | 2;
    pub const OBSERVED_TIME: u8 = 11 << 3 | 1;
    pub const EVENT_NAME: u8 = 12 << 3 | 2;
}

/// The severity number of `body`, a `LogRecord` at request offset `at`
/// (0 when absent), if the record is certainly valid, in field order,
/// with scalar bodies and attributes. The caller must have nesting budget
/// for the record, an attribute and its value.
#[inline]
pub(crate) fn ordered_log_record(body: &[u8], at: usize) -> Option<u64> {
    use log_record::*;
    let mut r = Reader::new(body, at);
    let next = |r: &Reader<'_>, key: u8| r.peek() == Some(key);
    let mut severity = 0;
    if next(&r, TIME) {
        r.bump();
        r.skip(8).ok()?;
    }
    if next(&r, SEVERITY_NUMBER) {
        r.bump();
        severity = r.varint().ok()?;
    }
    if next(&r, SEVERITY_TEXT) {
        r.bump();
        string(&mut r).then_some(())?;
    }
    if next(&r, BODY) {
        r.bump();
        let (value, value_at) = r.len_delimited().ok()?;
        scalar_any_value(value, value_at).then_some(())?;
    }
    while next(&r, ATTRIBUTES) {
        r.bump();
        let (attribute, attribute_at) = r.len_delimited().ok()?;
        scalar_key_value(attribute, attribute_at).then_some(())?;
    }
    if next(&r, DROPPED_ATTRIBUTES) {
        r.bump();
        r.varint().ok()?;
    }
    if next(&r, FLAGS) {
        r.bump();
        r.skip(4).ok()?;
    }
    for key in [TRACE_ID, SPAN_ID] {
        if next(&r, key) {
            r.bump();
            r.len_delimited().ok()?;
        }
    }
    if next(&r, OBSERVED_TIME) {
        r.bump();
        r.skip(8).ok()?;
    }
    if next(&r, EVENT_NAME) {
        r.bump();
        string(&mut r).then_some(())?;
    }
    r.is_empty().then_some(severity)
}

/// `KeyValue.key` (field 1, length-delimited).
const KEY: u8 = 1 << 3 | 2;
/// `KeyValue.value` (field 2, length-delimited).
const VALUE: u8 = 2 << 3 | 2;
/// `KeyValue.key_strindex` (field 3, varint).
const KEY_STRINDEX: u8 = 3 << 3;

/// `AnyValue.string_value` (field 1, length-delimited).
const STRING: u8 = 1 << 3 | 2;
/// `AnyValue.bool_value` (field 2, varint).
const BOOL: u8 = 2 << 3;
/// `AnyValue.int_value` (field 3, varint).
const INT: u8 = 3 << 3;
/// `AnyValue.double_value` (field 4, fixed64).
const DOUBLE: u8 = 4 << 3 | 1;
/// `AnyValue.bytes_value` (field 7, length-delimited).
const BYTES: u8 = 7 << 3 | 2;
/// `AnyValue.string_value_strindex` (field 8, varint).
const STRING_STRINDEX: u8 = 8 << 3;

/// Whether `body`, a `KeyValue` at request offset `at`, is certainly valid
/// with a scalar value. The caller must have nesting budget for the
/// `KeyValue` and its `AnyValue`.
#[inline]
pub(crate) fn scalar_key_value(body: &[u8], at: usize) -> bool {
    let mut r = Reader::new(body, at);
    while let Some(key) = r.peek() {
        r.bump();
        let ok = match key {
            KEY => string(&mut r),
            VALUE => match r.len_delimited() {
                Ok((value, value_at)) => scalar_any_value(value, value_at),
                Err(_) => false,
            },
            KEY_STRINDEX => r.varint().is_ok(),
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    true
}

/// Whether `body`, an `AnyValue` at request offset `at`, is certainly
/// valid and holds no array or map. Inlined into its callers: a call per
/// attribute value and log body cost a tenth of its time in saving and
/// restoring registers.
#[inline(always)]
pub(crate) fn scalar_any_value(body: &[u8], at: usize) -> bool {
    let mut r = Reader::new(body, at);
    while let Some(key) = r.peek() {
        r.bump();
        let ok = match key {
            STRING => string(&mut r),
            BOOL | INT | STRING_STRINDEX => r.varint().is_ok(),
            DOUBLE => r.skip(8).is_ok(),
            BYTES => r.len_delimited().is_ok(),
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    true
}

/// Reads a length-delimited string field's value; whether it is UTF-8.
#[inline(always)]
fn string(r: &mut Reader<'_>) -> bool {
    match r.len_delimited() {
        Ok((text, _)) => is_ascii(text) || std::str::from_utf8(text).is_ok(),
        Err(_) => false,
    }
}
