//! A running plugin instance and the call that processes one batch.
//!
//! Each instance owns a wasmtime store with a memory cap and gets a fresh
//! epoch deadline per call. The batch is lent to the guest as a resource
//! and taken back after the call whatever happened. A failure is contained
//! here: the batch goes on unchanged or to the dead-letter route, as the
//! plugin's [`FailurePolicy`] says, and an instance left unusable by a trap
//! is dropped and re-created before the next batch.

use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::component::Resource;
use wasmtime::{Store, Trap};

use crate::otlp::Batch;

use super::batch_resource::BatchResource;
use super::bindings::{self, PluginPre, WitPluginInfo};
use super::engine::{EPOCH_TICK, Runtime};
use super::error::{Error, Failure, Result};
use super::loader::Plugin;
use super::outcome::{self, DEAD_LETTER_ROUTE, Routed};
use super::state::{InstanceState, MemoryLimitExceeded};
use super::stats::PluginStats;

/// What happens to a batch when its plugin fails on it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FailurePolicy {
    /// Pass the batch on unchanged, as if the plugin were not there.
    #[default]
    Pass,
    /// Send the batch, unchanged, to the dead-letter route.
    DeadLetter,
}

/// How an instance runs.
#[derive(Clone, Debug)]
pub struct InstanceOptions {
    /// The plugin's configuration, as JSON text.
    pub config: String,
    /// Cap on the instance's linear memory, in bytes.
    pub memory_limit: usize,
    /// Deadline for one call into the plugin.
    pub timeout: Duration,
    /// What happens to a batch the plugin fails on.
    pub on_failure: FailurePolicy,
    /// Keep the dropped records in [`Routed::dropped_records`] (for
    /// `weir plugin run`); the daemon only counts them.
    pub keep_dropped: bool,
}

impl Default for InstanceOptions {
    fn default() -> Self {
        InstanceOptions {
            config: "{}".to_string(),
            memory_limit: 64 << 20,
            timeout: Duration::from_millis(500),
            on_failure: FailurePolicy::Pass,
            keep_dropped: false,
        }
    }
}

/// The result of one batch through one plugin.
#[derive(Debug)]
pub struct Processed {
    /// Where the records went. After a failure, the whole batch as it
    /// arrived, kept or dead-lettered as the failure policy says.
    pub routed: Routed,
    /// The failure, if the plugin failed on this batch.
    pub failure: Option<Failure>,
}

/// One long-lived instance of a plugin; one per worker.
pub struct Instance {
    plugin: Arc<Plugin>,
    options: InstanceOptions,
    /// `None` after a failure that left the instance unusable; re-created
    /// on the next batch.
    live: Option<Live>,
}

struct Live {
    store: Store<InstanceState>,
    bindings: bindings::Plugin,
}

/// Why an instance could not start.
enum StartError {
    /// `init` returned an error: the configuration was refused.
    Refused(String),
    /// Instantiation or `init` (the first field says which) trapped, ran
    /// out of time or memory.
    Failed(&'static str, Failure),
}

/// What [`Error::Start`] says failed.
const DURING_INSTANTIATION: &str = "instantiation";
const DURING_DESCRIBE: &str = "`describe`";
const DURING_INIT: &str = "`init`";

impl Plugin {
    /// Makes an instance with `options` and initialises it with its
    /// configuration. Fails if the plugin refuses the configuration or
    /// cannot start.
    pub fn instantiate(self: &Arc<Self>, options: InstanceOptions) -> Result<Instance> {
        let live = start(self, &options).map_err(|e| match e {
            StartError::Refused(message) => Error::Init {
                plugin: self.name.to_string(),
                message,
            },
            StartError::Failed(during, failure) => Error::Start {
                plugin: self.name.to_string(),
                during,
                failure,
            },
        })?;
        Ok(Instance {
            plugin: self.clone(),
            options,
            live: Some(live),
        })
    }
}

impl Instance {
    /// The plugin this is an instance of.
    pub fn plugin(&self) -> &Arc<Plugin> {
        &self.plugin
    }

    /// Runs the plugin over one batch. Never fails: a plugin failure is
    /// reported in [`Processed::failure`] and the batch follows the
    /// failure policy.
    pub fn process(&mut self, batch: Batch) -> Processed {
        if !self.plugin.info().wants(batch.signal()) {
            return Processed {
                routed: Routed::keep_all(batch),
                failure: None,
            };
        }
        let records = batch.len();
        let started = Instant::now();
        let result = self.call(batch);
        let guest_nanos = started.elapsed().as_nanos() as u64;
        let stats = &self.plugin.stats;
        match result {
            Ok(routed) => {
                stats.record_batch(records, &routed, guest_nanos);
                Processed {
                    routed,
                    failure: None,
                }
            }
            Err((batch, failure)) => {
                stats.record_failure(&failure);
                // Rate-limited: a plugin failing on every batch must not
                // flood the log (the metrics count every failure).
                if let Some(left_out) = stats.admit_failure_warning(Instant::now()) {
                    tracing::warn!(plugin = %self.plugin.name, kind = failure.kind(), %failure,
                        policy = ?self.options.on_failure, left_out,
                        "plugin failed on a batch");
                }
                if failure.poisons_instance() {
                    self.live = None;
                }
                let routed = match self.options.on_failure {
                    FailurePolicy::Pass => Routed::keep_all(batch),
                    FailurePolicy::DeadLetter => Routed::route_all(DEAD_LETTER_ROUTE, batch),
                };
                stats.record_batch(records, &routed, guest_nanos);
                Processed {
                    routed,
                    failure: Some(failure),
                }
            }
        }
    }

    fn call(&mut self, batch: Batch) -> Result<Routed, (Batch, Failure)> {
        let live = match self.live.take() {
            Some(live) => live,
            None => {
                self.plugin.stats.record_restart();
                match start(&self.plugin, &self.options) {
                    Ok(live) => live,
                    Err(StartError::Refused(message)) => {
                        return Err((batch, Failure::Error { message }));
                    }
                    Err(StartError::Failed(_, failure)) => return Err((batch, failure)),
                }
            }
        };
        let live = self.live.insert(live);
        let store = &mut live.store;
        // What the guest writes to stderr in this call is what a failure
        // of this call reports.
        store.data().stderr.clear();

        let handle = store.data_mut().lend(batch);
        store.set_epoch_deadline(deadline_ticks(self.options.timeout));
        let borrowed = Resource::<BatchResource>::new_borrow(handle.rep());
        let result = live
            .bindings
            .weir_plugin_processor()
            .call_process(&mut *store, borrowed);
        let lent = store.data_mut().take_back(handle);

        match result {
            Ok(Ok(outcome)) => {
                let (changed, original) = lent.into_parts();
                outcome::apply(changed, outcome, self.options.keep_dropped).map_err(
                    |(changed, message)| {
                        // An unusable outcome makes the guest's changes
                        // unusable too: the batch goes on as it arrived.
                        (
                            original.unwrap_or(changed),
                            Failure::InvalidOutcome { message },
                        )
                    },
                )
            }
            Ok(Err(message)) => Err((lent.into_original(), Failure::Error { message })),
            Err(error) => {
                let failure = classify(error, store.data_mut(), &self.options);
                Err((lent.into_original(), failure))
            }
        }
    }
}

/// Instantiates a plugin and initialises it with its configuration.
fn start(plugin: &Plugin, options: &InstanceOptions) -> Result<Live, StartError> {
    let mut store = new_store(
        &plugin.runtime,
        plugin.name.clone(),
        options,
        plugin.stats.clone(),
    );
    let bindings = plugin.pre.instantiate(&mut store).map_err(|e| {
        StartError::Failed(DURING_INSTANTIATION, classify(e, store.data_mut(), options))
    })?;
    store.set_epoch_deadline(deadline_ticks(options.timeout));
    match bindings
        .weir_plugin_processor()
        .call_init(&mut store, &options.config)
    {
        Ok(Ok(())) => Ok(Live { store, bindings }),
        Ok(Err(message)) => Err(StartError::Refused(message)),
        Err(e) => Err(StartError::Failed(
            DURING_INIT,
            classify(e, store.data_mut(), options),
        )),
    }
}

/// Asks a freshly loaded plugin to describe itself, in a throwaway
/// instance with the default limits (64 MiB, 500 ms: the plugin's own
/// limits are not known before it is loaded). `name` is its file until it
/// has said its own name.
pub(crate) fn describe(
    runtime: &Runtime,
    pre: &PluginPre<InstanceState>,
    name: Arc<str>,
) -> Result<WitPluginInfo> {
    let options = InstanceOptions::default();
    let mut store = new_store(runtime, name.clone(), &options, Arc::default());
    let failed = |during, failure| Error::Start {
        plugin: name.to_string(),
        during,
        failure,
    };
    let bindings = pre.instantiate(&mut store).map_err(|e| {
        failed(
            DURING_INSTANTIATION,
            classify(e, store.data_mut(), &options),
        )
    })?;
    store.set_epoch_deadline(deadline_ticks(options.timeout));
    bindings
        .weir_plugin_processor()
        .call_describe(&mut store)
        .map_err(|e| failed(DURING_DESCRIBE, classify(e, store.data_mut(), &options)))
}

fn new_store(
    runtime: &Runtime,
    name: Arc<str>,
    options: &InstanceOptions,
    stats: Arc<PluginStats>,
) -> Store<InstanceState> {
    let mut store = Store::new(
        &runtime.engine,
        InstanceState::new(name, options.memory_limit, stats),
    );
    store.limiter(|state| &mut state.limiter);
    store.epoch_deadline_trap();
    // Instantiation runs guest start code: give it a deadline too.
    store.set_epoch_deadline(deadline_ticks(options.timeout));
    store
}

fn deadline_ticks(timeout: Duration) -> u64 {
    (timeout.as_nanos() / EPOCH_TICK.as_nanos()).max(1) as u64 + 1
}

/// wasmtime's words when a guest returns from `process` still holding the
/// borrowed batch (bindings for C and Go leave dropping it to the author).
const BORROW_LEFT: &str = "borrow handles still remain at the end of the call";
/// What to do about it, appended to wasmtime's words.
const BORROW_FIX: &str = " (the plugin returned from `process` without dropping its borrowed \
    `batch`: drop the borrow before returning, e.g. in C \
    `weir_plugin_types_batch_drop_borrow(batch)`, in Go `batch.Drop()`; weir's SDKs do it for you)";

/// wasmtime's words when a guest calls `wasi:cli/exit`.
const EXITED: &str = "Exited with i32 exit status";
/// What that means for a plugin.
const EXIT_FIX: &str = " (the plugin called `exit`: a plugin returns an error instead)";

/// wasmtime's trap message, with what to do about it where weir knows.
fn explained(mut message: String) -> String {
    if message.contains(BORROW_LEFT) {
        message.push_str(BORROW_FIX);
    }
    if message.contains(EXITED) {
        message.push_str(EXIT_FIX);
    }
    message
}

/// Turns a wasmtime error from a call into a [`Failure`] a user can read.
fn classify(
    error: wasmtime::Error,
    state: &mut InstanceState,
    options: &InstanceOptions,
) -> Failure {
    if error.downcast_ref::<MemoryLimitExceeded>().is_some() {
        return Failure::MemoryLimit {
            limit_mib: (options.memory_limit >> 20) as u64,
        };
    }
    if let Some(Trap::Interrupt) = error.downcast_ref::<Trap>() {
        return Failure::Timeout {
            limit_ms: options.timeout.as_millis() as u64,
        };
    }
    let mut message = explained(error.root_cause().to_string());
    let stderr = state.take_stderr();
    if !stderr.is_empty() {
        message.push_str("; the plugin's stderr: ");
        message.push_str(&stderr);
    }
    Failure::Trap { message }
}

// Pipelines move instances onto worker threads; keep that possible.
const _: fn() = || {
    fn assert_send<T: Send>() {}
    assert_send::<Instance>();
    assert_send::<Batch>();
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_borrow_left_behind_says_to_drop_it() {
        let message = explained(format!("wasm trap: {BORROW_LEFT}"));
        assert!(
            message.contains("drop the borrow before returning"),
            "{message}"
        );
        assert_eq!(explained("unreachable".into()), "unreachable");
    }
}
