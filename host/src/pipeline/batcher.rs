//! Batching, with the Collector's batch processor settings as upper
//! bounds rather than as waits.
//!
//! The Collector holds a batch until it has `send_batch_size` records or
//! `timeout` has passed. weir answers a request only when its records are
//! exported, so a timer in that path is latency every sender pays: one
//! SDK exporting 512 records at a time, one request in flight, waited
//! 200 ms per request and dropped records it could not queue meanwhile.
//! So a partial batch waits only while it could not be processed anyway:
//!
//! - whatever is already queued is merged at once (up to
//!   `send_batch_size`; under load that is what fills batches);
//! - a batch goes as soon as a worker is idle with nothing queued for it;
//! - while every worker is busy the batch keeps growing, and goes when it
//!   reaches `send_batch_size` or when `timeout` has passed since its
//!   first record — the Collector's bounds;
//! - no batch exceeds `send_batch_max_size` records (when set): larger
//!   ones are split, each part carrying the acknowledgements of every
//!   request it holds records of.
//!
//! [`Batcher`] holds the batches and takes the current time as an
//! argument, so it is tested without sleeping; [`run`] is the task that
//! feeds it from the input queue and decides when to send.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use super::demand::Demand;
use super::envelope::Envelope;
use crate::config::BatchProcessor;

/// The batch being built, and batches ready to go.
pub struct Batcher {
    settings: BatchProcessor,
    /// The partial batch, its record count and when its first record came.
    current: Option<(Envelope, usize, Instant)>,
    /// Batches that reached a size bound, oldest first.
    ready: VecDeque<Envelope>,
}

impl Batcher {
    /// An empty batcher.
    pub fn new(settings: BatchProcessor) -> Batcher {
        Batcher {
            settings,
            current: None,
            ready: VecDeque::new(),
        }
    }

    /// Adds an envelope's records to the partial batch; a batch that
    /// reaches `send_batch_size` (or parts of `send_batch_max_size`)
    /// becomes ready.
    pub fn push(&mut self, envelope: Envelope, now: Instant) {
        let records = envelope.batch.len();
        match &mut self.current {
            None => self.current = Some((envelope, records, now)),
            Some((current, count, _)) => {
                let Envelope { batch, acks, held } = envelope;
                match current.batch.append(batch) {
                    Ok(()) => {
                        current.acks.extend(acks);
                        current.held.absorb(held);
                        *count += records;
                    }
                    // Pipelines carry one signal, so this cannot happen;
                    // send what we have and start again rather than lose it.
                    Err(batch) => {
                        let (done, _, _) = self.current.take().expect("matched Some");
                        self.ready.push_back(done);
                        self.current = Some((Envelope { batch, acks, held }, records, now));
                    }
                }
            }
        }
        self.split_oversize();
        if self
            .current
            .as_ref()
            .is_some_and(|(_, count, _)| *count >= self.settings.send_batch_size)
        {
            let (full, _, _) = self.current.take().expect("checked");
            self.ready.push_back(full);
        }
    }

    /// Cuts `send_batch_max_size` parts off the front of the partial batch
    /// while it is larger than that.
    fn split_oversize(&mut self) {
        let max = self.settings.send_batch_max_size;
        if max == 0 {
            return;
        }
        while let Some((current, count, _)) = &mut self.current {
            if *count <= max {
                break;
            }
            let front: Vec<bool> = (0..*count).map(|i| i < max).collect();
            let part = current.share(current.batch.extract(&front));
            let rest: Vec<bool> = front.iter().map(|kept| !kept).collect();
            current.batch.retain(&rest);
            *count -= max;
            self.ready.push_back(part);
        }
    }

    /// Whether the partial batch has reached `send_batch_size`: take no
    /// more records into it.
    pub fn is_full(&self) -> bool {
        !self.ready.is_empty()
    }

    /// The oldest batch that reached a size bound.
    pub fn pop_ready(&mut self) -> Option<Envelope> {
        self.ready.pop_front()
    }

    /// When the partial batch must go even if no worker is idle.
    pub fn deadline(&self) -> Option<Instant> {
        self.current
            .as_ref()
            .map(|(_, _, started)| *started + self.settings.timeout)
    }

    /// The partial batch, whatever its size.
    pub fn take(&mut self) -> Option<Envelope> {
        self.current.take().map(|(e, _, _)| e)
    }
}

/// The time on tokio's clock (which tests can pause and advance), as the
/// [`Batcher`] takes it.
fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

/// Feeds `input` through a [`Batcher`] into `output` until `input` closes,
/// then sends what is left. `demand` tells when a worker is waiting.
pub async fn run(
    settings: BatchProcessor,
    input: async_channel::Receiver<Envelope>,
    output: async_channel::Sender<Envelope>,
    demand: Arc<Demand>,
) {
    let mut batcher = Batcher::new(settings);
    let mut open = true;
    while open {
        if batcher.deadline().is_none() && !batcher.is_full() {
            match input.recv().await {
                Ok(envelope) => batcher.push(envelope, now()),
                Err(_) => break,
            }
        }
        // Merge what is already queued, without waiting for more.
        while !batcher.is_full() {
            match input.try_recv() {
                Ok(envelope) => batcher.push(envelope, now()),
                Err(async_channel::TryRecvError::Empty) => break,
                Err(async_channel::TryRecvError::Closed) => {
                    open = false;
                    break;
                }
            }
        }
        while let Some(full) = batcher.pop_ready() {
            if output.send(full).await.is_err() {
                return;
            }
        }
        let Some(deadline) = batcher.deadline() else {
            continue;
        };
        if !open || demand.would_take(output.len()) || now() >= deadline {
            if let Some(partial) = batcher.take()
                && output.send(partial).await.is_err()
            {
                return;
            }
            continue;
        }
        tokio::select! {
            // More records first: under load they fill the batch.
            biased;
            next = input.recv() => match next {
                Ok(envelope) => batcher.push(envelope, now()),
                Err(_) => open = false,
            },
            // A worker became idle: the loop sends the batch to it.
            () = demand.changed() => {}
            // The batch has waited `timeout`: the loop sends it.
            () = tokio::time::sleep_until(deadline.into()) => {}
        }
    }
    while let Some(full) = batcher.pop_ready() {
        if output.send(full).await.is_err() {
            return;
        }
    }
    if let Some(partial) = batcher.take() {
        let _ = output.send(partial).await;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::ack::Ack;
    use crate::otlp::logs::{LogRecord, ResourceLogs, ScopeLogs};
    use crate::otlp::{Batch, ExportLogsServiceRequest};

    const TIMEOUT: Duration = Duration::from_millis(200);

    fn envelope(n: usize) -> Envelope {
        let batch: Batch = ExportLogsServiceRequest {
            resource_logs: vec![ResourceLogs {
                scope_logs: vec![ScopeLogs {
                    log_records: (0..n)
                        .map(|i| LogRecord {
                            time_unix_nano: i as u64,
                            ..Default::default()
                        })
                        .collect(),
                    ..Default::default()
                }],
                ..Default::default()
            }],
        }
        .into();
        Envelope::new(batch, Ack::new().0)
    }

    fn settings(size: usize, max: usize) -> BatchProcessor {
        BatchProcessor {
            send_batch_size: size,
            timeout: TIMEOUT,
            send_batch_max_size: max,
        }
    }

    #[test]
    fn a_batch_is_ready_when_it_reaches_the_size() {
        let t0 = Instant::now();
        let mut b = Batcher::new(settings(10, 0));
        b.push(envelope(4), t0);
        b.push(envelope(4), t0);
        assert!(!b.is_full());
        assert_eq!(b.deadline(), Some(t0 + TIMEOUT));
        b.push(envelope(4), t0);
        let sent = b.pop_ready().expect("12 >= 10");
        assert_eq!((sent.batch.len(), sent.acks.len()), (12, 3));
        assert!(b.deadline().is_none());
    }

    #[test]
    fn the_deadline_counts_from_the_first_record() {
        let t0 = Instant::now();
        let mut b = Batcher::new(settings(100, 0));
        b.push(envelope(1), t0);
        b.push(envelope(1), t0 + TIMEOUT / 2);
        assert_eq!(b.deadline(), Some(t0 + TIMEOUT));
        assert_eq!(b.take().unwrap().batch.len(), 2);
    }

    #[test]
    fn no_batch_exceeds_the_max_size_and_parts_keep_their_acks_and_order() {
        let t0 = Instant::now();
        let mut b = Batcher::new(settings(100, 4));
        b.push(envelope(3), t0);
        b.push(envelope(7), t0);
        let mut sizes = Vec::new();
        let mut times = Vec::new();
        let mut acks = Vec::new();
        while let Some(e) = b.pop_ready() {
            sizes.push(e.batch.len());
            acks.push(e.acks.len());
            times.extend((0..e.batch.len() as u32).map(|i| e.batch.log(i).unwrap().time_unix_nano));
        }
        let rest = b.take().unwrap();
        sizes.push(rest.batch.len());
        times.extend(
            (0..rest.batch.len() as u32).map(|i| rest.batch.log(i).unwrap().time_unix_nano),
        );
        assert_eq!(sizes, [4, 4, 2]);
        assert_eq!(acks, [2, 2], "each part holds both requests' acks");
        assert_eq!(times, [0, 1, 2, 0, 1, 2, 3, 4, 5, 6]);
    }

    /// Runs the batcher task with `idle` idle workers; returns the input
    /// sender and the output.
    fn start(
        idle: usize,
        size: usize,
    ) -> (
        async_channel::Sender<Envelope>,
        async_channel::Receiver<Envelope>,
        Arc<Demand>,
    ) {
        let (tx, rx) = async_channel::bounded(64);
        let (out_tx, out_rx) = async_channel::bounded(8);
        let demand = Arc::new(Demand::default());
        for _ in 0..idle {
            demand.idle();
        }
        tokio::spawn(run(settings(size, 0), rx, out_tx, demand.clone()));
        (tx, out_rx, demand)
    }

    #[tokio::test(start_paused = true)]
    async fn with_an_idle_worker_a_request_goes_at_once() {
        let (tx, out, _demand) = start(1, 8192);
        let t0 = tokio::time::Instant::now();
        tx.send(envelope(5)).await.unwrap();
        let sent = out.recv().await.unwrap();
        assert_eq!(sent.batch.len(), 5);
        assert_eq!(tokio::time::Instant::now(), t0, "no timer was waited on");
    }

    #[tokio::test(start_paused = true)]
    async fn with_every_worker_busy_a_batch_grows_until_the_timeout() {
        let (tx, out, _demand) = start(0, 8192);
        let t0 = tokio::time::Instant::now();
        tx.send(envelope(5)).await.unwrap();
        tokio::time::sleep(TIMEOUT / 2).await;
        tx.send(envelope(5)).await.unwrap();
        let sent = out.recv().await.unwrap();
        assert_eq!(sent.batch.len(), 10);
        assert_eq!(tokio::time::Instant::now() - t0, TIMEOUT);
    }

    #[tokio::test(start_paused = true)]
    async fn a_worker_becoming_idle_takes_the_partial_batch() {
        let (tx, out, demand) = start(0, 8192);
        tx.send(envelope(5)).await.unwrap();
        tokio::time::sleep(TIMEOUT / 4).await;
        let t1 = tokio::time::Instant::now();
        demand.idle();
        let sent = out.recv().await.unwrap();
        assert_eq!(sent.batch.len(), 5);
        assert_eq!(tokio::time::Instant::now(), t1);
    }

    #[tokio::test(start_paused = true)]
    async fn queued_requests_are_merged_and_what_is_left_is_sent_at_close() {
        let (tx, out, _demand) = start(0, 10);
        for _ in 0..3 {
            tx.send(envelope(4)).await.unwrap();
        }
        tx.send(envelope(1)).await.unwrap();
        drop(tx);
        assert_eq!(out.recv().await.unwrap().batch.len(), 12);
        assert_eq!(out.recv().await.unwrap().batch.len(), 1);
        assert!(out.recv().await.is_err());
    }
}
