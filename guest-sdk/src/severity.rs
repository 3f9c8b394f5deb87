//! [`Severity`]: OpenTelemetry log severity numbers, read from the names
//! and numbers people write in configuration.

use std::fmt;
use std::str::FromStr;

/// A log severity number, 1–24 (OpenTelemetry's `SeverityNumber`): TRACE
/// 1–4, DEBUG 5–8, INFO 9–12, WARN 13–16, ERROR 17–20, FATAL 21–24.
///
/// Parses from a number (`13`) or a name in any case (`"warn"`, `"WARN"`,
/// `"Warning"`, `"INFO2"`, `"fatal"`); deserialises from either in a
/// plugin's configuration.
///
/// ```
/// use weir_guest::Severity;
///
/// assert_eq!("Warning".parse::<Severity>()?.number(), 13);
/// assert_eq!("INFO2".parse::<Severity>()?.number(), 10);
/// assert_eq!("24".parse::<Severity>()?, Severity::from_number(24).unwrap());
/// assert!("loud".parse::<Severity>().unwrap_err().contains("unknown severity `loud`"));
/// # Ok::<(), String>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Severity(u8);

impl Severity {
    /// TRACE (1).
    pub const TRACE: Severity = Severity(1);
    /// DEBUG (5).
    pub const DEBUG: Severity = Severity(5);
    /// INFO (9).
    pub const INFO: Severity = Severity(9);
    /// WARN (13).
    pub const WARN: Severity = Severity(13);
    /// ERROR (17).
    pub const ERROR: Severity = Severity(17);
    /// FATAL (21).
    pub const FATAL: Severity = Severity(21);

    /// The severity with number `n`, if it is in 1–24.
    pub fn from_number(n: u8) -> Option<Severity> {
        (1..=24).contains(&n).then_some(Severity(n))
    }

    /// The severity number.
    pub fn number(self) -> u8 {
        self.0
    }
}

impl FromStr for Severity {
    type Err = String;

    fn from_str(s: &str) -> Result<Severity, String> {
        let text = s.trim();
        if let Ok(n) = text.parse::<u8>() {
            return Severity::from_number(n)
                .ok_or_else(|| format!("severity number {n} is out of range 1-24"));
        }
        let upper = text.to_ascii_uppercase();
        let split = upper
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(upper.len());
        let (name, step) = upper.split_at(split);
        let base = match name {
            "TRACE" => 1,
            "DEBUG" => 5,
            "INFO" | "INFORMATION" => 9,
            "WARN" | "WARNING" => 13,
            "ERROR" => 17,
            "FATAL" | "CRITICAL" => 21,
            _ => {
                return Err(format!(
                    "unknown severity `{s}`: expected TRACE, DEBUG, INFO, WARN, ERROR, \
                     FATAL (optionally 2-4, e.g. INFO2) or a number 1-24"
                ));
            }
        };
        let step = match step {
            "" => 1,
            "2" => 2,
            "3" => 3,
            "4" => 4,
            _ => {
                return Err(format!(
                    "unknown severity `{s}`: the suffix must be 2, 3 or 4"
                ));
            }
        };
        Ok(Severity(base + step - 1))
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const NAMES: [&str; 6] = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"];
        let range = (self.0 - 1) / 4;
        let step = (self.0 - 1) % 4 + 1;
        if step == 1 {
            f.write_str(NAMES[range as usize])
        } else {
            write!(f, "{}{step}", NAMES[range as usize])
        }
    }
}

impl<'de> serde::Deserialize<'de> for Severity {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Severity, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(u64),
            Name(String),
        }
        match Raw::deserialize(d)? {
            Raw::Number(n) => u8::try_from(n)
                .ok()
                .and_then(Severity::from_number)
                .ok_or_else(|| {
                    serde::de::Error::custom(format!("severity number {n} is out of range 1-24"))
                }),
            Raw::Name(s) => s.parse().map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers() {
        for (text, n) in [
            ("WARN", 13),
            ("warn", 13),
            ("Warning", 13),
            ("error", 17),
            ("INFO2", 10),
            ("fatal", 21),
            ("FATAL4", 24),
            ("trace", 1),
            ("13", 13),
            (" debug ", 5),
        ] {
            assert_eq!(text.parse::<Severity>().unwrap().number(), n, "{text}");
        }
    }

    #[test]
    fn unknown_names_are_refused_with_the_name() {
        let err = "LOUD".parse::<Severity>().unwrap_err();
        assert!(err.contains("LOUD"), "{err}");
        assert!("INFO5".parse::<Severity>().is_err());
        assert!("0".parse::<Severity>().is_err());
        assert!("25".parse::<Severity>().is_err());
    }

    #[test]
    fn displays_as_its_name() {
        assert_eq!(Severity::WARN.to_string(), "WARN");
        assert_eq!(Severity(10).to_string(), "INFO2");
    }

    #[test]
    fn deserialises_from_numbers_and_names() {
        let s: Severity = serde_json::from_str("17").unwrap();
        assert_eq!(s, Severity::ERROR);
        let s: Severity = serde_json::from_str("\"info\"").unwrap();
        assert_eq!(s, Severity::INFO);
        assert!(serde_json::from_str::<Severity>("300").is_err());
    }
}
