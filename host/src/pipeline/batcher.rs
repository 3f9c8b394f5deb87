//! Batching by size and time, as the Collector's batch processor does:
//! a batch is sent when it holds `send_batch_size` records, or `timeout`
//! after its first record arrived, whichever comes first.
//!
//! [`Batcher`] holds the decision logic and takes the current time as an
//! argument, so it is tested without sleeping; [`run`] is the task that
//! feeds it from a queue.

use std::time::Instant;

use tokio::sync::mpsc;

use super::envelope::Envelope;
use crate::config::BatchProcessor;

/// The batch being built.
pub struct Batcher {
    settings: BatchProcessor,
    current: Option<(Envelope, Instant)>,
}

impl Batcher {
    /// An empty batcher.
    pub fn new(settings: BatchProcessor) -> Batcher {
        Batcher {
            settings,
            current: None,
        }
    }

    /// Adds an envelope; returns a batch that is ready to go, if any.
    pub fn push(&mut self, envelope: Envelope, now: Instant) -> Option<Envelope> {
        match &mut self.current {
            None => self.current = Some((envelope, now)),
            Some((current, _)) => {
                let Envelope { batch, acks } = envelope;
                match current.batch.append(batch) {
                    Ok(()) => current.acks.extend(acks),
                    // Pipelines carry one signal, so this cannot happen;
                    // send what we have and start again rather than lose it.
                    Err(batch) => {
                        let ready = self.current.take().map(|(e, _)| e);
                        self.current = Some((Envelope { batch, acks }, now));
                        return ready;
                    }
                }
            }
        }
        let full = self
            .current
            .as_ref()
            .is_some_and(|(e, _)| e.batch.len() >= self.settings.send_batch_size);
        if full { self.take() } else { None }
    }

    /// When the current batch must go, if there is one.
    pub fn deadline(&self) -> Option<Instant> {
        self.current
            .as_ref()
            .map(|(_, started)| *started + self.settings.timeout)
    }

    /// The current batch if its time is up.
    pub fn poll_timeout(&mut self, now: Instant) -> Option<Envelope> {
        match self.deadline() {
            Some(deadline) if now >= deadline => self.take(),
            _ => None,
        }
    }

    /// The current batch, whatever its size.
    pub fn take(&mut self) -> Option<Envelope> {
        self.current.take().map(|(e, _)| e)
    }
}

/// Feeds `input` through a [`Batcher`] into `output` until `input` closes,
/// then sends what is left.
pub async fn run(
    settings: BatchProcessor,
    mut input: mpsc::Receiver<Envelope>,
    output: async_channel::Sender<Envelope>,
) {
    let mut batcher = Batcher::new(settings);
    loop {
        let deadline = batcher.deadline();
        let sleep = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(d.into()).await,
                None => std::future::pending().await,
            }
        };
        let ready = tokio::select! {
            // New data first: under load a batch fills before it times out.
            biased;
            next = input.recv() => match next {
                Some(envelope) => batcher.push(envelope, Instant::now()),
                None => break,
            },
            // The current batch has waited long enough.
            _ = sleep => batcher.poll_timeout(Instant::now()),
        };
        if let Some(envelope) = ready
            && output.send(envelope).await.is_err()
        {
            return;
        }
    }
    if let Some(envelope) = batcher.take() {
        let _ = output.send(envelope).await;
    }
}

/// Default timeout for tests that do not care.
#[cfg(test)]
const TIMEOUT: std::time::Duration = std::time::Duration::from_millis(200);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otlp::logs::{LogRecord, ResourceLogs, ScopeLogs};
    use crate::otlp::{Batch, ExportLogsServiceRequest};
    use crate::pipeline::ack::Ack;

    fn envelope(n: usize) -> Envelope {
        let batch: Batch = ExportLogsServiceRequest {
            resource_logs: vec![ResourceLogs {
                scope_logs: vec![ScopeLogs {
                    log_records: vec![LogRecord::default(); n],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        }
        .into();
        Envelope::new(batch, Ack::new().0)
    }

    fn batcher(size: usize) -> Batcher {
        Batcher::new(BatchProcessor {
            send_batch_size: size,
            timeout: TIMEOUT,
            send_batch_max_size: 0,
        })
    }

    #[test]
    fn sends_when_full() {
        let t0 = Instant::now();
        let mut b = batcher(10);
        assert!(b.push(envelope(4), t0).is_none());
        assert!(b.push(envelope(4), t0).is_none());
        let sent = b.push(envelope(4), t0).expect("12 >= 10");
        assert_eq!((sent.batch.len(), sent.acks.len()), (12, 3));
        assert!(b.deadline().is_none());
    }

    #[test]
    fn sends_on_timeout_counted_from_the_first_record() {
        let t0 = Instant::now();
        let mut b = batcher(100);
        b.push(envelope(1), t0);
        b.push(envelope(1), t0 + TIMEOUT / 2);
        assert!(b.poll_timeout(t0 + TIMEOUT / 2).is_none());
        let sent = b.poll_timeout(t0 + TIMEOUT).expect("timed out");
        assert_eq!(sent.batch.len(), 2);
    }
}
