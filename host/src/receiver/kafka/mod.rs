//! The `kafka` receiver (phase 2 of a two-phase deployment): a member of
//! a consumer group that reads OTLP export requests from Kafka topics and
//! hands them to its pipelines through the same [`Intake`] as the OTLP
//! receivers, at least once.
//!
//! The guarantee: an offset is committed only when every message up to
//! it, in its partition, has been accepted by every exporter
//! ([`offsets`]); a failed export is tried again, with the partitions
//! paused meanwhile; on a rebalance that takes partitions away, or at
//! shutdown, in-flight messages get `shutdown_timeout` to finish, what
//! finished is committed and the rest is delivered again to the next
//! owner ([`context`]). A message that cannot be decoded goes to a
//! dead-letter topic and is committed, so one bad message does not stop
//! the group ([`message`]). [`worker`] is the poll loop; [`state`] its
//! bookkeeping.

mod config;
mod context;
pub(crate) mod message;
mod offsets;
pub(crate) mod state;
mod worker;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, mpsc};

use anyhow::Context as _;
use rdkafka::consumer::{BaseConsumer, Consumer};
use tokio_util::sync::CancellationToken;

use super::{Intake, Server, SignalInputs};
use crate::kafka::LoggingContext;
use crate::otlp::Signal;
use crate::telemetry::metrics::Metrics;
use context::ReceiverContext;
use state::State;
use worker::Worker;

pub use config::KafkaReceiver;

/// Starts receiver `id`: joins its group, subscribed to the topics of
/// the signals it has pipelines for, and consumes on a thread of its own
/// until `shutdown`.
pub async fn start(
    id: &str,
    settings: &KafkaReceiver,
    inputs: SignalInputs,
    metrics: Arc<Metrics>,
    shutdown: CancellationToken,
) -> anyhow::Result<Vec<Server>> {
    let mut topics = HashMap::new();
    for signal in Signal::ALL {
        if inputs.of(signal).is_empty() {
            continue;
        }
        for topic in settings.topics(signal) {
            topics.insert(topic, (signal, settings.encoding(signal)));
        }
    }
    if topics.is_empty() {
        tracing::warn!(receiver = %id, "the Kafka receiver feeds no pipeline: not started");
        return Ok(Vec::new());
    }

    let at = |e: crate::exporter::InvalidSetting| anyhow::anyhow!("receivers.{id}.{e}");
    let (results_tx, results_rx) = mpsc::channel();
    let state = Arc::new(Mutex::new(State::new(id, results_rx)));
    let context = ReceiverContext {
        receiver: id.to_string(),
        logging: LoggingContext {
            component: format!("receivers.{id}"),
        },
        state: state.clone(),
        metrics: metrics.clone(),
        drain_timeout: settings.shutdown_timeout,
    };
    let consumer: BaseConsumer<ReceiverContext> = settings
        .consumer_config()
        .map_err(at)?
        .create_with_context(context)
        .with_context(|| format!("receivers.{id}: cannot create the Kafka consumer"))?;
    let mut subscribed: Vec<&str> = topics.keys().map(String::as_str).collect();
    subscribed.sort();
    consumer
        .subscribe(&subscribed)
        .with_context(|| format!("receivers.{id}: cannot subscribe to {subscribed:?}"))?;
    let dead_letter = if settings.dead_letter_topic.is_empty() {
        None
    } else {
        let producer = settings
            .connection_config()
            .map_err(at)?
            .set("enable.idempotence", "true")
            .create_with_context(LoggingContext {
                component: format!("receivers.{id}.dead_letter_topic"),
            })
            .with_context(|| format!("receivers.{id}: cannot create the dead-letter producer"))?;
        Some(producer)
    };
    tracing::info!(receiver = %id, group = %settings.group_id, topics = ?subscribed,
        "Kafka receiver consuming");

    let worker = Worker {
        receiver: id.to_string(),
        settings: settings.clone(),
        topics,
        consumer,
        dead_letter,
        intake: Arc::new(Intake::new(id, "kafka", inputs, metrics.clone())),
        runtime: tokio::runtime::Handle::current(),
        results: results_tx,
        state,
        metrics,
    };
    Ok(vec![tokio::task::spawn_blocking(move || {
        worker.run(shutdown)
    })])
}
