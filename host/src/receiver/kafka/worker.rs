//! The consumer's poll loop, on a thread of its own: takes messages,
//! starts each one's export on the async runtime (through the receiver's
//! [`Intake`], like any request), applies the outcomes, tries failed
//! exports again, pauses the partitions while too much is in flight (or
//! a retry waits) and resumes them once it drained, commits what is
//! finished about once a second, and at shutdown drains and commits
//! within `shutdown_timeout`.

use std::collections::HashMap;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::Message as _;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::message::{BorrowedMessage, Headers};
use rdkafka::producer::{FutureProducer, FutureRecord};
use tokio_util::sync::CancellationToken;

use super::config::KafkaReceiver;
use super::context::{ReceiverContext, commit};
use super::message::{dead_letter_headers, decode, extract_headers};
use super::offsets::PartitionKey;
use super::state::{Finished, Message, Outcome, Pending, State};
use crate::kafka::{Encoding, LoggingContext};
use crate::otlp::Signal;
use crate::receiver::{Intake, RefusalKind};
use crate::telemetry::metrics::{KafkaTopicLabels, Metrics};

/// How often finished offsets are committed while consuming.
const COMMIT_INTERVAL: Duration = Duration::from_secs(1);
/// How long one poll waits for a message.
const POLL: Duration = Duration::from_millis(50);
/// How long the consumer may be full before its partitions are paused.
const PAUSE_AFTER: Duration = Duration::from_secs(1);

/// Everything the loop needs.
pub struct Worker {
    /// The receiver id.
    pub receiver: String,
    /// Its settings.
    pub settings: KafkaReceiver,
    /// Topic → its signal and encoding.
    pub topics: HashMap<String, (Signal, Encoding)>,
    /// The consumer, subscribed.
    pub consumer: BaseConsumer<ReceiverContext>,
    /// The producer of the dead-letter topic, if there is one.
    pub dead_letter: Option<FutureProducer<LoggingContext>>,
    /// Where records enter the pipelines.
    pub intake: Arc<Intake>,
    /// Runs the exports.
    pub runtime: tokio::runtime::Handle,
    /// Where the exports report.
    pub results: mpsc::Sender<Finished>,
    /// The bookkeeping, shared with the rebalance callbacks.
    pub state: Arc<Mutex<State>>,
    /// The daemon's metrics.
    pub metrics: Arc<Metrics>,
}

impl Worker {
    /// Consumes until `shutdown`, then drains and commits.
    pub fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let mut paused = false;
        let mut busy_since: Option<Instant> = None;
        let mut last_commit = Instant::now();
        while !shutdown.is_cancelled() {
            let retries = {
                let mut state = self.lock();
                state.collect(Duration::ZERO, &self.metrics);
                state.due_retries(Instant::now())
            };
            for (partition, offset) in retries {
                self.attempt(&partition, offset);
            }
            let (running, waiting) = {
                let state = self.lock();
                (state.running(None), !state.retries.is_empty())
            };
            // Full: take no more messages. A short spell is waited out
            // without polling (what librdkafka fetched stays queued); a
            // long one, or a failed export waiting for its retry, pauses
            // the partitions, so that polling (which keeps the group
            // membership alive) brings no messages and memory stays
            // bounded however long the pipelines are blocked.
            let busy = running >= self.settings.max_in_flight_messages;
            busy_since = match (busy, busy_since) {
                (false, _) => None,
                (true, None) => Some(Instant::now()),
                (true, since) => since,
            };
            let pause = waiting || busy_since.is_some_and(|t| t.elapsed() >= PAUSE_AFTER);
            if pause != paused {
                paused = self.set_paused(pause);
            }
            if last_commit.elapsed() >= COMMIT_INTERVAL {
                let positions = self.lock().offsets.take_commit_positions(None);
                commit(
                    self.consumer.context(),
                    &self.consumer,
                    &positions,
                    CommitMode::Async,
                );
                last_commit = Instant::now();
            }
            if busy && !paused {
                self.lock().collect(POLL, &self.metrics);
                continue;
            }
            match self.consumer.poll(POLL) {
                None => {}
                Some(Ok(message)) => self.take(&message),
                Some(Err(error)) => {
                    tracing::warn!(receiver = %self.receiver, %error, "Kafka consumer error");
                }
            }
            // A rebalance inside `poll` may have assigned partitions that
            // are not paused: pause them too while we should be paused.
            // (Only then: pausing again what is paused would throw away
            // fetches in flight each time.)
            let assigned = std::mem::take(&mut self.lock().newly_assigned);
            if paused && assigned {
                self.set_paused(true);
            }
        }

        tracing::info!(receiver = %self.receiver, "Kafka receiver stopping: draining in-flight messages");
        self.set_paused(true);
        self.consumer
            .context()
            .drain_and_commit(&self.consumer, None);
        // Leaving the group waits on the coordinator, which may be
        // unreachable: give it the same bound, off this thread.
        let Worker {
            consumer,
            dead_letter,
            receiver,
            settings,
            ..
        } = self;
        let (done, left) = mpsc::channel();
        std::thread::spawn(move || {
            drop(consumer);
            drop(dead_letter);
            let _ = done.send(());
        });
        if left.recv_timeout(settings.shutdown_timeout).is_err() {
            tracing::warn!(receiver = %receiver,
                "leaving the consumer group did not finish in time; stopping anyway");
        }
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Pauses or resumes every assigned partition; returns the new state.
    fn set_paused(&self, pause: bool) -> bool {
        let Ok(assignment) = self.consumer.assignment() else {
            return !pause;
        };
        let result = if pause {
            self.consumer.pause(&assignment)
        } else {
            self.consumer.resume(&assignment)
        };
        if let Err(error) = result {
            tracing::warn!(receiver = %self.receiver, %error, pause, "cannot pause or resume partitions");
            return !pause;
        }
        tracing::debug!(receiver = %self.receiver, pause, partitions = assignment.count(),
            "partitions paused or resumed");
        pause
    }

    /// Takes a fetched message and starts its first attempt.
    fn take(&self, message: &BorrowedMessage<'_>) {
        let partition = (message.topic().to_string(), message.partition());
        let offset = message.offset();
        self.metrics
            .kafka_consumed_messages
            .get_or_create(&KafkaTopicLabels {
                receiver: self.receiver.clone(),
                topic: partition.0.clone(),
            })
            .inc();
        let headers = message
            .headers()
            .map(|headers| {
                headers
                    .iter()
                    .map(|h| (h.key.to_string(), h.value.unwrap_or_default().to_vec()))
                    .collect()
            })
            .unwrap_or_default();
        let taken = Message {
            key: message.key().map(<[u8]>::to_vec),
            payload: bytes::Bytes::copy_from_slice(message.payload().unwrap_or_default()),
            headers,
        };
        {
            let mut state = self.lock();
            let epoch = state.offsets.take(&partition, offset);
            state.pending.insert(
                (partition.clone(), offset),
                Pending {
                    epoch,
                    message: taken,
                    attempts: 0,
                    running: false,
                },
            );
        }
        self.attempt(&partition, offset);
    }

    /// Starts an attempt at a pending message: its export, or — if it
    /// cannot be decoded — its trip to the dead-letter topic.
    fn attempt(&self, partition: &PartitionKey, offset: i64) {
        let (epoch, message) = {
            let mut state = self.lock();
            let Some(pending) = state.pending.get_mut(&(partition.clone(), offset)) else {
                return;
            };
            pending.running = true;
            (pending.epoch, pending.message.clone())
        };
        let report = {
            let results = self.results.clone();
            let partition = partition.clone();
            move |outcome| {
                let _ = results.send(Finished {
                    partition,
                    offset,
                    epoch,
                    outcome,
                });
            }
        };
        let Some(&(signal, encoding)) = self.topics.get(&partition.0) else {
            report(Outcome::Refused(format!(
                "topic `{}` is not subscribed",
                partition.0
            )));
            return;
        };
        // Over a memory limit: the message waits in Kafka, and is tried
        // again like any retryable failure (its partition pauses).
        if let Err(refusal) = self.intake.admit(signal) {
            report(Outcome::Retry(refusal.message));
            return;
        }
        match decode(signal, encoding, message.payload.clone()) {
            Ok(mut batch) => {
                let extraction = &self.settings.header_extraction;
                if extraction.extract_headers {
                    extract_headers(&mut batch, &message, &extraction.headers);
                }
                let intake = self.intake.clone();
                self.runtime.spawn(async move {
                    let outcome = match intake.accept(signal, batch).await {
                        Ok(_) => Outcome::Exported,
                        Err(refusal) => match refusal.kind {
                            RefusalKind::ExportRefused | RefusalKind::NoPipeline => {
                                Outcome::Refused(refusal.message)
                            }
                            RefusalKind::ShuttingDown => Outcome::Abandoned,
                            _ => Outcome::Retry(refusal.message),
                        },
                    };
                    report(outcome);
                });
            }
            Err(error) => self.dead_letter(partition, offset, message, error, report),
        }
    }

    /// Sends an undecodable message to the dead-letter topic.
    fn dead_letter(
        &self,
        partition: &PartitionKey,
        offset: i64,
        message: Message,
        error: String,
        report: impl FnOnce(Outcome) + Send + 'static,
    ) {
        tracing::error!(receiver = %self.receiver, topic = %partition.0, partition = partition.1,
            offset, %error, dead_letter_topic = %self.settings.dead_letter_topic,
            "a message cannot be decoded: it goes to the dead-letter topic and consumption goes on");
        let Some(producer) = &self.dead_letter else {
            report(Outcome::DeadLettered);
            return;
        };
        let headers = dead_letter_headers(&message, &error, &partition.0, partition.1, offset);
        let mut record = FutureRecord::<[u8], [u8]>::to(&self.settings.dead_letter_topic)
            .payload(&message.payload[..])
            .headers(headers);
        if let Some(key) = &message.key {
            record = record.key(key.as_slice());
        }
        match producer.send_result(record) {
            Ok(delivery) => {
                self.runtime.spawn(async move {
                    report(match delivery.await {
                        Ok(Ok(_)) => Outcome::DeadLettered,
                        Ok(Err((error, _))) => {
                            Outcome::Retry(format!("dead-letter topic: {error}"))
                        }
                        Err(_) => Outcome::Abandoned,
                    });
                });
            }
            Err((error, _)) => report(Outcome::Retry(format!("dead-letter topic: {error}"))),
        }
    }
}
