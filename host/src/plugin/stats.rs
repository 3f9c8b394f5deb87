//! Counters for one plugin: batches, records in and out, failures by kind,
//! restarts and time spent in the guest. Updated once per batch with
//! relaxed atomics, so counting costs nothing measurable; read as a
//! [`StatsSnapshot`] for the plugin status (`GET /plugins`, and so
//! `weir plugin ls`). The Prometheus metrics about plugins are counted
//! separately, by the pipeline, from each call's result.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Instant;

use super::error::Failure;
use super::host_log::LogBudget;
use super::outcome::Routed;

/// Warnings about the plugin's failures weir logs per second; the rest
/// are counted, and the count is logged with the next one.
const FAILURE_LINES_PER_SECOND: u32 = 10;

/// Live counters of one plugin, shared by its instances.
#[derive(Debug, Default)]
pub struct PluginStats {
    batches: AtomicU64,
    records_in: AtomicU64,
    records_kept: AtomicU64,
    records_routed: AtomicU64,
    records_dropped: AtomicU64,
    failures_timeout: AtomicU64,
    failures_memory: AtomicU64,
    failures_trap: AtomicU64,
    failures_error: AtomicU64,
    failures_invalid_outcome: AtomicU64,
    restarts: AtomicU64,
    guest_nanos: AtomicU64,
    log_lines_dropped: AtomicU64,
    /// The plugin's own log lines (the `log` import).
    log_budget: Mutex<LogBudget>,
    /// weir's warnings about the plugin's failures: a plugin failing on
    /// every batch must not flood the log either.
    failure_budget: Mutex<LogBudget<FAILURE_LINES_PER_SECOND>>,
}

/// A point-in-time copy of [`PluginStats`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatsSnapshot {
    /// Batches handed to the plugin.
    pub batches: u64,
    /// Records in those batches.
    pub records_in: u64,
    /// Records that continued down the pipeline.
    pub records_kept: u64,
    /// Records sent to named routes (failed batches sent to the
    /// dead-letter route included).
    pub records_routed: u64,
    /// Records the plugin dropped.
    pub records_dropped: u64,
    /// Calls interrupted at their deadline.
    pub failures_timeout: u64,
    /// Calls that hit the memory cap.
    pub failures_memory: u64,
    /// Calls that trapped.
    pub failures_trap: u64,
    /// Calls that returned an error.
    pub failures_error: u64,
    /// Calls that returned an outcome naming records that do not exist.
    pub failures_invalid_outcome: u64,
    /// Instances discarded and re-created after a failure.
    pub restarts: u64,
    /// Nanoseconds spent in calls to the guest.
    pub guest_nanos: u64,
    /// Lines the plugin logged beyond its budget, not written to weir's
    /// log.
    pub log_lines_dropped: u64,
}

impl StatsSnapshot {
    /// All failures, of every kind.
    pub fn failures(&self) -> u64 {
        self.failures_timeout
            + self.failures_memory
            + self.failures_trap
            + self.failures_error
            + self.failures_invalid_outcome
    }
}

impl PluginStats {
    pub(crate) fn record_batch(&self, records: usize, routed: &Routed, guest_nanos: u64) {
        self.batches.fetch_add(1, Relaxed);
        self.records_in.fetch_add(records as u64, Relaxed);
        self.records_kept.fetch_add(routed.kept() as u64, Relaxed);
        self.records_routed
            .fetch_add(routed.routed() as u64, Relaxed);
        self.records_dropped
            .fetch_add(routed.dropped as u64, Relaxed);
        self.guest_nanos.fetch_add(guest_nanos, Relaxed);
    }

    pub(crate) fn record_failure(&self, failure: &Failure) {
        let counter = match failure {
            Failure::Timeout { .. } => &self.failures_timeout,
            Failure::MemoryLimit { .. } => &self.failures_memory,
            Failure::Trap { .. } => &self.failures_trap,
            Failure::Error { .. } => &self.failures_error,
            Failure::InvalidOutcome { .. } => &self.failures_invalid_outcome,
        };
        counter.fetch_add(1, Relaxed);
    }

    /// Whether the plugin may log one more line now; `Some(n)` with the
    /// number of lines dropped since the last one admitted.
    pub(crate) fn admit_log_line(&self, now: Instant) -> Option<u64> {
        let admitted = lock(&self.log_budget).admit(now);
        if admitted.is_none() {
            self.log_lines_dropped.fetch_add(1, Relaxed);
        }
        admitted
    }

    /// Whether weir may log one more warning about the plugin's failures
    /// now; `Some(n)` with the number of warnings left out before it.
    pub(crate) fn admit_failure_warning(&self, now: Instant) -> Option<u64> {
        lock(&self.failure_budget).admit(now)
    }

    pub(crate) fn record_restart(&self) {
        self.restarts.fetch_add(1, Relaxed);
    }

    /// The counters now.
    pub fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            batches: self.batches.load(Relaxed),
            records_in: self.records_in.load(Relaxed),
            records_kept: self.records_kept.load(Relaxed),
            records_routed: self.records_routed.load(Relaxed),
            records_dropped: self.records_dropped.load(Relaxed),
            failures_timeout: self.failures_timeout.load(Relaxed),
            failures_memory: self.failures_memory.load(Relaxed),
            failures_trap: self.failures_trap.load(Relaxed),
            failures_error: self.failures_error.load(Relaxed),
            failures_invalid_outcome: self.failures_invalid_outcome.load(Relaxed),
            restarts: self.restarts.load(Relaxed),
            guest_nanos: self.guest_nanos.load(Relaxed),
            log_lines_dropped: self.log_lines_dropped.load(Relaxed),
        }
    }
}

/// A poisoned budget is still a budget: the counters in it stay valid.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}
