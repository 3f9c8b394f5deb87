//! A plugin's configuration as the CLI reads it: YAML (or JSON, which is
//! YAML too) from a file or the command line, handed to the plugin as JSON.

use std::path::Path;

use anyhow::Context;

/// Reads a configuration given as a file or as text; `{}` if neither.
pub(crate) fn plugin_config(file: Option<&Path>, text: Option<&str>) -> anyhow::Result<String> {
    let (yaml, origin) = match (file, text) {
        (Some(path), _) => (
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read plugin config {}", path.display()))?,
            path.display().to_string(),
        ),
        (None, Some(text)) => (text.to_string(), "--config-text".to_string()),
        (None, None) => return Ok("{}".to_string()),
    };
    yaml_to_json(&yaml).with_context(|| format!("plugin config {origin} is not valid YAML"))
}

/// Converts YAML text to JSON text; empty text is `{}`.
pub(crate) fn yaml_to_json(yaml: &str) -> anyhow::Result<String> {
    if yaml.trim().is_empty() {
        return Ok("{}".to_string());
    }
    let value: serde_json::Value = serde_norway::from_str(yaml)?;
    Ok(serde_json::to_string(&value)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_becomes_json() {
        let json = yaml_to_json("min_severity: WARN\nkeys: [a, b]\n").unwrap();
        assert_eq!(json, r#"{"min_severity":"WARN","keys":["a","b"]}"#);
    }

    #[test]
    fn empty_is_an_empty_object() {
        assert_eq!(yaml_to_json("  \n").unwrap(), "{}");
    }

    #[test]
    fn bad_yaml_is_an_error() {
        assert!(yaml_to_json("a: [1, 2").is_err());
    }
}
