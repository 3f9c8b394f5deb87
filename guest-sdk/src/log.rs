//! Logging from a plugin into weir's log, tagged with the plugin's name.
//! weir may drop lines from a plugin that logs too much, so log per batch,
//! not per record.
//!
//! ```no_run
//! # let dropped = 3;
//! weir_guest::log::warn(&format!("{dropped} records had no tenant"));
//! ```

use crate::wit::weir::plugin::log::{Level, log};

/// Logs a trace line.
pub fn trace(message: &str) {
    log(Level::Trace, message)
}

/// Logs a debug line.
pub fn debug(message: &str) {
    log(Level::Debug, message)
}

/// Logs an info line.
pub fn info(message: &str) {
    log(Level::Info, message)
}

/// Logs a warning.
pub fn warn(message: &str) {
    log(Level::Warn, message)
}

/// Logs an error.
pub fn error(message: &str) {
    log(Level::Error, message)
}
