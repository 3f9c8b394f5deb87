//! Configuration files: `${env:…}` substitution, YAML parsing and
//! resolution into the validated form (`config::parse` then
//! `config::resolve`), exactly what `weir validate` and `weir run` do
//! before anything starts.
//!
//! Input: the file's text. Checks beyond not crashing (no panic, no
//! stack overflow, no unbounded alias expansion): a refusal says what is
//! wrong (a non-empty message; a field error names its path), and a
//! configuration that resolves has at least one pipeline, each naming
//! receivers and exporters. Paths in the file are resolved against a
//! directory that does not exist, so nothing is read from the
//! repository.

use std::path::Path;

use crate::config::{self, Error};

/// Runs the checks on one input.
pub fn check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let resolved = config::parse(text)
        .and_then(|raw| config::resolve::resolve(raw, Path::new("weir-fuzz-no-such-dir")));
    match resolved {
        Ok(config) => {
            for pipeline in &config.pipelines {
                assert!(
                    !pipeline.receivers.is_empty(),
                    "{}: no receivers",
                    pipeline.id
                );
                assert!(
                    !pipeline.exporters.is_empty(),
                    "{}: no exporters",
                    pipeline.id
                );
            }
        }
        Err(Error::Field { path, message }) => {
            assert!(!path.is_empty(), "a field error without a path: {message}");
            assert!(!message.is_empty(), "an empty error at {path}");
        }
        Err(e) => assert!(!e.to_string().is_empty(), "an empty error: {e:?}"),
    }
}
