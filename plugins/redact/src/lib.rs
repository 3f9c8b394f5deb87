//! `redact`: masks sensitive values in log records and spans — attribute
//! values under configured keys, and text matching patterns (e-mail
//! addresses, bearer tokens, payment card numbers, your own regexes) in
//! string attributes and log bodies.
//!
//! Only values that change are written back, so records with nothing to
//! hide are never touched.

mod patterns;

use weir_guest::{AttributesOf, Batch, Config, Info, Outcome, Plugin, Signal, Value};

use patterns::Patterns;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    /// Attribute keys whose values are replaced entirely (any case).
    #[serde(default = "default_keys")]
    keys: Vec<String>,
    /// Built-in patterns to mask inside text: `email`, `bearer`, `card`.
    #[serde(default = "default_patterns")]
    patterns: Vec<String>,
    /// Extra regular expressions to mask inside text.
    #[serde(default)]
    custom: Vec<String>,
    /// What replaces a masked value or match.
    #[serde(default = "default_replacement")]
    replacement: String,
    /// Also mask patterns in log bodies (string bodies).
    #[serde(default = "yes")]
    bodies: bool,
}

fn default_keys() -> Vec<String> {
    [
        "password",
        "passwd",
        "secret",
        "api_key",
        "apikey",
        "authorization",
        "cookie",
    ]
    .map(String::from)
    .to_vec()
}

fn default_patterns() -> Vec<String> {
    ["email", "bearer", "card"].map(String::from).to_vec()
}

fn default_replacement() -> String {
    "[REDACTED]".to_string()
}

fn yes() -> bool {
    true
}

struct Redact {
    keys: Vec<String>,
    patterns: Patterns,
    replacement: String,
    bodies: bool,
}

impl Redact {
    /// The masked form of attribute `key`'s `value`, or `None` if it has
    /// nothing to hide (or is masked already).
    fn masked(&self, key: &str, value: &Value) -> Option<String> {
        if self.keys.iter().any(|k| k.eq_ignore_ascii_case(key)) {
            (value.as_str() != Some(&self.replacement)).then(|| self.replacement.clone())
        } else {
            let text = value.as_str()?;
            self.patterns.mask(text, &self.replacement)
        }
    }

    fn redact_attributes(&self, batch: &Batch, record: u32) {
        for kv in batch.attributes(AttributesOf::Record, record) {
            if let Some(masked) = self.masked(&kv.key, &kv.value) {
                batch.set_attribute(
                    AttributesOf::Record,
                    record,
                    &kv.key,
                    &Value::String(masked),
                );
            }
        }
    }

    fn redact_body(&self, batch: &Batch, record: u32) {
        if let Value::String(text) = batch.body(record)
            && let Some(masked) = self.patterns.mask(&text, &self.replacement)
        {
            batch.set_body(record, &Value::String(masked));
        }
    }
}

impl Plugin for Redact {
    fn info() -> Info {
        Info::new("redact", "Masks sensitive attribute values and log bodies")
            .version(env!("CARGO_PKG_VERSION"))
            .signals(&[Signal::Logs, Signal::Traces])
    }

    fn init(config: Config) -> Result<Self, String> {
        let settings: Settings = config.parse()?;
        Ok(Redact {
            keys: settings.keys,
            patterns: Patterns::new(&settings.patterns, &settings.custom)?,
            replacement: settings.replacement,
            bodies: settings.bodies,
        })
    }

    fn process(&self, batch: &Batch) -> Result<Outcome, String> {
        let logs = batch.signal() == Signal::Logs;
        for record in 0..batch.len() {
            self.redact_attributes(batch, record);
            if logs && self.bodies {
                self.redact_body(batch, record);
            }
        }
        Ok(Outcome::keep_all())
    }
}

weir_guest::export_plugin!(Redact);

#[cfg(test)]
mod tests {
    use super::*;

    fn redact(json: &str) -> Result<Redact, String> {
        Redact::init(Config::new(json))
    }

    #[test]
    fn keys_mask_whole_values_in_any_case_and_only_once() {
        let r = redact(r#"{"keys": ["password"], "replacement": "***"}"#).unwrap();
        assert_eq!(
            r.masked("PassWord", &Value::from("hunter2")).unwrap(),
            "***"
        );
        assert_eq!(r.masked("password", &Value::Int(1234)).unwrap(), "***");
        assert_eq!(r.masked("password", &Value::from("***")), None);
        assert_eq!(r.masked("user.password", &Value::from("x")), None);
    }

    #[test]
    fn defaults_mask_common_keys_and_all_builtin_patterns() {
        let r = redact("{}").unwrap();
        assert_eq!(
            r.masked("Authorization", &Value::from("Basic Zm9v"))
                .unwrap(),
            "[REDACTED]"
        );
        assert_eq!(
            r.masked(
                "note",
                &Value::from("mail a@b.io, card 4111-1111-1111-1111")
            )
            .unwrap(),
            "mail [REDACTED], card [REDACTED]"
        );
        assert_eq!(r.masked("note", &Value::from("order 42")), None);
        assert_eq!(r.masked("count", &Value::Int(4111111111111111)), None);
    }

    #[test]
    fn bad_configs_name_what_is_wrong() {
        let err = redact(r#"{"patterns": ["email", "iban"]}"#).err().unwrap();
        assert!(err.contains("`iban`"), "{err}");
        let err = redact(r#"{"custom": ["ssn-(\\d+"]}"#).err().unwrap();
        assert!(err.contains("`custom`") && err.contains("ssn-("), "{err}");
        let err = redact(r#"{"key": ["password"]}"#).err().unwrap();
        assert!(err.contains("unknown field `key`"), "{err}");
    }
}
