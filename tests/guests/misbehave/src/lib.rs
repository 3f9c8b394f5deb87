//! `misbehave`: a plugin that misbehaves when asked, to prove the host
//! contains it. The action comes from the string attribute `test.action`
//! of record 0, or else from `action` in the config:
//!
//! - `loop`: never returns;
//! - `alloc`: allocates memory without end;
//! - `trap`: panics (a wasm trap);
//! - `error`: returns an error;
//! - `bad-index`: returns an outcome naming a record that does not exist;
//! - `mutate-then-trap`: sets `mutated=yes` on record 0, then panics;
//! - `escape`: tries the filesystem, environment, network and clock, and
//!   reports what it got as attributes of record 0;
//! - `init-fail` (config only): refuses to start;
//! - anything else: keeps everything.

use std::hint::black_box;

use weir_guest::{AttributesOf, Batch, Config, Info, Outcome, Plugin, Value};

#[derive(serde::Deserialize, Default)]
struct Settings {
    #[serde(default)]
    action: String,
}

struct Misbehave {
    default_action: String,
}

fn report(batch: &Batch, key: &str, value: String) {
    batch.set_attribute(AttributesOf::Record, 0, key, &Value::String(value));
}

fn escape(batch: &Batch) {
    let file = match std::fs::read_to_string("/etc/passwd") {
        Ok(text) => format!("read {} bytes", text.len()),
        Err(e) => format!("denied: {e}"),
    };
    report(batch, "escape.file", file);
    report(
        batch,
        "escape.env",
        format!("{} variables", std::env::vars().count()),
    );
    let net = match std::net::TcpStream::connect("127.0.0.1:9") {
        Ok(_) => "connected".to_string(),
        Err(e) => format!("denied: {e}"),
    };
    report(batch, "escape.net", net);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(u64::MAX);
    report(batch, "escape.clock", now.to_string());
}

impl Plugin for Misbehave {
    fn info() -> Info {
        Info::new("misbehave", "Misbehaves on request; for weir's tests")
    }

    fn init(config: Config) -> Result<Self, String> {
        let settings: Settings = config.parse()?;
        if settings.action == "init-fail" {
            return Err("misbehave: init refused".into());
        }
        Ok(Misbehave {
            default_action: settings.action,
        })
    }

    fn process(&self, batch: &Batch) -> Result<Outcome, String> {
        let asked = if batch.is_empty() {
            None
        } else {
            batch.attribute(AttributesOf::Record, 0, "test.action")
        };
        let action = asked
            .as_ref()
            .and_then(Value::as_str)
            .unwrap_or(&self.default_action);
        match action {
            "loop" => {
                let mut n = 0u64;
                loop {
                    n = black_box(n.wrapping_add(1));
                }
            }
            "alloc" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 1 << 20]);
                    black_box(&hoard);
                }
            }
            "trap" => panic!("misbehave: asked to trap"),
            "error" => Err("misbehave: asked to fail".into()),
            "bad-index" => Ok(Outcome::keep(vec![batch.len() + 5])),
            "mutate-then-trap" => {
                report(batch, "mutated", "yes".into());
                panic!("misbehave: trapping after a change");
            }
            "escape" => {
                escape(batch);
                Ok(Outcome::keep_all())
            }
            _ => Ok(Outcome::keep_all()),
        }
    }
}

weir_guest::export_plugin!(Misbehave);
