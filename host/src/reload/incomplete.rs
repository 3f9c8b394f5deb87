//! Telling a plugin file that is still being written from a broken one.
//!
//! `cp` of a large file, a download or a slow network copy can be seen
//! half-way. Such a file fails to load like a corrupt one would, but it is
//! not a failure to report: the rest is coming. A WebAssembly binary is an
//! 8-byte header followed by sections, each with its size up front, so a
//! file cut short almost always ends inside a section that claims more
//! bytes than are there. Walking the top-level section headers finds that
//! in microseconds without parsing anything else. (wasmparser's streaming
//! parser could do the walk, but it cannot say "truncated" either, only
//! "need more data", which every valid file also says at its end; these few
//! lines are simpler than driving it.)

/// Whether `bytes` look like the beginning of a WebAssembly binary that
/// was cut short: the header, or a section, ends past the end of the data.
pub fn looks_truncated(bytes: &[u8]) -> bool {
    const MAGIC: &[u8; 4] = b"\0asm";
    if bytes.len() < 8 {
        // Empty or a few bytes: a file just created, or a prefix of the
        // header.
        return bytes.len() < 4 && MAGIC.starts_with(bytes)
            || bytes.len() >= 4 && bytes.starts_with(MAGIC);
    }
    if !bytes.starts_with(MAGIC) {
        return false;
    }
    let mut at = 8;
    while at < bytes.len() {
        at += 1; // section id
        let Some((size, len)) = read_u32_leb(&bytes[at.min(bytes.len())..]) else {
            return true; // the size itself is cut off
        };
        at += len;
        match at.checked_add(size as usize) {
            Some(end) if end <= bytes.len() => at = end,
            _ => return true,
        }
    }
    false
}

/// A LEB128-encoded u32 and its length in bytes; `None` if `bytes` end
/// inside it.
fn read_u32_leb(bytes: &[u8]) -> Option<(u32, usize)> {
    let mut value: u64 = 0;
    for (i, byte) in bytes.iter().take(5).enumerate() {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((value as u32, i + 1));
        }
    }
    if bytes.len() >= 5 {
        // Over-long: not a truncation but malformed; the loader says so.
        Some((u32::MAX, 5))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A component header and two sections (ids and contents made up).
    fn sample() -> Vec<u8> {
        let mut b = b"\0asm\x0d\x00\x01\x00".to_vec();
        b.extend([1, 3, 0xaa, 0xbb, 0xcc]);
        b.push(4);
        b.extend([0x81, 0x01]); // 129, two-byte LEB
        b.extend(std::iter::repeat_n(0u8, 129));
        b
    }

    #[test]
    fn a_whole_binary_is_not_truncated() {
        assert!(!looks_truncated(&sample()));
        assert!(!looks_truncated(b"\0asm\x0d\x00\x01\x00"));
    }

    #[test]
    fn every_proper_prefix_inside_a_section_is_truncated() {
        let whole = sample();
        // Prefixes ending exactly at a section boundary look complete:
        // those are the loader's to refuse (and hot reload waits for the
        // file to settle before reporting that).
        let boundaries = [8, 13];
        for len in 0..whole.len() {
            if boundaries.contains(&len) {
                continue;
            }
            assert!(looks_truncated(&whole[..len]), "prefix of {len} bytes");
        }
    }

    #[test]
    fn other_files_are_not_truncated() {
        assert!(!looks_truncated(b"hello, this is a text file"));
        assert!(!looks_truncated(b"\x7fELF\x02\x01\x01\x00\x00"));
    }
}
