//! weir's integration tests: one binary, a module per area.

// The example plugins, loaded by the host on realistic batches.
mod example_plugins;
// Misbehaving and wrong guests: each contained, the host keeps serving.
mod bad_guests;
// The compiled-plugin cache on disk.
mod artifact_cache;
// `weir plugin check` and `weir plugin run`, as a user runs them.
mod cli;
// Shared helpers for the modules above.
mod support;
