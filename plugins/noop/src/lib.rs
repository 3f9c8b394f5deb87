//! `noop`: keeps every record and reads nothing, so it measures the fixed
//! cost of a plugin in the path (the call into the component and back).

use weir_guest::{Batch, Config, Info, Outcome, Plugin};

struct Noop;

impl Plugin for Noop {
    fn info() -> Info {
        Info::new("noop", "Keeps every record; for benchmarks").version(env!("CARGO_PKG_VERSION"))
    }

    fn init(_config: Config) -> Result<Self, String> {
        Ok(Noop)
    }

    fn process(&self, _batch: &Batch) -> Result<Outcome, String> {
        Ok(Outcome::keep_all())
    }
}

weir_guest::export_plugin!(Noop);
