//! `severity-filter`: drops log records below a configured severity.
//!
//! Reads every severity of the batch in one call and answers with the
//! indices to keep (or "keep all" when nothing is below the threshold, so
//! weir touches no record).

use weir_guest::{Batch, Config, Info, Outcome, Plugin, Severity, Signal};

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    /// Lowest severity kept: a name (`WARN`, `error`, `INFO2`) or 1-24.
    min_severity: Severity,
    /// Keep records whose severity is unspecified (0). Default: true, so
    /// that records from sources that set no severity are not lost.
    #[serde(default = "yes")]
    keep_unspecified: bool,
}

fn yes() -> bool {
    true
}

struct SeverityFilter {
    min: u8,
    keep_unspecified: bool,
}

impl Plugin for SeverityFilter {
    fn info() -> Info {
        Info::new(
            "severity-filter",
            "Drops log records below a configured severity",
        )
        .version(env!("CARGO_PKG_VERSION"))
        .signals(&[Signal::Logs])
    }

    fn init(config: Config) -> Result<Self, String> {
        let settings: Settings = config.parse()?;
        Ok(SeverityFilter {
            min: settings.min_severity.number(),
            keep_unspecified: settings.keep_unspecified,
        })
    }

    fn process(&self, batch: &Batch) -> Result<Outcome, String> {
        let severities = batch.severity_numbers();
        Ok(Outcome::keep_where(severities.iter().map(|&s| {
            s >= self.min || (s == 0 && self.keep_unspecified)
        })))
    }
}

weir_guest::export_plugin!(SeverityFilter);
