//! The example plugins written in Python, JavaScript, C and Go
//! (`plugins/<lang>/`), loaded by weir and run on the same batches with the
//! same configurations as their Rust versions: what comes out must be the
//! same, record for record, and they must refuse the same configurations.
//!
//! They are built by `scripts/build-plugins.sh` (which `scripts/test.sh`
//! runs) into `$WEIR_LANG_PLUGINS`, by default `<target dir>/lang-plugins`;
//! a test whose plugin is missing fails saying how to build it.

use std::path::PathBuf;
use std::sync::Arc;

use weir::otlp::Batch;
use weir::otlp::logs::LogRecord;
use weir::plugin::{InstanceOptions, Plugin, Routed};
use weir_tests::batches::{self, attr, log_record, string_value};
use weir_tests::guests;

use crate::support::{load, run_ok, run_weir};

/// Where scripts/build-plugins.sh puts the plugins (the same rule).
fn lang_plugins_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("WEIR_LANG_PLUGINS") {
        return dir.into();
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("lang-plugins")
}

/// The `lang` build of example `name`, or a failure saying how to build it.
fn lang_plugin(lang: &str, name: &str) -> Arc<Plugin> {
    load(lang_plugin_path(lang, name).to_str().unwrap())
}

/// Where the `lang` build of example `name` is; fails saying how to build
/// it if it is not there.
fn lang_plugin_path(lang: &str, name: &str) -> PathBuf {
    let path = lang_plugins_dir().join(lang).join(format!("{name}.wasm"));
    assert!(
        path.exists(),
        "{} is missing: build the {lang} plugins with \
         `bash scripts/plugin-toolchains.sh install && bash scripts/build-plugins.sh {lang}` \
         (with the same CARGO_TARGET_DIR or WEIR_LANG_PLUGINS as this test)",
        path.display()
    );
    path
}

/// What a run produced, in a form to compare: the kept batch, the routes
/// and the number dropped.
fn run(
    plugin: &Arc<Plugin>,
    config: &str,
    batch: &Batch,
) -> (Option<Batch>, Vec<(String, Batch)>, usize) {
    let mut instance = plugin
        .instantiate(InstanceOptions {
            config: config.to_string(),
            ..InstanceOptions::default()
        })
        .unwrap_or_else(|e| panic!("{} refused {config}: {e}", plugin.info().name));
    let Routed {
        keep,
        routes,
        dropped,
        ..
    } = run_ok(&mut instance, batch.clone());
    (keep, routes, dropped)
}

/// Every severity 0-24, twice, with some records' severity unspecified.
fn all_severities() -> Batch {
    let records: Vec<LogRecord> = (0..50)
        .map(|i| LogRecord {
            severity_number: (i % 25) as i32,
            ..log_record(i)
        })
        .collect();
    batches::logs_from(records).into()
}

/// Records with things to hide in attributes and bodies, and some without.
fn secrets() -> Batch {
    let texts = [
        "mail jane@example.com now",
        "Authorization: Bearer abc.def-ghi",
        "card 4111-1111-1111-1111.",
        "order 4111 1111 1111 1112",
        "qty 99 88 4111 1111 1111 1111 ok",
        "id ssn-123456 and 5500-0000-0000-0004",
        "nothing here",
        "id 41111111111111111111",
    ];
    let records: Vec<LogRecord> = (0..24)
        .map(|i| {
            let mut r = log_record(i);
            let text = texts[i % texts.len()];
            r.body = Some(string_value(text));
            r.attributes
                .push(attr("note", texts[(i + 3) % texts.len()]));
            if i % 4 == 0 {
                r.attributes.push(attr("PassWord", "hunter2"));
            }
            if i % 5 == 0 {
                r.attributes.push(attr("api_key", "[REDACTED]"));
            }
            r
        })
        .collect();
    batches::logs_from(records).into()
}

/// The severity filter's configurations, and the batches each is run on.
const SEVERITY_CONFIGS: &[&str] = &[
    r#"{"min_severity": "WARN"}"#,
    r#"{"min_severity": 17}"#,
    r#"{"min_severity": "info2", "keep_unspecified": false}"#,
    r#"{"min_severity": "TRACE"}"#,
];
const SEVERITY_REFUSED: &[&str] = &[
    "{}",
    r#"{"min_severity": "loud"}"#,
    r#"{"min_severity": 30}"#,
    r#"{"min_severity": "WARN", "keep_unspecifed": true}"#,
    r#"{"min_severity": "WARN", "keep_unspecified": "yes"}"#,
];
const REDACT_CONFIGS: &[&str] = &[
    "{}",
    r#"{"keys": ["password"], "replacement": "***"}"#,
    r#"{"patterns": ["card"], "custom": ["ssn-\\d+"], "bodies": false}"#,
    r#"{"patterns": [], "keys": ["note"]}"#,
];
const REDACT_REFUSED: &[&str] = &[
    r#"{"patterns": ["email", "iban"]}"#,
    r#"{"custom": ["ssn-(\\d+"]}"#,
    r#"{"key": ["password"]}"#,
];

/// `lang`'s build of `name` gives the same result as the Rust one on
/// every batch and configuration, and refuses the same configurations.
fn same_as_rust(
    lang: &str,
    name: &str,
    rust: &str,
    configs: &[&str],
    refused: &[&str],
    inputs: &[Batch],
) {
    let ours = lang_plugin(lang, name);
    let theirs = load(rust);
    assert_eq!(ours.info().name, theirs.info().name);
    assert_eq!(ours.info().signals, theirs.info().signals);
    for config in configs {
        for (n, batch) in inputs.iter().enumerate() {
            assert!(
                run(&ours, config, batch) == run(&theirs, config, batch),
                "{lang} {name} differs from Rust's with {config} on batch {n}"
            );
        }
    }
    for config in refused {
        let options = InstanceOptions {
            config: config.to_string(),
            ..InstanceOptions::default()
        };
        let err = theirs.instantiate(options.clone()).err();
        assert!(err.is_some(), "Rust {name} accepts {config}");
        let err = ours.instantiate(options).err();
        let message = err
            .unwrap_or_else(|| panic!("{lang} {name} accepts {config}"))
            .to_string();
        assert!(
            message.contains("refused its configuration"),
            "{lang}: {message}"
        );
    }
}

fn severity_filter(lang: &str) {
    let inputs = [
        batches::logs_batch(60),
        all_severities(),
        batches::logs_batch(1),
        batches::spans(4).into(),
    ];
    same_as_rust(
        lang,
        "severity-filter",
        guests::SEVERITY_FILTER,
        SEVERITY_CONFIGS,
        SEVERITY_REFUSED,
        &inputs,
    );
}

fn redact(lang: &str) {
    let inputs = [secrets(), batches::logs_batch(30), batches::spans(6).into()];
    // The batches do have something to hide, so equal output means equal masking.
    let (kept, _, _) = run(&load(guests::REDACT), "{}", &inputs[0]);
    assert_ne!(
        kept.as_ref(),
        Some(&inputs[0]),
        "Rust redact masks nothing in secrets()"
    );
    same_as_rust(
        lang,
        "redact",
        guests::REDACT,
        REDACT_CONFIGS,
        REDACT_REFUSED,
        &inputs,
    );
}

#[test]
fn c_severity_filter_matches_rust() {
    severity_filter("c");
}

#[test]
fn c_redact_matches_rust() {
    redact("c");
}

#[test]
fn c_redact_custom_regexes_match_rust() {
    // The C version translates regex-lite syntax to POSIX ERE: the Perl
    // classes, escapes, `.` (not a newline), (?:...), (?i) and classes
    // holding \d or escapes must match what Rust's regexes match.
    let configs = [
        r#"{"patterns": [], "custom": ["\\w+@\\w+\\.io", "(?i)SSN-\\d{3}", "x.y", "[\\d.-]{5,}"]}"#,
        r#"{"patterns": [], "custom": ["(?:card|order) \\d+", "\\s+ok$", "^mail", "[^\\s]+4111"]}"#,
        r#"{"patterns": ["email"], "custom": ["[\\[\\]a]", "é."], "replacement": ""}"#,
    ];
    let texts = [
        "mail jane@example.io now",
        "ssn-123 SSN-456 Ssn-7",
        "x\ny xéy x.y",
        "order 12 card 4111 ok",
        "1.2.3-4 [a] éé",
        "qty 99 88 4111 1111 1111 1111 ok",
    ];
    let records = (0..12)
        .map(|i| {
            let mut r = log_record(i);
            r.body = Some(string_value(texts[i % texts.len()]));
            r.attributes
                .push(attr("note", texts[(i + 1) % texts.len()]));
            r
        })
        .collect();
    let refused = [
        r#"{"custom": ["secret(?=s)"]}"#,
        r#"{"custom": ["\\bkey\\b"]}"#,
        r#"{"custom": ["a+?"]}"#,
    ];
    same_as_rust(
        "c",
        "redact",
        guests::REDACT,
        &configs,
        &[],
        &[batches::logs_from(records).into()],
    );
    // What ERE cannot express is refused, naming the pattern (Rust
    // accepts these).
    let plugin = lang_plugin("c", "redact");
    for (config, construct) in refused.iter().zip(["lookaround", "word boundary", "lazy"]) {
        let message = plugin
            .instantiate(InstanceOptions {
                config: config.to_string(),
                ..InstanceOptions::default()
            })
            .err()
            .unwrap_or_else(|| panic!("C redact accepts {config}"))
            .to_string();
        assert!(
            message.contains("bad regex `") && message.contains(construct),
            "{config}: {message}"
        );
    }
}

#[test]
fn python_severity_filter_matches_rust() {
    severity_filter("python");
}

#[test]
fn python_redact_matches_rust() {
    redact("python");
}

#[test]
fn js_severity_filter_matches_rust() {
    severity_filter("js");
}

#[test]
fn js_redact_matches_rust() {
    redact("js");
}

#[test]
fn go_severity_filter_matches_rust() {
    severity_filter("go");
}

#[test]
fn go_redact_matches_rust() {
    redact("go");
}

#[test]
fn plugin_check_shows_only_weirs_exports_of_a_python_plugin() {
    // componentize-py adds an `exports` instance (its own `init`) beside
    // weir's processor: not the user's business.
    let path = lang_plugin_path("python", "severity-filter");
    let out = run_weir(&["plugin", "check", path.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let exports: Vec<&str> = stdout.lines().filter(|l| l.contains("exports:")).collect();
    assert_eq!(
        exports,
        ["  exports:     weir:plugin/processor@0.1.0 (describe, init, process)"]
    );
}
