//! The `kafka` exporter (phase 1 of a two-phase deployment): each batch
//! becomes Kafka messages ([`messages`]) produced with librdkafka's
//! idempotent producer, and the export succeeds only once the brokers
//! have acknowledged every message made from it — so a `200` at the edge
//! means the records are in Kafka.
//!
//! [`config`] holds the Collector-compatible settings. One producer per
//! exporter is shared by its queue's consumers: librdkafka batches,
//! compresses and retries on its own threads, and a delivery that still
//! fails within `timeout` is a retryable [`ExportError`] for the
//! exporter's queue to retry with backoff. A batch is produced again as a
//! whole after a partial failure, so a retry can duplicate the messages
//! that did get through (at least once, never lost).

mod config;
mod messages;

pub use config::KafkaExporter;

use std::sync::Arc;
use std::time::Duration;

use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{FutureProducer, FutureRecord};

use super::ExportError;
use crate::kafka::LoggingContext;
use crate::otlp::{Batch, Signal};
use messages::Partition;

/// The producer of one `kafka` exporter, shared by its sinks. Dropping
/// it (rdkafka's own `Drop`) purges what is still queued and flushes for
/// at most 500 ms, however the brokers are doing, so shutdown with an
/// unreachable broker ends (the Collector's hang, contrib PR #48144). What
/// is purged belongs to batches whose senders were not answered yet, so
/// nothing acknowledged is lost.
pub struct KafkaClient {
    producer: FutureProducer<LoggingContext>,
    settings: KafkaExporter,
}

impl KafkaClient {
    /// Creates exporter `id`'s producer. It connects in the background:
    /// an unreachable broker shows as failed deliveries, not here.
    pub fn new(id: &str, settings: KafkaExporter) -> anyhow::Result<Arc<KafkaClient>> {
        let config = settings
            .client_config()
            .map_err(|e| anyhow::anyhow!("exporters.{id}.{e}"))?;
        let producer = config.create_with_context(LoggingContext {
            component: format!("exporters.{id}"),
        })?;
        Ok(Arc::new(KafkaClient { producer, settings }))
    }
}

/// One consumer's handle on the exporter's producer.
pub struct KafkaSink {
    client: Arc<KafkaClient>,
    runtime: tokio::runtime::Handle,
}

impl KafkaSink {
    /// A sink producing through `client`; `runtime` waits on deliveries.
    pub fn new(client: Arc<KafkaClient>, runtime: tokio::runtime::Handle) -> KafkaSink {
        KafkaSink { client, runtime }
    }

    /// Produces `batch` and waits until every message is acknowledged.
    /// Records too large for any message are refused for good, the rest
    /// delivered ([`ExportError::PartlyRefused`]).
    pub fn export(&mut self, batch: &Batch) -> Result<(), ExportError> {
        let settings = &self.client.settings;
        let signal = batch.signal();
        let partition = match signal {
            Signal::Traces if settings.partition_traces_by_id => Partition::TraceId,
            Signal::Logs if settings.partition_logs_by_resource_attributes => {
                Partition::ResourceAttributes
            }
            Signal::Metrics if settings.partition_metrics_by_resource_attributes => {
                Partition::ResourceAttributes
            }
            _ => Partition::None,
        };
        let max = settings.producer.max_message_bytes;
        let built = messages::build(batch, partition, settings.encoding(signal), max);
        let topic = settings.topic(signal);

        let mut deliveries = Vec::with_capacity(built.messages.len());
        for message in &built.messages {
            let mut record = FutureRecord::<str, [u8]>::to(topic).payload(&message.payload[..]);
            if let Some(key) = &message.key {
                record = record.key(key.as_str());
            }
            loop {
                match self.client.producer.send_result(record) {
                    Ok(delivery) => {
                        deliveries.push(delivery);
                        break;
                    }
                    // librdkafka's own queue is full: its thread is
                    // sending; wait for room rather than fail the batch.
                    Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                        record = back;
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    Err((error, _)) => return Err(classify(&error)),
                }
            }
        }
        let mut failure = None;
        self.runtime.block_on(async {
            for delivery in deliveries {
                let error = match delivery.await {
                    Ok(Ok(_)) => continue,
                    Ok(Err((error, _))) => classify(&error),
                    Err(_) => ExportError::retryable("the producer stopped before delivery"),
                };
                // Keep the first failure, but a permanent one over a
                // retryable one: retrying cannot help that batch.
                if failure.as_ref().is_none_or(ExportError::is_retryable) {
                    failure = Some(error);
                }
            }
        });
        if let Some(error) = failure {
            return Err(error);
        }
        if built.oversize.is_empty() {
            return Ok(());
        }
        let mut refused = Batch::empty(signal);
        for part in built.oversize {
            // Same signal, so appending cannot fail.
            let _ = refused.append(part);
        }
        Err(ExportError::PartlyRefused {
            reason: format!(
                "{} record(s) larger than producer.max_message_bytes ({max} bytes) \
                 cannot be sent to Kafka",
                refused.len()
            ),
            refused: Arc::new(refused),
        })
    }
}

/// Whether a failed delivery is worth retrying: a message the broker
/// finds invalid or too large never will be; everything else (timeouts,
/// brokers down, leaders moving, topics not there yet) may.
fn classify(error: &KafkaError) -> ExportError {
    let permanent = matches!(
        error.rdkafka_error_code(),
        Some(
            RDKafkaErrorCode::MessageSizeTooLarge
                | RDKafkaErrorCode::InvalidMessageSize
                | RDKafkaErrorCode::InvalidMessage
                | RDKafkaErrorCode::InvalidRecord
        )
    );
    let reason = format!("Kafka: {error}");
    if permanent {
        ExportError::Permanent(reason)
    } else {
        ExportError::retryable(reason)
    }
}
