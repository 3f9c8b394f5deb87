//! Reading fields out of bytes the walk has already validated: an
//! iterator over one message's fields, and the few reads the accessors
//! need (the last value of a field, as prost keeps the last; every
//! value of a repeated one, in order).
//!
//! The bytes were validated, so a read cannot fail; should one anyway
//! (a bug), iteration stops early rather than panicking in the data path.

use super::reader::{Reader, WireType};
use super::walk::{RECURSION_LIMIT, skip_unknown};

/// A field's value, undecoded.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Value<'a> {
    Fixed64(u64),
    /// Length-delimited bytes, and their request offset.
    Len(&'a [u8], usize),
    /// A varint, fixed32 or group: nothing an accessor reads (a log
    /// record's severity, the one varint read, is captured by the walk).
    Other,
}

/// The fields of one message, in order.
pub(crate) struct Fields<'a> {
    reader: Reader<'a>,
}

pub(crate) fn fields(body: &[u8], base: usize) -> Fields<'_> {
    Fields {
        reader: Reader::new(body, base),
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = (u32, Value<'a>);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.reader.is_empty() {
            return None;
        }
        let r = &mut self.reader;
        let read = (|| {
            let (number, wire) = r.key()?;
            let value = match wire {
                WireType::Varint => {
                    r.varint()?;
                    Value::Other
                }
                WireType::Fixed64 => Value::Fixed64(r.fixed64()?),
                WireType::Len => {
                    let (bytes, at) = r.len_delimited()?;
                    Value::Len(bytes, at)
                }
                WireType::Fixed32 => {
                    r.skip(4)?;
                    Value::Other
                }
                WireType::StartGroup | WireType::EndGroup => {
                    skip_unknown(r, number, wire, RECURSION_LIMIT)?;
                    Value::Other
                }
            };
            Ok::<_, super::reader::Fault>((number, value))
        })();
        match read {
            Ok(field) => Some(field),
            Err(_) => {
                // Stop: see the module comment.
                self.reader = Reader::new(&[], 0);
                None
            }
        }
    }
}

/// The last fixed64 of field `number`, if any.
pub(crate) fn last_fixed64(body: &[u8], number: u32) -> Option<u64> {
    fields(body, 0)
        .filter_map(|(n, v)| match v {
            Value::Fixed64(x) if n == number => Some(x),
            _ => None,
        })
        .last()
}

/// The last string of field `number`, or "" (proto3's default).
pub(crate) fn last_str(body: &[u8], number: u32) -> &str {
    let bytes = fields(body, 0)
        .filter_map(|(n, v)| match v {
            Value::Len(b, _) if n == number => Some(b),
            _ => None,
        })
        .last()
        .unwrap_or_default();
    // Validated as UTF-8 by the walk.
    std::str::from_utf8(bytes).unwrap_or_default()
}

/// Every length-delimited value of field `number`, in order, with offsets.
pub(crate) fn each_len(
    body: &[u8],
    base: usize,
    number: u32,
) -> impl Iterator<Item = (&[u8], usize)> {
    fields(body, base).filter_map(move |(n, v)| match v {
        Value::Len(b, at) if n == number => Some((b, at)),
        _ => None,
    })
}
