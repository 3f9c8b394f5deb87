//! {{name}}: keeps log records at or above a configured severity.

use weir_guest::{Batch, Config, Info, Outcome, Plugin, Severity, Signal};

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    min_severity: Severity,
}

struct Filter {
    min: u8,
}

impl Plugin for Filter {
    fn info() -> Info {
        Info::new("{{name}}", "Keeps log records at or above a severity").signals(&[Signal::Logs])
    }

    fn init(config: Config) -> Result<Self, String> {
        let settings: Settings = config.parse()?;
        Ok(Filter { min: settings.min_severity.number() })
    }

    fn process(&self, batch: &Batch) -> Result<Outcome, String> {
        Ok(Outcome::keep_where(batch.severity_numbers().iter().map(|&s| s >= self.min)))
    }
}

weir_guest::export_plugin!(Filter);
