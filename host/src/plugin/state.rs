//! What each plugin instance's wasmtime store holds: its WASI context
//! (locked down), its resource table (where batches are lent to the guest),
//! its memory cap, and a tail of what it wrote to stderr.

use std::sync::Arc;
use std::time::Duration;

use wasmtime::ResourceLimiter;

use super::host_log::LogBudget;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{
    HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView,
};

/// How much of a guest's stderr is kept per instance: enough for a panic
/// message, which is what it is for.
const STDERR_CAPACITY: usize = 64 * 1024;

/// The data of one plugin instance's store.
pub(crate) struct InstanceState {
    /// The plugin's name, for its log lines.
    pub(crate) plugin: Arc<str>,
    pub(crate) wasi: WasiCtx,
    pub(crate) table: ResourceTable,
    pub(crate) limiter: MemoryCap,
    pub(crate) stderr: MemoryOutputPipe,
    /// How much of `stderr` has already been reported.
    pub(crate) stderr_seen: usize,
    pub(crate) log_budget: LogBudget,
}

impl InstanceState {
    pub(crate) fn new(plugin: Arc<str>, memory_limit: usize) -> InstanceState {
        let stderr = MemoryOutputPipe::new(STDERR_CAPACITY);
        // No preopened directories (so no filesystem), no environment, no
        // arguments, sockets denied (the builder's default), stdin closed,
        // and clocks frozen: a plugin's output depends on its input and
        // configuration only.
        let wasi = WasiCtxBuilder::new()
            .stderr(stderr.clone())
            .wall_clock(FrozenClock)
            .monotonic_clock(FrozenClock)
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        InstanceState {
            plugin,
            wasi,
            table: ResourceTable::new(),
            limiter: MemoryCap::new(memory_limit),
            stderr,
            stderr_seen: 0,
            log_budget: LogBudget::default(),
        }
    }

    /// What the guest wrote to stderr since the last call, trimmed to its
    /// last lines (a Rust panic message lands here just before the trap).
    pub(crate) fn take_stderr(&mut self) -> String {
        let all = self.stderr.contents();
        let new = &all[self.stderr_seen.min(all.len())..];
        self.stderr_seen = all.len();
        let text = String::from_utf8_lossy(new);
        let text = text.trim();
        let tail_start = text.len().saturating_sub(2000);
        let tail_start = (tail_start..text.len())
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(text.len());
        text[tail_start..].to_string()
    }
}

impl WasiView for InstanceState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// What the frozen wall clock reads: 2024-01-01T00:00:00Z, always.
pub(crate) const FROZEN_WALL_CLOCK: Duration = Duration::from_secs(1_704_067_200);
/// What the frozen monotonic clock reads, in nanoseconds: one second,
/// always. Not zero: Go's runtime aborts at start ("nanotime returning
/// zero") when it reads zero.
pub(crate) const FROZEN_MONOTONIC_NANOS: u64 = 1_000_000_000;

/// Wall and monotonic clocks that never move, so that no plugin's output
/// depends on when it ran. Both read a fixed non-zero instant: language
/// runtimes take a zero clock for a broken one.
struct FrozenClock;

impl HostWallClock for FrozenClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }
    fn now(&self) -> Duration {
        FROZEN_WALL_CLOCK
    }
}

impl HostMonotonicClock for FrozenClock {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }
    fn now(&self) -> u64 {
        FROZEN_MONOTONIC_NANOS
    }
}

/// Caps the total linear memory of an instance (all its memories).
///
/// wasmtime's `StoreLimits` caps each memory separately; a component can
/// have several, so this sums them. Growing past the cap traps with
/// [`MemoryLimitExceeded`], which the caller recognises.
pub(crate) struct MemoryCap {
    limit: usize,
    used: usize,
}

/// The trap payload when a guest's memory would exceed its cap.
#[derive(Debug, thiserror::Error)]
#[error("memory limit of {limit} bytes exceeded (asked for {desired})")]
pub(crate) struct MemoryLimitExceeded {
    pub(crate) limit: usize,
    pub(crate) desired: usize,
}

impl MemoryCap {
    fn new(limit: usize) -> MemoryCap {
        MemoryCap { limit, used: 0 }
    }
}

impl ResourceLimiter for MemoryCap {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let total = self.used - current.min(self.used) + desired;
        if total > self.limit {
            return Err(wasmtime::Error::new(MemoryLimitExceeded {
                limit: self.limit,
                desired: total,
            }));
        }
        self.used = total;
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        // Tables hold function references; a million is far beyond what a
        // real plugin needs and bounds what a hostile one can take.
        Ok(desired <= 1_000_000)
    }
}
