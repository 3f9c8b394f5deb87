//! The consumer's librdkafka callbacks: log lines to weir's log,
//! statistics to the lag gauges, commit results to the counters, and —
//! the part the delivery guarantee rests on — rebalances. Before
//! partitions are taken away, their in-flight messages get up to
//! `shutdown_timeout` to finish, what finished is committed, and the rest
//! is forgotten, to be delivered again to the partitions' next owner.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::KafkaResult;
use rdkafka::statistics::Statistics;
use rdkafka::{ClientContext, Offset, TopicPartitionList};

use super::offsets::PartitionKey;
use super::state::State;
use crate::kafka::LoggingContext;
use crate::telemetry::metrics::{KafkaEventLabels, KafkaPartitionLabels, Metrics};

/// The context of one `kafka` receiver's consumer.
pub struct ReceiverContext {
    /// The receiver id.
    pub receiver: String,
    /// librdkafka's log lines.
    pub logging: LoggingContext,
    /// The bookkeeping shared with the poll loop.
    pub state: Arc<Mutex<State>>,
    /// The daemon's metrics.
    pub metrics: Arc<Metrics>,
    /// How long revoked partitions' in-flight messages may take.
    pub drain_timeout: Duration,
}

impl ReceiverContext {
    fn event(&self, kind: &'static str) -> KafkaEventLabels {
        KafkaEventLabels {
            receiver: self.receiver.clone(),
            kind,
        }
    }

    /// Waits (bounded) for `partitions`' running attempts, then commits
    /// what finished, synchronously. Used on revoke and at shutdown.
    pub fn drain_and_commit(
        &self,
        consumer: &BaseConsumer<ReceiverContext>,
        partitions: Option<&[PartitionKey]>,
    ) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let deadline = Instant::now() + self.drain_timeout;
        while state.running(partitions) > 0 && Instant::now() < deadline {
            state.collect(Duration::from_millis(20), &self.metrics);
        }
        let left = state.running(partitions);
        if left > 0 {
            tracing::warn!(receiver = %self.receiver, messages = left,
                "in-flight messages did not finish in time; they will be delivered again");
        }
        let positions = state.offsets.take_commit_positions(partitions);
        drop(state);
        commit(self, consumer, &positions, CommitMode::Sync);
    }
}

/// Commits `positions` (the next offset to read, per partition).
pub fn commit(
    context: &ReceiverContext,
    consumer: &BaseConsumer<ReceiverContext>,
    positions: &[(PartitionKey, i64)],
    mode: CommitMode,
) {
    if positions.is_empty() {
        return;
    }
    let mut list = TopicPartitionList::new();
    for ((topic, partition), offset) in positions {
        // Setting an offset on a fresh list only fails for an invalid
        // partition, which librdkafka handed us itself.
        let _ = list.add_partition_offset(topic, *partition, Offset::Offset(*offset));
    }
    if let Err(error) = consumer.commit(&list, mode) {
        tracing::warn!(receiver = %context.receiver, %error,
            "offset commit failed; it is retried with the next one");
        context
            .metrics
            .kafka_commits
            .get_or_create(&context.event("failed"))
            .inc();
        let mut state = context.state.lock().unwrap_or_else(|e| e.into_inner());
        state.offsets.uncommit(positions);
    }
    // Successes are counted by the commit callback, which librdkafka
    // calls for every commit.
}

fn partitions(list: &TopicPartitionList) -> Vec<PartitionKey> {
    list.elements()
        .iter()
        .map(|e| (e.topic().to_string(), e.partition()))
        .collect()
}

impl ClientContext for ReceiverContext {
    fn log(&self, level: rdkafka::config::RDKafkaLogLevel, facility: &str, message: &str) {
        self.logging.log(level, facility, message);
    }

    fn error(&self, error: rdkafka::error::KafkaError, reason: &str) {
        self.logging.error(error, reason);
    }

    fn stats(&self, statistics: Statistics) {
        for (topic, stats) in statistics.topics {
            for (partition, p) in stats.partitions {
                // -1 is librdkafka's internal "unassigned" partition; a
                // lag of -1 means not known yet.
                if partition < 0 || p.consumer_lag < 0 {
                    continue;
                }
                self.metrics
                    .kafka_consumer_lag
                    .get_or_create(&KafkaPartitionLabels {
                        receiver: self.receiver.clone(),
                        topic: topic.clone(),
                        partition,
                    })
                    .set(p.consumer_lag);
            }
        }
    }
}

impl ConsumerContext for ReceiverContext {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Revoke(list) => {
                let revoked = partitions(list);
                tracing::info!(receiver = %self.receiver, partitions = ?revoked, "partitions revoked");
                self.metrics
                    .kafka_rebalances
                    .get_or_create(&self.event("revoke"))
                    .inc();
                self.drain_and_commit(consumer, Some(&revoked));
                let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
                state.forget(&revoked);
            }
            Rebalance::Assign(list) => {
                let assigned = partitions(list);
                tracing::info!(receiver = %self.receiver, partitions = ?assigned, "partitions assigned");
                self.metrics
                    .kafka_rebalances
                    .get_or_create(&self.event("assign"))
                    .inc();
                let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
                for partition in assigned {
                    state.offsets.assign(partition);
                }
                state.newly_assigned = true;
            }
            Rebalance::Error(error) => {
                tracing::warn!(receiver = %self.receiver, %error, "consumer group rebalance failed");
            }
        }
    }

    fn commit_callback(&self, result: KafkaResult<()>, offsets: &TopicPartitionList) {
        match result {
            Ok(()) => {
                self.metrics
                    .kafka_commits
                    .get_or_create(&self.event("ok"))
                    .inc();
            }
            Err(error) => {
                tracing::warn!(receiver = %self.receiver, %error,
                    "offset commit failed; it is retried with the next one");
                self.metrics
                    .kafka_commits
                    .get_or_create(&self.event("failed"))
                    .inc();
                let positions: Vec<_> = offsets
                    .elements()
                    .iter()
                    .filter_map(|e| match e.offset() {
                        Offset::Offset(o) => Some(((e.topic().to_string(), e.partition()), o)),
                        _ => None,
                    })
                    .collect();
                let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
                state.offsets.uncommit(&positions);
            }
        };
    }
}
