//! Acknowledgements: telling the source of a request when every exporter
//! has accepted its records (or that one could not).
//!
//! It lives below both the pipelines and the exporters (and the
//! receivers that wait on it), so none of them owns it.
//!
//! An [`Ack`] is cheap to clone; every share of a batch that goes
//! somewhere (the kept records, each route, each exporter) holds a clone.
//! When the last clone is dropped the source learns the outcome: success,
//! or the first failure any holder reported. The OTLP receivers answer the
//! sender then; the Kafka consumer will commit offsets then.

use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

/// Why some of a request's records were not delivered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AckError {
    /// The first reason reported.
    pub reason: String,
    /// Whether every failure was permanent (a destination refused the
    /// records for good): the sender should not retry. One retryable
    /// failure among them makes the whole retryable.
    pub permanent: bool,
}

/// What the source of a request learns.
pub type AckResult = Result<(), AckError>;

/// A share in the acknowledgement of one or more requests.
#[derive(Clone, Debug)]
pub struct Ack {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    tx: Mutex<Option<oneshot::Sender<AckResult>>>,
    failure: Mutex<Option<AckError>>,
}

impl Ack {
    /// A new acknowledgement and the receiver its source waits on.
    pub fn new() -> (Ack, oneshot::Receiver<AckResult>) {
        let (tx, rx) = oneshot::channel();
        let inner = Inner {
            tx: Mutex::new(Some(tx)),
            failure: Mutex::new(None),
        };
        (
            Ack {
                inner: Arc::new(inner),
            },
            rx,
        )
    }

    /// Records that this share could not be delivered, for a reason
    /// that may pass (retrying may succeed). The first reason wins; the
    /// source hears it when every share is done.
    pub fn fail(&self, reason: impl Into<String>) {
        self.record(reason.into(), false);
    }

    /// Records that this share was refused for good: retrying the same
    /// records cannot succeed.
    pub fn fail_permanently(&self, reason: impl Into<String>) {
        self.record(reason.into(), true);
    }

    fn record(&self, reason: String, permanent: bool) {
        let mut failure = self.inner.failure.lock().expect("ack lock");
        match failure.as_mut() {
            None => *failure = Some(AckError { reason, permanent }),
            Some(first) => first.permanent &= permanent,
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        let result = match self.failure.get_mut().expect("ack lock").take() {
            Some(reason) => Err(reason),
            None => Ok(()),
        };
        if let Some(tx) = self.tx.get_mut().expect("ack lock").take() {
            // The source may have given up waiting; nothing to tell then.
            let _ = tx.send(result);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_when_the_last_share_is_dropped() {
        let (ack, mut rx) = Ack::new();
        let share = ack.clone();
        drop(ack);
        assert!(rx.try_recv().is_err(), "a share is still out");
        drop(share);
        assert_eq!(rx.try_recv().unwrap(), Ok(()));
    }

    #[test]
    fn the_first_failure_is_reported() {
        let (ack, mut rx) = Ack::new();
        let share = ack.clone();
        share.fail("disk full");
        ack.fail("later failure");
        drop((ack, share));
        assert_eq!(
            rx.try_recv().unwrap(),
            Err(AckError {
                reason: "disk full".to_string(),
                permanent: false
            })
        );
    }

    #[test]
    fn only_failures_that_are_all_permanent_are_permanent() {
        let (ack, mut rx) = Ack::new();
        ack.fail_permanently("400 from a");
        drop(ack);
        assert!(rx.try_recv().unwrap().unwrap_err().permanent);

        let (ack, mut rx) = Ack::new();
        let share = ack.clone();
        ack.fail_permanently("400 from a");
        share.fail("503 from b");
        drop((ack, share));
        let error = rx.try_recv().unwrap().unwrap_err();
        assert_eq!(
            (error.reason.as_str(), error.permanent),
            ("400 from a", false)
        );
    }
}
