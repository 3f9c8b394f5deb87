//! The three OpenTelemetry signals, as weir names them everywhere
//! (configuration, metrics labels, plugin API).

use std::fmt;
use std::str::FromStr;

/// A kind of telemetry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Signal {
    /// Log records.
    Logs,
    /// Metric data points.
    Metrics,
    /// Spans.
    Traces,
}

impl Signal {
    /// All signals, in a fixed order.
    pub const ALL: [Signal; 3] = [Signal::Logs, Signal::Metrics, Signal::Traces];

    /// The lower-case name used in configuration and labels.
    pub fn as_str(self) -> &'static str {
        match self {
            Signal::Logs => "logs",
            Signal::Metrics => "metrics",
            Signal::Traces => "traces",
        }
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Signal {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "logs" => Ok(Signal::Logs),
            "metrics" => Ok(Signal::Metrics),
            "traces" => Ok(Signal::Traces),
            other => Err(format!(
                "unknown signal `{other}`: expected logs, metrics or traces"
            )),
        }
    }
}
