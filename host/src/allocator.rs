//! Handing memory back to the operating system after a rare, large and
//! short-lived allocation: compiling a plugin.
//!
//! The `weir` binary allocates with mimalloc (see `main.rs`), which keeps
//! freed pages for reuse instead of returning them. That is right for the
//! steady churn of batches, but compiling a large plugin briefly takes
//! hundreds of megabytes on the compiler's threads, and without a collect
//! the daemon's resident memory stays at that peak. When the global
//! allocator is another one (the library's own unit tests), this only
//! tidies mimalloc's unused heaps.

/// Asks the allocator to return the free memory it holds.
pub(crate) fn return_free_memory() {
    // SAFETY: `mi_collect` takes no pointers; it walks mimalloc's own
    // structures under its own synchronisation and may be called from any
    // thread at any time.
    unsafe { libmimalloc_sys::mi_collect(true) }
}
