//! The validating pass: one walk over a request's bytes that checks every
//! field as prost's decoder would (wire types, lengths, varints, UTF-8 of
//! string fields, field number 0, end-group tags, the 100-message nesting
//! limit) and, for the messages that make up the request's structure,
//! records where they lie in the [`Builder`].
//!
//! A request the walk accepts is one `prost` decodes, and a request it
//! refuses is one `prost` refuses (the property tests in `tests` hold the
//! two to that); the reasons are worded here, not prost's.

use super::ascii::is_ascii;
use super::index::{Builder, Node};
use super::reader::{Fault, Reader, Reason, WireType};
use super::schema::{ANY_VALUE, KEY_VALUE, Kind, LOG_RECORD, Schema, Step, step};
use super::shortcuts::{ordered_log_record, scalar_any_value, scalar_key_value};

/// How deep messages may nest: prost's `RECURSION_LIMIT`.
pub(crate) const RECURSION_LIMIT: u32 = 100;

/// Walks the fields of one message of type `schema` held in `buf` (at
/// request offset `base`). `budget` is prost's recursion count for this
/// message: an embedded message or an unknown field needs it above 0.
/// `node` is the message's own node (level, position), if it has one.
pub(crate) fn walk(
    buf: &[u8],
    base: usize,
    schema: &'static Schema,
    budget: u32,
    node: Option<(usize, usize)>,
    builder: &mut Builder,
) -> Result<(), Fault> {
    let mut r = Reader::new(buf, base);
    while let Some(first) = r.peek() {
        let field_start = r.offset();
        // The common case: a one-byte key the schema knows, as a table
        // lookup. Anything else takes the general path below.
        let fast = match schema.steps.get(usize::from(first)) {
            Some(&step) if step != Step::Other => Some(step),
            _ => None,
        };
        let (number, step) = if let Some(step) = fast {
            r.bump();
            (u32::from(first >> 3), step)
        } else {
            let (number, wire) = r.key()?;
            let Some(kind) = schema.field(number) else {
                skip_unknown(&mut r, number, wire, budget)?;
                continue;
            };
            let step = step(kind, wire as u8, schema.capture == Some(number));
            if step == Step::Other {
                return Err(Fault {
                    at: field_start,
                    reason: Reason::WrongWire {
                        number,
                        message: schema.name,
                        wire,
                    },
                });
            }
            (number, step)
        };
        match step {
            Step::Varint => {
                r.varint()?;
            }
            Step::Capture => {
                let value = r.varint()?;
                if let Some((level, at)) = node {
                    builder.levels[level][at].value = value;
                }
            }
            Step::Fixed64 => r.skip(8)?,
            Step::Fixed32 => r.skip(4)?,
            Step::Bytes => {
                r.len_delimited()?;
            }
            Step::Str => {
                let (text, at) = r.len_delimited()?;
                // ASCII (most text in telemetry) is checked a word at a time.
                if !is_ascii(text)
                    && let Err(e) = std::str::from_utf8(text)
                {
                    return Err(Fault {
                        at: at + e.valid_up_to(),
                        reason: Reason::Utf8 {
                            number,
                            message: schema.name,
                        },
                    });
                }
            }
            Step::PackedFixed64 => {
                let (values, at) = r.len_delimited()?;
                if values.len() % 8 != 0 {
                    return Err(Fault {
                        at,
                        reason: Reason::Packed {
                            number,
                            message: schema.name,
                            len: values.len(),
                        },
                    });
                }
            }
            Step::PackedVarint => {
                let (values, at) = r.len_delimited()?;
                let mut p = Reader::new(values, at);
                while !p.is_empty() {
                    p.varint()?;
                }
            }
            Step::Msg => {
                let Some(Kind::Msg(inner)) = schema.field(number) else {
                    unreachable!("a Msg step is a message field");
                };
                if budget == 0 {
                    return Err(r.fault(Reason::TooDeep));
                }
                let header_end = r.offset();
                let (body, at) = r.len_delimited()?;
                // Attributes and bodies: the shortcut, when it is sure
                // (it needs budget for a `KeyValue` and its value).
                let certain = if std::ptr::eq(inner, &KEY_VALUE) {
                    budget >= 2 && scalar_key_value(body, at)
                } else if std::ptr::eq(inner, &ANY_VALUE) {
                    scalar_any_value(body, at)
                } else {
                    false
                };
                if certain {
                    continue;
                }
                let node = inner.level.map(|level| {
                    let node = Node {
                        start: field_start as u32,
                        key_len: (header_end - field_start) as u8,
                        body_start: at as u32,
                        end: (at + body.len()) as u32,
                        field: number,
                        parent: 0,
                        children: (0, 0),
                        value: 0,
                    };
                    (level, builder.open(level, node, schema.one_child))
                });
                // A log record as encoders write it: the shortcut (it
                // needs budget for the record, an attribute and its value).
                let shortcut = match node {
                    Some((level, n)) if std::ptr::eq(inner, &LOG_RECORD) && budget >= 3 => {
                        ordered_log_record(body, at).map(|severity| {
                            builder.levels[level][n].value = severity;
                        })
                    }
                    _ => None,
                };
                if shortcut.is_none() {
                    walk(body, at, inner, budget - 1, node, builder)?;
                }
                if let Some((level, n)) = node {
                    builder.close(level, n);
                }
            }
            Step::Other => unreachable!("refused above"),
        }
    }
    Ok(())
}

/// Skips a field the schema does not name, as prost's `skip_field` does
/// (groups included: old encoders may still write them).
pub(crate) fn skip_unknown(
    r: &mut Reader<'_>,
    number: u32,
    wire: WireType,
    budget: u32,
) -> Result<(), Fault> {
    if budget == 0 {
        return Err(r.fault(Reason::TooDeep));
    }
    match wire {
        WireType::Varint => r.varint().map(drop),
        WireType::Fixed64 => r.skip(8),
        WireType::Fixed32 => r.skip(4),
        WireType::Len => {
            let n = r.varint()?;
            r.skip(n)
        }
        WireType::StartGroup => loop {
            let (inner, inner_wire) = r.key()?;
            if inner_wire == WireType::EndGroup {
                if inner != number {
                    return Err(r.fault(Reason::GroupMismatch {
                        open: number,
                        close: inner,
                    }));
                }
                return Ok(());
            }
            skip_unknown(r, inner, inner_wire, budget - 1)?;
        },
        WireType::EndGroup => Err(r.fault(Reason::StrayEndGroup(number))),
    }
}
