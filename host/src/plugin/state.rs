//! What each plugin instance's wasmtime store holds: its WASI context
//! (locked down), its resource table (where batches are lent to the guest,
//! capped), its memory cap, and a tail of what it wrote to stderr.

use std::sync::Arc;

use wasmtime::ResourceLimiter;
use wasmtime::component::{Resource, ResourceTable};
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use crate::otlp::Batch;

use super::batch_resource::BatchResource;
use super::clocks::FrozenClock;
use super::stats::PluginStats;
use super::stderr_tail::StderrTail;

/// The most WASI handles (streams, subscriptions, …) and lent batches an
/// instance may hold at once. They live in host memory, outside the
/// guest's memory cap, so they need a cap of their own: wasmtime's default
/// of a million entries lets one instance take about 100 MB of the
/// daemon's memory. A plugin holds a handful; a guest that opens more
/// traps (`resource table has no free keys`).
pub const MAX_GUEST_RESOURCES: usize = 10_000;

/// The largest `wasi:random` request, in bytes. The host fills a buffer
/// of that size before copying it into the guest, outside the memory cap;
/// wasmtime-wasi's default is 64 MiB. Random seeds are a few bytes.
const MAX_RANDOM_BYTES: u64 = 1 << 20;

/// The data of one plugin instance's store.
pub(crate) struct InstanceState {
    /// The plugin's name, for its log lines.
    pub(crate) plugin: Arc<str>,
    pub(crate) wasi: WasiCtx,
    pub(crate) table: ResourceTable,
    pub(crate) limiter: MemoryCap,
    pub(crate) stderr: StderrTail,
    /// The plugin's counters, and its log budget, shared by all its
    /// instances.
    pub(crate) stats: Arc<PluginStats>,
    /// The table entry kept for the batch while no batch is lent, so that
    /// a guest that opened all the handles it may still leaves room for
    /// the next batch.
    reserved: Option<Resource<ReservedForBatch>>,
}

/// What holds the batch's table entry between calls.
struct ReservedForBatch;

impl InstanceState {
    pub(crate) fn new(
        plugin: Arc<str>,
        memory_limit: usize,
        stats: Arc<PluginStats>,
    ) -> InstanceState {
        let stderr = StderrTail::default();
        // No preopened directories (so no filesystem), no environment, no
        // arguments, sockets denied, stdin closed, stdout discarded (the
        // builder's defaults, spelt out), stderr kept for failure messages
        // only, and clocks frozen (see clocks.rs): a plugin's output
        // depends on its input and configuration only. Random is real:
        // language runtimes seed their hash tables from it, and it tells a
        // plugin nothing about the host.
        let wasi = WasiCtxBuilder::new()
            .stdin(wasmtime_wasi::p2::pipe::ClosedInputStream)
            .stdout(wasmtime_wasi::p2::pipe::SinkOutputStream)
            .stderr(stderr.clone())
            .wall_clock(FrozenClock)
            .monotonic_clock(FrozenClock)
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .max_random_size(MAX_RANDOM_BYTES)
            .build();
        let mut table = ResourceTable::new();
        table.set_max_capacity(MAX_GUEST_RESOURCES);
        let reserved = Some(
            table
                .push(ReservedForBatch)
                .expect("an empty table has room"),
        );
        InstanceState {
            plugin,
            wasi,
            table,
            limiter: MemoryCap::new(memory_limit),
            stderr,
            stats,
            reserved,
        }
    }

    /// Puts `batch` in the table for one call, in the entry reserved for it.
    pub(crate) fn lend(&mut self, batch: Batch) -> Resource<BatchResource> {
        if let Some(reserved) = self.reserved.take() {
            // Frees an entry, which the push below takes.
            let _ = self.table.delete(reserved);
        }
        self.table
            .push(BatchResource::new(batch))
            .expect("the entry reserved for the batch was just freed")
    }

    /// Takes the lent batch back after the call and reserves its entry
    /// for the next one.
    pub(crate) fn take_back(&mut self, handle: Resource<BatchResource>) -> BatchResource {
        let lent = self
            .table
            .delete(handle)
            .expect("the batch stays in the table for the whole call");
        self.reserved = self.table.push(ReservedForBatch).ok();
        lent
    }

    /// What the guest wrote to stderr since the last call, trimmed to its
    /// last lines (a Rust panic message lands here just before the trap).
    pub(crate) fn take_stderr(&mut self) -> String {
        let new = self.stderr.take();
        let text = String::from_utf8_lossy(&new);
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
