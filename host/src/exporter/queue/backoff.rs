//! Exponential backoff with jitter, as the Collector's `retry_on_failure`
//! computes it: the first wait is `initial_interval`, each next one
//! `multiplier` times longer up to `max_interval`, each randomised by
//! ±`randomization_factor`; after `max_elapsed_time` the batch is given up
//! (never, when that is zero).

use std::time::{Duration, Instant};

use crate::config::RetryOnFailure;

/// The retry schedule of one batch.
#[derive(Debug)]
pub struct Backoff {
    settings: RetryOnFailure,
    max_elapsed: Duration,
    next: Duration,
    started: Option<Instant>,
}

impl Backoff {
    /// A schedule that has not started; `default_max_elapsed` applies
    /// when the settings do not give `max_elapsed_time`.
    pub fn new(settings: RetryOnFailure, default_max_elapsed: Duration) -> Backoff {
        Backoff {
            max_elapsed: settings.max_elapsed_time.unwrap_or(default_max_elapsed),
            next: settings.initial_interval,
            settings,
            started: None,
        }
    }

    /// Back to the first interval, for the next batch.
    pub fn reset(&mut self) {
        self.next = self.settings.initial_interval;
        self.started = None;
    }

    /// How long to wait before the next attempt, at least `asked` (a
    /// destination's `Retry-After`); `None` when retrying is off or its
    /// time is up.
    pub fn next_wait(&mut self, now: Instant, asked: Option<Duration>) -> Option<Duration> {
        if !self.settings.enabled {
            return None;
        }
        let started = *self.started.get_or_insert(now);
        let max_elapsed = self.max_elapsed;
        if !max_elapsed.is_zero() && now.duration_since(started) >= max_elapsed {
            return None;
        }
        let factor = self.settings.randomization_factor.clamp(0.0, 1.0);
        let jitter = 1.0 + factor * (fastrand::f64() * 2.0 - 1.0);
        let wait = self.next.mul_f64(jitter);
        self.next = self
            .next
            .mul_f64(self.settings.multiplier.max(1.0))
            .min(self.settings.max_interval);
        Some(wait.max(asked.unwrap_or_default()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> RetryOnFailure {
        RetryOnFailure {
            enabled: true,
            initial_interval: Duration::from_secs(1),
            randomization_factor: 0.0,
            multiplier: 2.0,
            max_interval: Duration::from_secs(5),
            max_elapsed_time: Some(Duration::from_secs(60)),
        }
    }

    #[test]
    fn waits_grow_to_the_cap_and_stop_after_the_elapsed_time() {
        let t0 = Instant::now();
        let mut b = Backoff::new(settings(), Duration::ZERO);
        let waits: Vec<u64> = (0..5)
            .map(|_| b.next_wait(t0, None).unwrap().as_secs())
            .collect();
        assert_eq!(waits, [1, 2, 4, 5, 5]);
        assert_eq!(b.next_wait(t0 + Duration::from_secs(60), None), None);
        b.reset();
        assert_eq!(
            b.next_wait(t0 + Duration::from_secs(61), None),
            Some(Duration::from_secs(1))
        );
    }

    #[test]
    fn a_requested_delay_is_honoured_and_zero_elapsed_means_forever() {
        let t0 = Instant::now();
        let mut b = Backoff::new(
            RetryOnFailure {
                max_elapsed_time: None,
                ..settings()
            },
            Duration::ZERO,
        );
        let asked = Some(Duration::from_secs(9));
        assert_eq!(b.next_wait(t0, asked), asked);
        assert!(
            b.next_wait(t0 + Duration::from_secs(86_400), None)
                .is_some()
        );
        let mut off = Backoff::new(
            RetryOnFailure {
                enabled: false,
                ..settings()
            },
            Duration::ZERO,
        );
        assert_eq!(off.next_wait(t0, None), None);
    }

    #[test]
    fn jitter_stays_within_the_factor() {
        let mut b = Backoff::new(
            RetryOnFailure {
                randomization_factor: 0.5,
                ..settings()
            },
            Duration::ZERO,
        );
        let wait = b.next_wait(Instant::now(), None).unwrap();
        assert!(wait >= Duration::from_millis(500) && wait <= Duration::from_millis(1500));
    }
}
