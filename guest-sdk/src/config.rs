//! [`Config`]: a plugin's configuration as weir hands it over (JSON text,
//! converted from the YAML the user wrote), and typed parsing of it.

use serde::de::DeserializeOwned;

/// A plugin's configuration: JSON text, `{}` when the user gave none.
#[derive(Clone, Debug)]
pub struct Config {
    json: String,
}

impl Config {
    pub(crate) fn new(json: String) -> Config {
        Config { json }
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
        let err = Config::new(r#"{"min_severity": "LOUD"}"#.into())
            .parse::<Settings>()
            .unwrap_err();
        assert!(
            err.contains("`min_severity`") && err.contains("LOUD"),
            "{err}"
        );
        let err = Config::new(r#"{"min_severity": 9, "keep": true}"#.into())
            .parse::<Settings>()
            .unwrap_err();
        assert!(err.contains("unknown field `keep`"), "{err}");
    }
}
