//! The `kafka` exporter's settings: the keys of the OpenTelemetry
//! Collector's kafka exporter, so that a Collector configuration ports
//! over, with weir's stronger delivery defaults (`required_acks: -1`,
//! the idempotent producer) documented where they differ.

use std::time::Duration;

use indexmap::IndexMap;
use rdkafka::ClientConfig;
use serde::Deserialize;

use crate::exporter::{InvalidSetting, TlsSettings};
use crate::kafka::{self, Auth, Connection, Encoding};
use crate::otlp::Signal;

/// Exporter `kafka`: each batch becomes one or more Kafka messages whose
/// payload is an OTLP `Export*ServiceRequest`, as the Collector writes
/// them.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct KafkaExporter {
    /// Bootstrap brokers, `host:port`. Default `[localhost:9092]`.
    pub brokers: Vec<String>,
    /// The client id the brokers see. Default `weir`.
    pub client_id: String,
    /// Accepted for Collector configurations; librdkafka negotiates the
    /// protocol version with the brokers, so it has no effect.
    pub protocol_version: Option<String>,
    /// Where logs go: `topic` (default `otlp_logs`) and `encoding`.
    pub logs: SignalTopic,
    /// Where metrics go: `topic` (default `otlp_metrics`) and `encoding`.
    pub metrics: SignalTopic,
    /// Where spans go: `topic` (default `otlp_spans`) and `encoding`.
    pub traces: SignalTopic,
    /// One message per trace, keyed by the trace id in hex, so a trace's
    /// spans land on one partition (the Collector's convention).
    /// Default `false`.
    pub partition_traces_by_id: bool,
    /// One message per resource, keyed by a stable hash of its
    /// attributes, so a resource's logs land on one partition. Default
    /// `false`.
    pub partition_logs_by_resource_attributes: bool,
    /// The same for metrics. Default `false`.
    pub partition_metrics_by_resource_attributes: bool,
    /// How messages are produced.
    pub producer: Producer,
    /// How long one attempt to deliver a batch's messages may take before
    /// it counts as failed and `retry_on_failure` takes over (librdkafka's
    /// `message.timeout.ms`). Default `5s`.
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
    /// TLS to the brokers (OpenSSL inside librdkafka): the Collector's
    /// `tls` keys. Absent, or `insecure: true`: plaintext.
    pub tls: Option<TlsSettings>,
    /// SASL authentication.
    pub auth: Auth,
    /// Any librdkafka producer property, passed through as it is and
    /// applied last (e.g. `linger.ms: "20"`, `socket.keepalive.enable:
    /// "true"`). weir's own keys are the way to set what they cover.
    pub librdkafka: IndexMap<String, String>,
}

impl Default for KafkaExporter {
    fn default() -> Self {
        KafkaExporter {
            brokers: kafka::default_brokers(),
            client_id: kafka::default_client_id(),
            protocol_version: None,
            logs: SignalTopic::default(),
            metrics: SignalTopic::default(),
            traces: SignalTopic::default(),
            partition_traces_by_id: false,
            partition_logs_by_resource_attributes: false,
            partition_metrics_by_resource_attributes: false,
            producer: Producer::default(),
            timeout: Duration::from_secs(5),
            tls: None,
            auth: Auth::default(),
            librdkafka: IndexMap::new(),
        }
    }
}

/// The topic and encoding of one signal.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct SignalTopic {
    /// The topic. Defaults: `otlp_logs`, `otlp_metrics`, `otlp_spans`.
    pub topic: Option<String>,
    /// `otlp_proto` (default) or `otlp_json`.
    pub encoding: Encoding,
}

/// `producer`: the Collector's producer keys.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Producer {
    /// The largest message, in bytes, before compression. A batch whose
    /// encoding is larger is split into messages that fit; a single
    /// record larger than this goes to the pipeline's dead-letter
    /// exporters. Default 1000000.
    pub max_message_bytes: usize,
    /// `-1` (all in-sync replicas, weir's default, with the idempotent
    /// producer: no duplicates from the producer's own retries), `1` (the
    /// leader only: the Collector's default) or `0` (no
    /// acknowledgement). Below `-1` the producer is not idempotent.
    pub required_acks: i16,
    /// `none` (default), `gzip`, `snappy`, `lz4` or `zstd`.
    pub compression: Compression,
    /// Compression level.
    pub compression_params: CompressionParams,
    /// Most messages in one produce request (librdkafka's
    /// `batch.num.messages`). Default 10000.
    pub flush_max_messages: usize,
    /// How long a partition's messages may wait for more before they are
    /// sent (librdkafka's `linger.ms`). Default `10ms`.
    #[serde(with = "humantime_serde")]
    pub linger: Duration,
    /// Accepted for Collector configurations; whether a topic is created
    /// on first use is the broker's setting.
    pub allow_auto_topic_creation: bool,
}

impl Default for Producer {
    fn default() -> Self {
        Producer {
            max_message_bytes: 1_000_000,
            required_acks: -1,
            compression: Compression::None,
            compression_params: CompressionParams::default(),
            flush_max_messages: 10_000,
            linger: Duration::from_millis(10),
            allow_auto_topic_creation: true,
        }
    }
}

/// A compression codec librdkafka applies per message set.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Compression {
    /// Uncompressed.
    #[default]
    None,
    /// gzip.
    Gzip,
    /// Snappy.
    Snappy,
    /// LZ4.
    Lz4,
    /// Zstandard.
    Zstd,
}

/// `producer.compression_params`.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct CompressionParams {
    /// The codec's level; `-1` is the codec's default.
    pub level: i32,
}

impl Default for CompressionParams {
    fn default() -> Self {
        CompressionParams { level: -1 }
    }
}

impl KafkaExporter {
    /// The topic batches of `signal` go to.
    pub fn topic(&self, signal: Signal) -> &str {
        let (settings, default) = match signal {
            Signal::Logs => (&self.logs, "otlp_logs"),
            Signal::Metrics => (&self.metrics, "otlp_metrics"),
            Signal::Traces => (&self.traces, "otlp_spans"),
        };
        settings.topic.as_deref().unwrap_or(default)
    }

    /// The payload encoding of `signal`.
    pub fn encoding(&self, signal: Signal) -> Encoding {
        match signal {
            Signal::Logs => self.logs.encoding,
            Signal::Metrics => self.metrics.encoding,
            Signal::Traces => self.traces.encoding,
        }
    }

    /// Checks the settings and builds the producer's librdkafka
    /// configuration.
    pub fn validate(&self) -> Result<(), InvalidSetting> {
        self.client_config().map(|_| ())
    }

    /// The producer's librdkafka configuration.
    pub fn client_config(&self) -> Result<ClientConfig, InvalidSetting> {
        let invalid = |field: &str, message: &str| InvalidSetting {
            field: field.to_string(),
            message: message.to_string(),
        };
        for (field, topic) in [
            ("logs.topic", &self.logs.topic),
            ("metrics.topic", &self.metrics.topic),
            ("traces.topic", &self.traces.topic),
        ] {
            if topic.as_deref().is_some_and(|t| t.trim().is_empty()) {
                return Err(invalid(field, "must not be empty"));
            }
        }
        let producer = &self.producer;
        if producer.max_message_bytes < 1024 {
            return Err(invalid(
                "producer.max_message_bytes",
                "must be at least 1024",
            ));
        }
        if !matches!(producer.required_acks, -1..=1) {
            return Err(invalid(
                "producer.required_acks",
                "must be -1 (all replicas), 1 (the leader) or 0 (none)",
            ));
        }
        if producer.flush_max_messages == 0 {
            return Err(invalid("producer.flush_max_messages", "must be at least 1"));
        }
        if self.timeout < Duration::from_millis(1) {
            return Err(invalid("timeout", "must be at least 1ms"));
        }

        let mut config = kafka::client_config(Connection {
            brokers: &self.brokers,
            client_id: &self.client_id,
            tls: self.tls.as_ref(),
            auth: &self.auth,
            properties: &IndexMap::new(),
        })?;
        let idempotent = producer.required_acks == -1;
        config
            .set("enable.idempotence", idempotent.to_string())
            .set("acks", producer.required_acks.to_string())
            .set("message.timeout.ms", millis(self.timeout))
            // librdkafka's own limit sits above the payload limit weir
            // splits at: the message's framing and key add a little.
            .set(
                "message.max.bytes",
                (producer.max_message_bytes + 64 * 1024).to_string(),
            )
            .set(
                "batch.num.messages",
                producer.flush_max_messages.to_string(),
            )
            .set("linger.ms", millis(producer.linger))
            .set(
                "compression.codec",
                match producer.compression {
                    Compression::None => "none",
                    Compression::Gzip => "gzip",
                    Compression::Snappy => "snappy",
                    Compression::Lz4 => "lz4",
                    Compression::Zstd => "zstd",
                },
            )
            .set(
                "compression.level",
                producer.compression_params.level.to_string(),
            );
        for (key, value) in &self.librdkafka {
            config.set(key, value);
        }
        Ok(config)
    }
}

fn millis(duration: Duration) -> String {
    duration.as_millis().max(1).to_string()
}
