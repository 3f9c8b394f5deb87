//! The walk's shortcut for the messages a request holds most of:
//! `KeyValue` attributes whose value is a scalar `AnyValue`, and scalar
//! `AnyValue` log bodies. A 1,000-record request holds several thousand
//! of them; walking each through the general, table-driven walk costs a
//! call, a reader and a dispatch per field, which dominated its profile.
//!
//! The shortcut only ever answers "valid, and nothing to record" or "not
//! sure": anything it does not expect (an array or map value, an unknown
//! field, a field repeated in another wire type, a malformed length or
//! bad UTF-8) sends the message back to the general walk, which accepts or
//! refuses it with the exact reasons. Neither message is part of the
//! index, so a message it accepts needs nothing more.

use super::reader::Reader;

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
/// valid and holds no array or map.
#[inline]
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
        Ok((text, _)) => text.is_ascii() || std::str::from_utf8(text).is_ok(),
        Err(_) => false,
    }
}
