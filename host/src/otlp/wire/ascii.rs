//! Whether a string field's bytes are ASCII, the walk's first test of
//! UTF-8 (only a field that fails it goes through `str::from_utf8`).
//!
//! Written by hand because the standard library's `<[u8]>::is_ascii`
//! checks a short slice, and the tail of a long one, a byte at a time: the
//! strings of a request are mostly short (attribute keys and values of a
//! few bytes to a few dozen), and that byte loop was a fifth of the walk's
//! attribute shortcut in a profile. Here every length is a few word loads
//! that may overlap (a byte read twice is tested twice, harmlessly), with
//! no loop below 16 bytes.

/// The top bit of every byte of a word: set in a byte that is not ASCII.
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// Whether every byte of `bytes` is below 0x80.
#[inline(always)]
pub(crate) fn is_ascii(bytes: &[u8]) -> bool {
    let n = bytes.len();
    let word = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
    let half = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
    match n {
        0 => true,
        1..4 => {
            // First, middle and last byte cover every length from 1 to 3.
            (bytes[0] | bytes[n / 2] | bytes[n - 1]) < 0x80
        }
        4..8 => (half(0) | half(n - 4)) & 0x8080_8080 == 0,
        8..=16 => (word(0) | word(n - 8)) & HIGH_BITS == 0,
        _ => {
            let mut seen = word(n - 16) | word(n - 8);
            let mut at = 0;
            while at + 16 <= n {
                seen |= word(at) | word(at + 8);
                at += 16;
            }
            seen & HIGH_BITS == 0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_ascii;

    #[test]
    fn agrees_with_the_standard_library_at_every_length_and_position() {
        for len in 0..80 {
            let clean = vec![b'a'; len];
            assert!(is_ascii(&clean), "length {len}");
            for at in 0..len {
                for high in [0x80, 0xc3, 0xff] {
                    let mut dirty = clean.clone();
                    dirty[at] = high;
                    assert_eq!(
                        is_ascii(&dirty),
                        dirty.is_ascii(),
                        "length {len}, byte {at}"
                    );
                    assert!(!is_ascii(&dirty), "length {len}, byte {at} = {high:#x}");
                }
            }
        }
    }
}
