//! Making distinct versions of a plugin file without rebuilding it: the
//! `tagger` guest with another key and tag patched in, the `prober` guest
//! misbehaving in `describe`, or any plugin with
//! a custom section appended (same behaviour, new content hash, so weir
//! compiles it afresh).

use crate::guests;

/// The marker before the tagger's patchable bytes.
const MARKER: &[u8] = b"WEIRTAG=";
/// Bytes after the marker: `key:tag` padded with spaces.
const FIELD: usize = 40;

/// The `tagger` guest that appends `tag` to attribute `key` of every log
/// record.
pub fn tagger(key: &str, tag: &str) -> Vec<u8> {
    let mut bytes = std::fs::read(guests::TAGGER).expect("the tagger guest is built");
    let at = bytes
        .windows(MARKER.len())
        .position(|w| w == MARKER)
        .expect("the tagger's marker is in its data")
        + MARKER.len();
    let text = format!("{key}:{tag}");
    assert!(text.len() <= FIELD, "key and tag fit in {FIELD} bytes");
    let mut field = text.into_bytes();
    field.resize(FIELD, b' ');
    bytes[at..at + FIELD].copy_from_slice(&field);
    bytes
}

/// `component` with a custom section named `weir-test` holding `payload`
/// appended: a valid component that behaves the same, with another hash.
pub fn with_custom_section(mut component: Vec<u8>, payload: &[u8]) -> Vec<u8> {
    let name = b"weir-test";
    let mut content = leb128(name.len() as u32);
    content.extend_from_slice(name);
    content.extend_from_slice(payload);
    component.push(0); // custom section id
    component.extend(leb128(content.len() as u32));
    component.extend(content);
    component
}

fn leb128(mut value: u32) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

/// The marker before the `prober` guest's `describe` mode.
const DESCRIBE_MARKER: &[u8] = b"WEIRDESCRIBE=";

/// The `prober` guest whose `describe` does `mode`: `loop`, `alloc`,
/// `trap` or `sleep` (anything else describes normally, as `ok`).
pub fn prober_describing(mode: &str) -> Vec<u8> {
    let field: &[u8; 4] = match mode {
        "loop" => b"loop",
        "alloc" => b"allo",
        "trap" => b"trap",
        "sleep" => b"slep",
        _ => b"ok  ",
    };
    let mut bytes = std::fs::read(guests::PROBER).expect("the prober guest is built");
    let found: Vec<usize> = bytes
        .windows(DESCRIBE_MARKER.len())
        .enumerate()
        .filter(|(_, w)| *w == DESCRIBE_MARKER)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "the prober's describe marker is in its data once"
    );
    let at = found[0] + DESCRIBE_MARKER.len();
    bytes[at..at + 4].copy_from_slice(field);
    bytes
}
