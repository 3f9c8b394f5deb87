//! The clocks a plugin sees: frozen, and no way to wait on them.
//!
//! Both clocks read a fixed instant, so that no plugin's output depends on
//! when it ran. Waiting is the other half: wasmtime-wasi's
//! `monotonic-clock.subscribe-duration` / `subscribe-instant` sleep in
//! *real* time inside the host, where epoch interruption cannot reach —
//! a guest that calls `std::thread::sleep(one hour)`, or subscribes to an
//! instant too far away to represent (which waits forever), would hold its
//! worker thread past any deadline. weir links its own `monotonic-clock`
//! over wasmtime-wasi's instead, whose subscriptions are ready at once: on
//! a clock that does not move there is nothing to wait for, and a guest
//! that waits in a loop for time to pass spins until its deadline
//! interrupts it.

use std::time::Duration;

use wasmtime::component::{Linker, Resource};
use wasmtime_wasi::p2::bindings::clocks::monotonic_clock;
use wasmtime_wasi::p2::{DynPollable, Pollable, subscribe};
use wasmtime_wasi::{HostMonotonicClock, HostWallClock};

use super::state::InstanceState;

/// What the frozen wall clock reads: 2024-01-01T00:00:00Z, always.
pub(crate) const FROZEN_WALL_CLOCK: Duration = Duration::from_secs(1_704_067_200);
/// What the frozen monotonic clock reads, in nanoseconds: one second,
/// always. Not zero: Go's runtime aborts at start ("nanotime returning
/// zero") when it reads zero.
pub(crate) const FROZEN_MONOTONIC_NANOS: u64 = 1_000_000_000;

/// Wall and monotonic clocks that never move. Both read a fixed non-zero
/// instant: language runtimes take a zero clock for a broken one.
pub(crate) struct FrozenClock;

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

/// Links weir's `wasi:clocks/monotonic-clock` over the one
/// `wasmtime_wasi::p2::add_to_linker_sync` linked.
pub(crate) fn link_monotonic_clock(linker: &mut Linker<InstanceState>) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    let linked = monotonic_clock::add_to_linker::<_, wasmtime::component::HasSelf<InstanceState>>(
        linker,
        |state| state,
    );
    linker.allow_shadowing(false);
    linked
}

/// A subscription that is ready at once.
struct Elapsed;

#[wasmtime_wasi::async_trait]
impl Pollable for Elapsed {
    async fn ready(&mut self) {}
}

impl InstanceState {
    fn elapsed(&mut self) -> wasmtime::Result<Resource<DynPollable>> {
        let elapsed = self.table.push(Elapsed)?;
        subscribe(&mut self.table, elapsed)
    }
}

impl monotonic_clock::Host for InstanceState {
    fn now(&mut self) -> wasmtime::Result<monotonic_clock::Instant> {
        Ok(FROZEN_MONOTONIC_NANOS)
    }

    fn resolution(&mut self) -> wasmtime::Result<monotonic_clock::Duration> {
        Ok(HostMonotonicClock::resolution(&FrozenClock))
    }

    fn subscribe_instant(
        &mut self,
        _when: monotonic_clock::Instant,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        self.elapsed()
    }

    fn subscribe_duration(
        &mut self,
        _duration: monotonic_clock::Duration,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        self.elapsed()
    }
}
