//! `tagger`: appends its tag to attribute `KEY` of every log record
//! (`v1`, then `v1,v2` if a second tagger with the same key sees it).
//!
//! Key and tag live in [`TAG`], a fixed-size byte string that tests
//! overwrite in the compiled `.wasm` (see `weir_tests::guests::tagger`):
//! each patched copy is a distinct plugin version with a distinct content
//! hash and a visibly different behaviour, without a rebuild. A record
//! tagged `v3,v4` went through two versions; one tag means exactly one.

use weir_guest::{Batch, Config, Info, Outcome, Plugin, Signal, Value};

/// `WEIRTAG=` then `key:tag`, padded with spaces to the full length.
#[used]
static TAG: [u8; 48] = *b"WEIRTAG=weir.tag:v0                             ";

/// The key and tag, read so the compiler cannot fold the constant and
/// the bytes in the binary stay the ones that count.
fn key_and_tag() -> (String, String) {
    let mut bytes = [0u8; 48];
    for (i, b) in bytes.iter_mut().enumerate() {
        // SAFETY: reading an element of a static array in bounds.
        *b = unsafe { std::ptr::read_volatile(&TAG[i]) };
    }
    let text = String::from_utf8_lossy(&bytes[8..]).trim_end().to_string();
    match text.split_once(':') {
        Some((key, tag)) => (key.to_string(), tag.to_string()),
        None => ("weir.tag".to_string(), text),
    }
}

struct Tagger {
    key: String,
    tag: String,
}

impl Plugin for Tagger {
    fn info() -> Info {
        Info::new("tagger", "Tags log records with a patched-in tag")
            .version(env!("CARGO_PKG_VERSION"))
            .signals(&[Signal::Logs])
    }

    fn init(_config: Config) -> Result<Self, String> {
        let (key, tag) = key_and_tag();
        Ok(Tagger { key, tag })
    }

    fn process(&self, batch: &Batch) -> Result<Outcome, String> {
        for record in batch.records() {
            let tags = match record.attribute(&self.key) {
                Some(Value::String(before)) => format!("{before},{}", self.tag),
                _ => self.tag.clone(),
            };
            record.set_attribute(&self.key, &Value::String(tags));
        }
        Ok(Outcome::keep_all())
    }
}

weir_guest::export_plugin!(Tagger);
