//! Logging from a plugin into weir's log, tagged with the plugin's name.
//! weir may drop lines from a plugin that logs too much, so log per batch,
//! not per record.

use crate::wit::weir::plugin::log::{Level, log};

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
