//! `bulky`: keeps every record after a pass through one of thousands of
//! generated functions — a plugin with megabytes of code, for measuring
//! how long hot reload takes for a large plugin. Not for production use.

use weir_guest::{Batch, Config, Info, Outcome, Plugin};

include!(concat!(env!("OUT_DIR"), "/generated.rs"));

struct Bulky;

impl Plugin for Bulky {
    fn info() -> Info {
        Info::new("bulky", "Large generated code; keeps every record")
            .version(env!("CARGO_PKG_VERSION"))
    }

    fn init(_config: Config) -> Result<Self, String> {
        Ok(Bulky)
    }

    fn process(&self, batch: &Batch) -> Result<Outcome, String> {
        let n = u64::from(batch.len());
        let f = TABLE[(n % TABLE.len() as u64) as usize];
        if f(n) == u64::MAX {
            return Err("unreachable in practice".into());
        }
        Ok(Outcome::keep_all())
    }
}

weir_guest::export_plugin!(Bulky);
