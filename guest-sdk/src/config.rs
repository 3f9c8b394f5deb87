//! [`Config`]: a plugin's configuration as weir hands it over (JSON text,
//! converted from the YAML the user wrote), and typed parsing of it.

use serde::de::DeserializeOwned;

/// A plugin's configuration: JSON text, `{}` when the user gave none.
///
/// ```
/// use weir_guest::{Config, Severity};
///
/// #[derive(serde::Deserialize)]
/// #[serde(deny_unknown_fields)]
/// struct Settings {
///     min_severity: Severity,
///     #[serde(default)]
///     keep_unspecified: bool,
/// }
///
/// let settings: Settings = Config::new(r#"{"min_severity": "warn"}"#).parse()?;
/// assert_eq!(settings.min_severity, Severity::WARN);
///
/// let err = Config::new(r#"{"min_severity": "LOUD"}"#).parse::<Settings>().err().unwrap();
/// assert!(err.starts_with("invalid configuration at `min_severity`: unknown severity `LOUD`"));
/// # Ok::<(), String>(())
/// ```
#[derive(Clone, Debug)]
pub struct Config {
    json: String,
}

impl Config {
    /// A configuration from JSON text. weir builds it for
    /// [`Plugin::init`](crate::Plugin::init); a plugin's own tests use it to
    /// try configurations natively.
    pub fn new(json: impl Into<String>) -> Config {
        Config { json: json.into() }
    }

    /// The configuration as JSON text.
    pub fn as_json(&self) -> &str {
        &self.json
    }

    /// Parses the configuration into `T`. Errors name the field at fault
    /// (`min_severity: unknown severity ...`), so they can go straight
    /// back to the user. Use `#[serde(deny_unknown_fields)]` on `T` to
    /// catch misspelt keys.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, String> {
        let json = if self.json.trim().is_empty() {
            "{}"
        } else {
            &self.json
        };
        let mut de = serde_json::Deserializer::from_str(json);
        serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            if path == "." {
                format!("invalid configuration: {inner}")
            } else {
                format!("invalid configuration at `{path}`: {inner}")
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Settings {
        min_severity: crate::Severity,
        #[serde(default)]
        keep_unspecified: bool,
    }

    #[test]
    fn errors_name_the_field() {
        let err = Config::new(r#"{"min_severity": "LOUD"}"#)
            .parse::<Settings>()
            .unwrap_err();
        assert!(
            err.contains("`min_severity`") && err.contains("LOUD"),
            "{err}"
        );
        let err = Config::new(r#"{"min_severity": 9, "keep": true}"#)
            .parse::<Settings>()
            .unwrap_err();
        assert!(err.contains("unknown field `keep`"), "{err}");
    }
}
