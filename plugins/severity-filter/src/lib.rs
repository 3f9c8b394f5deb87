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
        Ok(self.filter(&batch.severity_numbers()))
    }
}

impl SeverityFilter {
    /// The outcome for a batch with these severities: "keep all" when
    /// nothing is below the threshold, so weir touches no record.
    fn filter(&self, severities: &[u8]) -> Outcome {
        Outcome::keep_where(
            severities
                .iter()
                .map(|&s| s >= self.min || (s == 0 && self.keep_unspecified)),
        )
    }
}

weir_guest::export_plugin!(SeverityFilter);

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(json: &str) -> SeverityFilter {
        SeverityFilter::init(Config::new(json)).unwrap()
    }

    #[test]
    fn drops_below_the_threshold_and_keeps_unspecified_by_default() {
        let f = filter(r#"{"min_severity": "WARN"}"#);
        assert_eq!(f.filter(&[9, 13, 0, 17, 12]), Outcome::keep(vec![1, 2, 3]));
        assert_eq!(f.filter(&[13, 21, 0]), Outcome::keep_all());
        assert_eq!(f.filter(&[1, 12]), Outcome::drop_all());
    }

    #[test]
    fn unspecified_can_be_dropped_and_numbers_work() {
        let f = filter(r#"{"min_severity": 17, "keep_unspecified": false}"#);
        assert_eq!(f.filter(&[0, 17, 16]), Outcome::keep(vec![1]));
    }

    #[test]
    fn bad_config_names_the_field() {
        let err = SeverityFilter::init(Config::new("{}")).err().unwrap();
        assert!(err.contains("missing field `min_severity`"), "{err}");
        let err = SeverityFilter::init(Config::new(r#"{"min_severity": "loud"}"#))
            .err()
            .unwrap();
        assert!(
            err.contains("`min_severity`") && err.contains("loud"),
            "{err}"
        );
        let err = SeverityFilter::init(Config::new(r#"{"min_severity": 30}"#))
            .err()
            .unwrap();
        assert!(err.contains("out of range"), "{err}");
    }
}
