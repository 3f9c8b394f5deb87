//! The protobuf wire format at its lowest level: varints, field keys and
//! the four wire types weir meets, read from a byte slice with the exact
//! acceptance rules of prost (the decoder the rest of weir uses), so that
//! the byte path refuses precisely what a full decode refuses.

use super::Error;

/// A field's wire type (protobuf encoding spec, "Message Structure").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WireType {
    Varint,
    Fixed64,
    Len,
    StartGroup,
    EndGroup,
    Fixed32,
}

/// A cursor over one message's bytes. `base` is the slice's offset in the
/// whole request, so errors and recorded positions are request offsets.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8], base: usize) -> Self {
        Reader { buf, pos: 0, base }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }

    /// The request offset of the next byte.
    pub(crate) fn offset(&self) -> usize {
        self.base + self.pos
    }

    pub(crate) fn error(&self, reason: impl Into<String>) -> Error {
        Error::new(self.offset(), reason)
    }

    /// A varint as prost reads it: at most ten bytes, the tenth 0 or 1.
    #[inline]
    pub(crate) fn varint(&mut self) -> Result<u64, Error> {
        let rest = &self.buf[self.pos.min(self.buf.len())..];
        if let Some(&b) = rest.first()
            && b < 0x80
        {
            self.pos += 1;
            return Ok(u64::from(b));
        }
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
        Err(self.error("invalid varint"))
    }

    /// A field key: number and wire type, refused as prost refuses them.
    #[inline]
    pub(crate) fn key(&mut self) -> Result<(u32, WireType), Error> {
        let at = self.offset();
        let key = self.varint()?;
        if key > u64::from(u32::MAX) {
            return Err(Error::new(at, format!("invalid field key {key}")));
        }
        let wire = match key & 7 {
            0 => WireType::Varint,
            1 => WireType::Fixed64,
            2 => WireType::Len,
            3 => WireType::StartGroup,
            4 => WireType::EndGroup,
            5 => WireType::Fixed32,
            w => return Err(Error::new(at, format!("invalid wire type {w}"))),
        };
        let number = (key >> 3) as u32;
        if number == 0 {
            return Err(Error::new(at, "invalid field number 0"));
        }
        Ok((number, wire))
    }

    /// Skips `n` bytes, refusing to run past the end.
    #[inline]
    pub(crate) fn skip(&mut self, n: u64) -> Result<(), Error> {
        if n > (self.buf.len() - self.pos) as u64 {
            return Err(self.error("field runs past the end of its message"));
        }
        self.pos += n as usize;
        Ok(())
    }

    /// A length-delimited value: its bytes and their request offset.
    #[inline]
    pub(crate) fn len_delimited(&mut self) -> Result<(&'a [u8], usize), Error> {
        let n = self.varint()?;
        let start = self.pos;
        self.skip(n)?;
        Ok((&self.buf[start..self.pos], self.base + start))
    }

    pub(crate) fn fixed64(&mut self) -> Result<u64, Error> {
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
