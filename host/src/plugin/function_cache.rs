//! Cranelift's incremental compilation cache, kept in memory, so that a
//! rebuilt plugin recompiles only the functions that changed.
//!
//! Rebuilding a plugin after a small edit leaves almost all of its machine
//! functions as they were: the language runtime, the SDK, the libraries.
//! Cranelift can key each function's compiled code by a hash of its input
//! and reuse it; wasmtime hands it a [`CacheStore`] for that, and this is
//! weir's. It lives as long as the daemon: the on-disk artifact cache
//! (`cache.rs`) already covers restarts for files that did not change.
//!
//! The store is bounded. Entries live in two generations: new and reused
//! entries go into the current one, and when it holds half the budget the
//! previous generation is dropped and the current one takes its place. A
//! function that is still in use is promoted on its next hit, so whatever
//! the plugins being reloaded share stays, and code of versions long gone
//! is dropped, without per-entry bookkeeping.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use wasmtime::CacheStore;

/// The memory budget. A function takes about 700 bytes here (measured
/// with the 15,000-function `bulky` test plugin: 10 MiB), so half of it, a
/// generation, holds the code of several large plugins.
pub(crate) const DEFAULT_BUDGET_BYTES: usize = 128 << 20;

/// An in-memory [`CacheStore`] with a byte budget.
#[derive(Debug)]
pub(crate) struct FunctionCache {
    generations: Mutex<Generations>,
    hits: AtomicU64,
    misses: AtomicU64,
}

/// Keys and values are stored without spare capacity: the `Vec`s cranelift
/// hands over were grown by doubling while serialising, and their slack
/// would otherwise about double the memory held.
type Bytes = Box<[u8]>;

#[derive(Debug, Default)]
struct Generations {
    current: HashMap<Bytes, Bytes>,
    current_bytes: usize,
    previous: HashMap<Bytes, Bytes>,
    previous_bytes: usize,
    generation_budget: usize,
}

/// How many lookups found compiled code and how many had to compile.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct FunctionCacheStats {
    pub(crate) reused: u64,
    pub(crate) compiled: u64,
}

impl FunctionCacheStats {
    /// The lookups between `earlier` and `self`.
    pub(crate) fn since(self, earlier: FunctionCacheStats) -> FunctionCacheStats {
        FunctionCacheStats {
            reused: self.reused - earlier.reused,
            compiled: self.compiled - earlier.compiled,
        }
    }
}

impl FunctionCache {
    pub(crate) fn new(budget_bytes: usize) -> FunctionCache {
        FunctionCache {
            generations: Mutex::new(Generations {
                generation_budget: budget_bytes / 2,
                ..Generations::default()
            }),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    pub(crate) fn stats(&self) -> FunctionCacheStats {
        FunctionCacheStats {
            reused: self.hits.load(Ordering::Relaxed),
            compiled: self.misses.load(Ordering::Relaxed),
        }
    }

    /// Bytes of keys and compiled code held, both generations.
    pub(crate) fn bytes(&self) -> usize {
        let generations = self.lock();
        generations.current_bytes + generations.previous_bytes
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Generations> {
        // A panic while holding the lock leaves the maps consistent (every
        // operation on them is a single insert or remove), so a poisoned
        // lock is still usable.
        self.generations
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Generations {
    fn insert(&mut self, key: Bytes, value: Bytes) {
        let size = key.len() + value.len();
        if size > self.generation_budget {
            return;
        }
        if self.current_bytes + size > self.generation_budget {
            self.previous = std::mem::take(&mut self.current);
            self.previous_bytes = self.current_bytes;
            self.current_bytes = 0;
        }
        let key_len = key.len();
        self.current_bytes += size;
        if let Some(replaced) = self.current.insert(key, value) {
            self.current_bytes -= key_len + replaced.len();
        }
    }
}

impl CacheStore for FunctionCache {
    fn get(&self, key: &[u8]) -> Option<Cow<'_, [u8]>> {
        let mut generations = self.lock();
        let found = match generations.current.get(key) {
            Some(value) => Some(value.to_vec()),
            None => match generations.previous.remove_entry(key) {
                Some((key, value)) => {
                    generations.previous_bytes -= key.len() + value.len();
                    let found = value.to_vec();
                    generations.insert(key, value);
                    Some(found)
                }
                None => None,
            },
        };
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found.map(Cow::Owned)
    }

    fn insert(&self, key: &[u8], value: Vec<u8>) -> bool {
        self.lock().insert(key.into(), value.into_boxed_slice());
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_accounting_matches(cache: &FunctionCache) {
        let generations = cache.lock();
        let counted =
            |m: &HashMap<Bytes, Bytes>| -> usize { m.iter().map(|(k, v)| k.len() + v.len()).sum() };
        assert_eq!(generations.current_bytes, counted(&generations.current));
        assert_eq!(generations.previous_bytes, counted(&generations.previous));
    }

    fn entry(i: u32) -> (Vec<u8>, Vec<u8>) {
        (i.to_le_bytes().to_vec(), vec![i as u8; 96])
    }

    #[test]
    fn returns_what_was_inserted_and_counts_hits_and_misses() {
        let cache = FunctionCache::new(1 << 20);
        let (key, value) = entry(1);
        assert!(cache.get(&key).is_none());
        assert!(cache.insert(&key, value.clone()));
        assert_eq!(cache.get(&key).as_deref(), Some(&value[..]));
        assert_eq!(
            cache.stats(),
            FunctionCacheStats {
                reused: 1,
                compiled: 1
            }
        );
    }

    #[test]
    fn stays_within_its_budget() {
        let budget = 10_000;
        let cache = FunctionCache::new(budget);
        for i in 0..1_000 {
            let (key, value) = entry(i);
            cache.insert(&key, value);
            assert!(cache.bytes() <= budget, "{} > {budget}", cache.bytes());
            assert_accounting_matches(&cache);
        }
        // The newest entries are kept, the oldest dropped.
        assert!(cache.get(&entry(999).0).is_some());
        assert!(cache.get(&entry(0).0).is_none());
    }

    #[test]
    fn an_entry_in_use_survives_the_turnover_of_generations() {
        let cache = FunctionCache::new(10_000);
        let (shared_key, shared_value) = entry(u32::MAX);
        cache.insert(&shared_key, shared_value.clone());
        // Each round fills about a generation with new code and then looks
        // the shared function up, as every reload of a plugin would.
        for round in 0..20u32 {
            for i in 0..40 {
                let (key, value) = entry(round * 100 + i);
                cache.insert(&key, value);
            }
            assert_eq!(
                cache.get(&shared_key).as_deref(),
                Some(&shared_value[..]),
                "lost in round {round}"
            );
            assert_accounting_matches(&cache);
        }
    }

    #[test]
    fn an_entry_larger_than_a_generation_is_not_kept() {
        let cache = FunctionCache::new(100);
        cache.insert(b"key", vec![0; 200]);
        assert!(cache.get(b"key").is_none());
        assert_eq!(cache.bytes(), 0);
    }
}
