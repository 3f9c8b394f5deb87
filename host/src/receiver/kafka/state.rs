//! The consumer's bookkeeping, shared by its poll loop and its rebalance
//! callbacks (which librdkafka runs inside `poll`, on the same thread, so
//! the lock is never contended): the messages taken and not finished,
//! their outcomes as exports finish, the retries due, and the offsets
//! that may be committed.

use std::collections::HashMap;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::offsets::{Offsets, PartitionKey};
use crate::telemetry::metrics::{KafkaTopicLabels, Metrics};

/// A message taken from a partition, kept until it is finished so that a
/// failed export can be tried again without fetching it anew.
#[derive(Debug)]
pub struct Pending {
    /// The assignment epoch it was taken in.
    pub epoch: u64,
    /// The message as it came.
    pub message: Message,
    /// Failed attempts so far.
    pub attempts: u32,
    /// Whether an attempt is running now (not finished, not waiting for
    /// its retry).
    pub running: bool,
}

/// The parts of a Kafka message weir uses.
#[derive(Clone, Debug)]
pub struct Message {
    /// Its key.
    pub key: Option<Vec<u8>>,
    /// Its payload (shared by every attempt, not copied).
    pub payload: bytes::Bytes,
    /// Its headers, as they came.
    pub headers: Vec<(String, Vec<u8>)>,
}

/// How an attempt at a message ended.
#[derive(Debug)]
pub enum Outcome {
    /// Every exporter has its records.
    Exported,
    /// Its records were refused for good (and had no dead-letter
    /// exporter): trying again cannot help, so it is finished.
    Refused(String),
    /// It could not be decoded and is now in the dead-letter topic (or,
    /// without one, logged and counted).
    DeadLettered,
    /// Trying again later may succeed.
    Retry(String),
    /// weir is shutting down: leave it for redelivery.
    Abandoned,
}

/// An attempt that ended, reported by the task that made it.
#[derive(Debug)]
pub struct Finished {
    /// The message's partition.
    pub partition: PartitionKey,
    /// Its offset.
    pub offset: i64,
    /// The epoch it was taken in.
    pub epoch: u64,
    /// How it ended.
    pub outcome: Outcome,
}

/// The bookkeeping of one consumer.
pub struct State {
    receiver: String,
    /// Committable positions.
    pub offsets: Offsets,
    /// Messages taken and not finished.
    pub pending: HashMap<(PartitionKey, i64), Pending>,
    /// Messages whose next attempt is due at a time.
    pub retries: Vec<(Instant, PartitionKey, i64)>,
    /// Whether partitions were assigned since the poll loop last looked.
    pub newly_assigned: bool,
    results: mpsc::Receiver<Finished>,
}

/// The wait before attempt `n + 1` of a message: 100 ms, doubling, at
/// most 5 s. Short, because the message's partition is paused meanwhile.
fn retry_wait(attempts: u32) -> Duration {
    Duration::from_millis(100u64 << attempts.min(6)).min(Duration::from_secs(5))
}

impl State {
    /// Bookkeeping whose attempts report on `results`.
    pub fn new(receiver: &str, results: mpsc::Receiver<Finished>) -> State {
        State {
            receiver: receiver.to_string(),
            offsets: Offsets::default(),
            pending: HashMap::new(),
            retries: Vec::new(),
            newly_assigned: false,
            results,
        }
    }

    /// Applies every outcome reported so far, waiting up to `wait` for
    /// the first; returns how many were applied.
    pub fn collect(&mut self, wait: Duration, metrics: &Metrics) -> usize {
        let mut applied = 0;
        if !wait.is_zero()
            && let Ok(finished) = self.results.recv_timeout(wait)
        {
            self.apply(finished, metrics);
            applied += 1;
        }
        while let Ok(finished) = self.results.try_recv() {
            self.apply(finished, metrics);
            applied += 1;
        }
        applied
    }

    fn apply(&mut self, finished: Finished, metrics: &Metrics) {
        let Finished {
            partition,
            offset,
            epoch,
            outcome,
        } = finished;
        // A partition revoked (and perhaps assigned back) since: its
        // message is someone else's now.
        if !self.offsets.is_current(&partition, epoch) {
            return;
        }
        let id = (partition, offset);
        match outcome {
            Outcome::Exported => {
                self.pending.remove(&id);
                self.offsets.finish(&id.0, epoch, offset);
            }
            Outcome::DeadLettered => {
                metrics
                    .kafka_dead_letter_messages
                    .get_or_create(&KafkaTopicLabels {
                        receiver: self.receiver.clone(),
                        topic: id.0.0.clone(),
                    })
                    .inc();
                self.pending.remove(&id);
                self.offsets.finish(&id.0, epoch, offset);
            }
            Outcome::Refused(reason) => {
                tracing::error!(receiver = %self.receiver, topic = %id.0.0, partition = id.0.1,
                    offset, %reason, "records refused for good by an exporter; message committed");
                self.pending.remove(&id);
                self.offsets.finish(&id.0, epoch, offset);
            }
            Outcome::Retry(reason) => {
                if let Some(pending) = self.pending.get_mut(&id) {
                    let wait = retry_wait(pending.attempts);
                    pending.attempts += 1;
                    pending.running = false;
                    tracing::warn!(receiver = %self.receiver, topic = %id.0.0, partition = id.0.1,
                        offset, %reason, retry_in = ?wait, "export failed; the message will be tried again");
                    metrics
                        .kafka_message_retries
                        .get_or_create(&KafkaTopicLabels {
                            receiver: self.receiver.clone(),
                            topic: id.0.0.clone(),
                        })
                        .inc();
                    self.retries.push((Instant::now() + wait, id.0, offset));
                }
            }
            Outcome::Abandoned => {
                if let Some(pending) = self.pending.get_mut(&id) {
                    pending.running = false;
                }
            }
        }
    }

    /// Takes the retries that are due.
    pub fn due_retries(&mut self, now: Instant) -> Vec<(PartitionKey, i64)> {
        let (due, later): (Vec<_>, Vec<_>) = self.retries.drain(..).partition(|r| r.0 <= now);
        self.retries = later;
        due.into_iter().map(|(_, p, o)| (p, o)).collect()
    }

    /// Attempts running now (not waiting for a retry), in all partitions
    /// or only in `only`.
    pub fn running(&self, only: Option<&[PartitionKey]>) -> usize {
        self.pending
            .iter()
            .filter(|((p, _), pending)| pending.running && only.is_none_or(|only| only.contains(p)))
            .count()
    }

    /// Forgets `partitions` (revoked): their unfinished messages will be
    /// delivered again to whoever gets them.
    pub fn forget(&mut self, partitions: &[PartitionKey]) {
        for partition in partitions {
            self.offsets.revoke(partition);
        }
        self.pending.retain(|(p, _), _| !partitions.contains(p));
        self.retries.retain(|(_, p, _)| !partitions.contains(p));
    }
}
