//! The `log` import: plugin log lines go into weir's structured log, tagged
//! with the plugin's name, and are capped so that a plugin logging once
//! per record cannot flood the daemon's log.
//!
//! The budget is the plugin's, shared by all its instances (one per
//! worker) and by the instances that replace one that failed: a budget
//! per instance would let a plugin log its allowance again on every
//! worker, and on every batch it trapped on.

use std::time::{Duration, Instant};

use super::bindings::LogLevel;
use super::bindings::weir::plugin::log::Host;
use super::state::InstanceState;

/// Lines a plugin may log per window before lines are dropped.
pub(crate) const LINES_PER_WINDOW: u32 = 100;
const WINDOW: Duration = Duration::from_secs(1);
/// Longest message kept; the rest is cut, so one call cannot log megabytes.
pub(crate) const MAX_MESSAGE: usize = 4096;

/// A rate limit on log lines: `LINES` per second.
#[derive(Debug)]
pub(crate) struct LogBudget<const LINES: u32 = LINES_PER_WINDOW> {
    window_start: Instant,
    lines: u32,
    suppressed: u64,
}

impl<const LINES: u32> Default for LogBudget<LINES> {
    fn default() -> Self {
        LogBudget {
            window_start: Instant::now(),
            lines: 0,
            suppressed: 0,
        }
    }
}

impl<const LINES: u32> LogBudget<LINES> {
    /// Whether one more line may be logged now; returns how many lines were
    /// suppressed before it, so the first line of a new window can say so.
    pub(crate) fn admit(&mut self, now: Instant) -> Option<u64> {
        if now.duration_since(self.window_start) >= WINDOW {
            self.window_start = now;
            self.lines = 0;
        }
        if self.lines >= LINES {
            self.suppressed += 1;
            return None;
        }
        self.lines += 1;
        Some(std::mem::take(&mut self.suppressed))
    }
}

impl Host for InstanceState {
    fn log(&mut self, level: LogLevel, message: String) -> wasmtime::Result<()> {
        let Some(suppressed) = self.stats.admit_log_line(Instant::now()) else {
            return Ok(());
        };
        let mut message = message;
        if message.len() > MAX_MESSAGE {
            let mut cut = MAX_MESSAGE;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
            message.push('…');
        }
        let plugin = &*self.plugin;
        if suppressed > 0 {
            tracing::warn!(
                plugin,
                suppressed,
                "plugin logged too much; lines were dropped"
            );
        }
        match level {
            LogLevel::Trace => tracing::trace!(plugin, "{message}"),
            LogLevel::Debug => tracing::debug!(plugin, "{message}"),
            LogLevel::Info => tracing::info!(plugin, "{message}"),
            LogLevel::Warn => tracing::warn!(plugin, "{message}"),
            LogLevel::Error => tracing::error!(plugin, "{message}"),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_drops_lines_beyond_the_window_and_reports_them_after() {
        let start = Instant::now();
        let mut budget = LogBudget::<LINES_PER_WINDOW> {
            window_start: start,
            lines: 0,
            suppressed: 0,
        };
        for _ in 0..LINES_PER_WINDOW {
            assert_eq!(budget.admit(start), Some(0));
        }
        assert_eq!(budget.admit(start), None);
        assert_eq!(budget.admit(start), None);
        assert_eq!(budget.admit(start + WINDOW), Some(2));
    }
}
