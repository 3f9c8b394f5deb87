//! The protobuf wire format at its lowest level: varints, field keys and
//! the four wire types weir meets, read from a byte slice with the exact
//! acceptance rules of prost (the decoder the rest of weir uses), so that
//! the byte path refuses precisely what a full decode refuses.
//!
//! A failure is a small `Copy` [`Fault`] (a place and a reason without
//! text): the walk runs through millions of fields a second, and only the
//! one request that fails pays for wording its error.

use std::fmt;

/// A field's wire type (protobuf encoding spec, "Message Structure").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WireType {
    // The numbers are the wire format's (the walk's step table is built
    // from them).
    Varint = 0,
    Fixed64 = 1,
    Len = 2,
    StartGroup = 3,
    EndGroup = 4,
    Fixed32 = 5,
}

/// Why bytes were refused, without allocating.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Reason {
    Varint,
    Key(u64),
    WireTypeValue(u64),
    FieldZero,
    Overrun,
    Utf8 {
        number: u32,
        message: &'static str,
    },
    WrongWire {
        number: u32,
        message: &'static str,
        wire: WireType,
    },
    Packed {
        number: u32,
        message: &'static str,
        len: usize,
    },
    TooDeep,
    GroupMismatch {
        open: u32,
        close: u32,
    },
    StrayEndGroup(u32),
    TooLarge,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Reason::Varint => write!(f, "invalid varint"),
            Reason::Key(key) => write!(f, "invalid field key {key}"),
            Reason::WireTypeValue(w) => write!(f, "invalid wire type {w}"),
            Reason::FieldZero => write!(f, "invalid field number 0"),
            Reason::Overrun => write!(f, "field runs past the end of its message"),
            Reason::Utf8 { number, message } => {
                write!(f, "field {number} of {message} is not UTF-8")
            }
            Reason::WrongWire {
                number,
                message,
                wire,
            } => write!(
                f,
                "field {number} of {message} has the wrong wire type ({wire:?})"
            ),
            Reason::Packed {
                number,
                message,
                len,
            } => write!(
                f,
                "packed field {number} of {message} is {len} bytes, not a multiple of 8"
            ),
            Reason::TooDeep => write!(
                f,
                "messages nested more than {} deep",
                super::walk::RECURSION_LIMIT
            ),
            Reason::GroupMismatch { open, close } => {
                write!(
                    f,
                    "group {open} closed by an end-group tag of field {close}"
                )
            }
            Reason::StrayEndGroup(n) => write!(f, "unexpected end-group tag of field {n}"),
            Reason::TooLarge => write!(f, "request larger than 4 GiB"),
        }
    }
}

/// Where and why.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fault {
    pub at: usize,
    pub reason: Reason,
}

impl From<Fault> for super::Error {
    #[cold]
    fn from(f: Fault) -> Self {
        super::Error::new(f.at, f.reason.to_string())
    }
}

/// A cursor over one message's bytes. `base` is the slice's offset in the
/// whole request, so faults and recorded positions are request offsets.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> Reader<'a> {
    #[inline]
    pub(crate) fn new(buf: &'a [u8], base: usize) -> Self {
        Reader { buf, pos: 0, base }
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }

    /// The next byte, not consumed.
    #[inline(always)]
    pub(crate) fn peek(&self) -> Option<u8> {
        self.buf.get(self.pos).copied()
    }

    /// Consumes the byte [`Reader::peek`] returned.
    #[inline(always)]
    pub(crate) fn bump(&mut self) {
        self.pos += 1;
    }

    /// The request offset of the next byte.
    #[inline]
    pub(crate) fn offset(&self) -> usize {
        self.base + self.pos
    }

    #[cold]
    pub(crate) fn fault(&self, reason: Reason) -> Fault {
        Fault {
            at: self.offset(),
            reason,
        }
    }

    /// A varint as prost reads it: at most ten bytes, the tenth 0 or 1.
    #[inline(always)]
    pub(crate) fn varint(&mut self) -> Result<u64, Fault> {
        if let Some(&b) = self.buf.get(self.pos)
            && b < 0x80
        {
            self.pos += 1;
            return Ok(u64::from(b));
        }
        // Two bytes: the length of most records and attribute lists.
        if let Some(&[b0, b1]) = self.buf.get(self.pos..self.pos + 2).map(<[u8]>::as_ref)
            && b1 < 0x80
        {
            self.pos += 2;
            return Ok(u64::from(b0 & 0x7f) | u64::from(b1) << 7);
        }
        self.varint_slow()
    }

    fn varint_slow(&mut self) -> Result<u64, Fault> {
        let rest = self.buf.get(self.pos..).unwrap_or_default();
        let mut value = 0u64;
        for (i, &b) in rest.iter().take(10).enumerate() {
            if i == 9 && b > 1 {
                break;
            }
            value |= u64::from(b & 0x7f) << (7 * i);
            if b < 0x80 {
                self.pos += i + 1;
                return Ok(value);
            }
        }
        Err(self.fault(Reason::Varint))
    }

    /// A field key: number and wire type, refused as prost refuses them.
    #[inline(always)]
    pub(crate) fn key(&mut self) -> Result<(u32, WireType), Fault> {
        let at = self.pos;
        let key = self.varint()?;
        let wire = match key & 7 {
            0 => WireType::Varint,
            1 => WireType::Fixed64,
            2 => WireType::Len,
            3 => WireType::StartGroup,
            4 => WireType::EndGroup,
            5 => WireType::Fixed32,
            w => return Err(self.fault_at(at, Reason::WireTypeValue(w))),
        };
        if key > u64::from(u32::MAX) {
            return Err(self.fault_at(at, Reason::Key(key)));
        }
        let number = (key >> 3) as u32;
        if number == 0 {
            return Err(self.fault_at(at, Reason::FieldZero));
        }
        Ok((number, wire))
    }

    #[cold]
    fn fault_at(&self, pos: usize, reason: Reason) -> Fault {
        Fault {
            at: self.base + pos,
            reason,
        }
    }

    /// Skips `n` bytes, refusing to run past the end.
    #[inline(always)]
    pub(crate) fn skip(&mut self, n: u64) -> Result<(), Fault> {
        if n > (self.buf.len() - self.pos) as u64 {
            return Err(self.fault(Reason::Overrun));
        }
        self.pos += n as usize;
        Ok(())
    }

    /// A length-delimited value: its bytes and their request offset.
    #[inline(always)]
    pub(crate) fn len_delimited(&mut self) -> Result<(&'a [u8], usize), Fault> {
        let n = self.varint()?;
        let start = self.pos;
        self.skip(n)?;
        Ok((&self.buf[start..self.pos], self.base + start))
    }

    #[inline]
    pub(crate) fn fixed64(&mut self) -> Result<u64, Fault> {
        let start = self.pos;
        self.skip(8)?;
        let bytes: [u8; 8] = self.buf[start..self.pos].try_into().expect("8 bytes");
        Ok(u64::from_le_bytes(bytes))
    }
}

/// Bytes a varint of `v` takes.
pub(crate) fn varint_len(v: u64) -> usize {
    // 1 byte per started group of 7 bits; 0 still takes one byte.
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

/// Appends `v` as a varint.
pub(crate) fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_and_overlong_ones_are_refused() {
        for v in [0, 1, 127, 128, 300, u32::MAX as u64, u64::MAX] {
            let mut out = Vec::new();
            put_varint(&mut out, v);
            assert_eq!(out.len(), varint_len(v), "{v}");
            assert_eq!(Reader::new(&out, 0).varint().unwrap(), v);
        }
        // Ten bytes whose last is 2: more than 64 bits.
        let mut too_long = vec![0xff; 9];
        too_long.push(2);
        assert!(Reader::new(&too_long, 0).varint().is_err());
        // Cut short.
        assert!(Reader::new(&[0x80], 0).varint().is_err());
        // Non-minimal but within ten bytes: accepted, as prost does.
        assert_eq!(Reader::new(&[0x81, 0x00], 0).varint().unwrap(), 1);
    }
}
