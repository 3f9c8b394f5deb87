//! The retry loop every exporter thread runs around one delivery: try,
//! and while the failure is retryable, the backoff allows another try and
//! the exporter is not shutting down, wait and try again. The wait is
//! slept in short steps so that shutdown is noticed at once.

use std::time::{Duration, Instant};

use super::super::ExportError;
use super::backoff::Backoff;

/// How often a wait between attempts checks for shutdown.
const SHUTDOWN_CHECK: Duration = Duration::from_millis(100);

/// Runs `attempt` until it succeeds or fails for good; returns its last
/// failure when retrying cannot help (a permanent error, the backoff's
/// limit, or `closed()` — shutting down, the senders are told to retry
/// instead). `on_retry(reason, wait)` is told of each retry before its
/// wait.
pub(crate) fn retry_blocking(
    backoff: &mut Backoff,
    closed: impl Fn() -> bool,
    mut attempt: impl FnMut() -> Result<(), ExportError>,
    mut on_retry: impl FnMut(&str, Duration),
) -> Result<(), ExportError> {
    backoff.reset();
    loop {
        let error = match attempt() {
            Ok(()) => return Ok(()),
            Err(error) => error,
        };
        let ExportError::Retryable {
            reason,
            retry_after,
        } = &error
        else {
            return Err(error);
        };
        if closed() {
            return Err(error);
        }
        let Some(wait) = backoff.next_wait(Instant::now(), *retry_after) else {
            return Err(error);
        };
        on_retry(reason, wait);
        let until = Instant::now() + wait;
        while Instant::now() < until && !closed() {
            std::thread::sleep(SHUTDOWN_CHECK.min(until - Instant::now()));
        }
    }
}
