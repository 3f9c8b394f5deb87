//! The `kafka` receiver's settings: the keys of the OpenTelemetry
//! Collector's kafka receiver, with weir's defaults where they differ for
//! the sake of losing nothing (`initial_offset: earliest`), and the keys
//! of weir's delivery guarantee (`max_in_flight_messages`,
//! `shutdown_timeout`, `dead_letter_topic`).

use std::time::Duration;

use indexmap::IndexMap;
use rdkafka::ClientConfig;
use serde::Deserialize;

use crate::exporter::{InvalidSetting, TlsSettings};
use crate::kafka::{self, Auth, Connection, Encoding};
use crate::otlp::Signal;

/// Receiver `kafka`: consumes OTLP `Export*ServiceRequest` messages (as
/// the Collector's kafka exporter and weir's write them) in a consumer
/// group, at least once.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct KafkaReceiver {
    /// Bootstrap brokers, `host:port`. Default `[localhost:9092]`.
    pub brokers: Vec<String>,
    /// The client id the brokers see. Default `weir`.
    pub client_id: String,
    /// The consumer group: instances with the same group share the
    /// topics' partitions. Default `weir`.
    pub group_id: String,
    /// Accepted for Collector configurations; librdkafka negotiates the
    /// protocol version with the brokers, so it has no effect.
    pub protocol_version: Option<String>,
    /// Topics of logs: `topics` (default `[otlp_logs]`) and `encoding`.
    pub logs: SignalTopics,
    /// Topics of metrics (default `[otlp_metrics]`).
    pub metrics: SignalTopics,
    /// Topics of spans (default `[otlp_spans]`).
    pub traces: SignalTopics,
    /// Where a group with no committed offset starts: `earliest`
    /// (weir's default, so a new group loses nothing already in the
    /// topic) or `latest` (the Collector's default).
    pub initial_offset: InitialOffset,
    /// How partitions are shared out: `cooperative-sticky` (default: a
    /// rebalance moves only the partitions that must move), `range` or
    /// `roundrobin`.
    pub group_rebalance_strategy: RebalanceStrategy,
    /// Message headers copied to every resource of the message's records
    /// as `kafka.header.<name>` attributes.
    pub header_extraction: HeaderExtraction,
    /// How long the group coordinator waits for a heartbeat before it
    /// gives this instance's partitions to others. Default `10s`.
    #[serde(with = "humantime_serde")]
    pub session_timeout: Duration,
    /// How often heartbeats are sent. Default `3s`.
    #[serde(with = "humantime_serde")]
    pub heartbeat_interval: Duration,
    /// Most messages being exported at once. Beyond it (or while a
    /// pipeline is full) the partitions are paused, so memory stays
    /// bounded however far behind the group is. Default 64.
    pub max_in_flight_messages: usize,
    /// How long, on a rebalance that takes partitions away or at
    /// shutdown, in-flight messages get to finish; what finished is
    /// committed, the rest is delivered again to whoever gets the
    /// partition. Default `10s`.
    #[serde(with = "humantime_serde")]
    pub shutdown_timeout: Duration,
    /// Where a message that cannot be decoded goes, with the error and
    /// its origin in headers, before it is committed. Empty: it is only
    /// logged and counted. Default `otlp_dead_letter`.
    pub dead_letter_topic: String,
    /// TLS to the brokers: the Collector's `tls` keys. Absent, or
    /// `insecure: true`: plaintext.
    pub tls: Option<TlsSettings>,
    /// SASL authentication.
    pub auth: Auth,
    /// Any librdkafka consumer property, passed through as it is and
    /// applied last (offset commits are weir's and cannot be changed).
    pub librdkafka: IndexMap<String, String>,
}

impl Default for KafkaReceiver {
    fn default() -> Self {
        KafkaReceiver {
            brokers: kafka::default_brokers(),
            client_id: kafka::default_client_id(),
            group_id: "weir".to_string(),
            protocol_version: None,
            logs: SignalTopics::default(),
            metrics: SignalTopics::default(),
            traces: SignalTopics::default(),
            initial_offset: InitialOffset::Earliest,
            group_rebalance_strategy: RebalanceStrategy::CooperativeSticky,
            header_extraction: HeaderExtraction::default(),
            session_timeout: Duration::from_secs(10),
            heartbeat_interval: Duration::from_secs(3),
            max_in_flight_messages: 64,
            shutdown_timeout: Duration::from_secs(10),
            dead_letter_topic: "otlp_dead_letter".to_string(),
            tls: None,
            auth: Auth::default(),
            librdkafka: IndexMap::new(),
        }
    }
}

/// The topics and encoding of one signal.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct SignalTopics {
    /// The topics. Defaults: `[otlp_logs]`, `[otlp_metrics]`,
    /// `[otlp_spans]`.
    pub topics: Option<Vec<String>>,
    /// One topic: the Collector's older spelling of `topics`.
    pub topic: Option<String>,
    /// `otlp_proto` (default) or `otlp_json`.
    pub encoding: Encoding,
}

/// Where a new group starts.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum InitialOffset {
    /// The oldest message still in the topic.
    #[default]
    Earliest,
    /// Only messages produced from now on.
    Latest,
}

/// librdkafka's partition assignment strategies.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum RebalanceStrategy {
    /// Incremental: only the partitions that move are revoked.
    #[default]
    CooperativeSticky,
    /// Contiguous ranges per topic.
    Range,
    /// Partitions dealt out in turn.
    Roundrobin,
}

/// `header_extraction`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct HeaderExtraction {
    /// Copy headers to resource attributes. Default `false`.
    pub extract_headers: bool,
    /// The header names to copy.
    pub headers: Vec<String>,
}

impl KafkaReceiver {
    /// The topics of `signal`.
    pub fn topics(&self, signal: Signal) -> Vec<String> {
        let (settings, default) = match signal {
            Signal::Logs => (&self.logs, "otlp_logs"),
            Signal::Metrics => (&self.metrics, "otlp_metrics"),
            Signal::Traces => (&self.traces, "otlp_spans"),
        };
        match (&settings.topics, &settings.topic) {
            (Some(topics), _) => topics.clone(),
            (None, Some(topic)) => vec![topic.clone()],
            (None, None) => vec![default.to_string()],
        }
    }

    /// The payload encoding of `signal`'s topics.
    pub fn encoding(&self, signal: Signal) -> Encoding {
        match signal {
            Signal::Logs => self.logs.encoding,
            Signal::Metrics => self.metrics.encoding,
            Signal::Traces => self.traces.encoding,
        }
    }

    /// Checks what deserialising cannot.
    pub fn validate(&self) -> Result<(), InvalidSetting> {
        self.consumer_config().map(|_| ())
    }

    /// The connection alone (for the dead-letter producer).
    pub fn connection_config(&self) -> Result<ClientConfig, InvalidSetting> {
        kafka::client_config(Connection {
            brokers: &self.brokers,
            client_id: &self.client_id,
            tls: self.tls.as_ref(),
            auth: &self.auth,
            properties: &self.librdkafka,
        })
    }

    /// The consumer's librdkafka configuration.
    pub fn consumer_config(&self) -> Result<ClientConfig, InvalidSetting> {
        let invalid = |field: &str, message: &str| InvalidSetting {
            field: field.to_string(),
            message: message.to_string(),
        };
        if self.group_id.trim().is_empty() {
            return Err(invalid("group_id", "must not be empty"));
        }
        for (field, signal) in [
            ("logs", Signal::Logs),
            ("metrics", Signal::Metrics),
            ("traces", Signal::Traces),
        ] {
            let settings = match signal {
                Signal::Logs => &self.logs,
                Signal::Metrics => &self.metrics,
                Signal::Traces => &self.traces,
            };
            if settings.topics.is_some() && settings.topic.is_some() {
                return Err(invalid(
                    &format!("{field}.topic"),
                    "give `topics` or `topic`, not both",
                ));
            }
            if self.topics(signal).iter().any(|t| t.trim().is_empty()) {
                return Err(invalid(&format!("{field}.topics"), "a topic name is empty"));
            }
        }
        let mut seen = std::collections::HashMap::new();
        for signal in Signal::ALL {
            for topic in self.topics(signal) {
                if let Some(other) = seen.insert(topic.clone(), signal)
                    && other != signal
                {
                    return Err(invalid(
                        &format!("{signal}.topics"),
                        &format!("topic `{topic}` is also a {other} topic: one signal per topic"),
                    ));
                }
            }
        }
        if self.max_in_flight_messages == 0 {
            return Err(invalid("max_in_flight_messages", "must be at least 1"));
        }
        if self.heartbeat_interval >= self.session_timeout {
            return Err(invalid(
                "heartbeat_interval",
                "must be shorter than `session_timeout`",
            ));
        }
        let mut config = self.connection_config()?;
        config
            .set("group.id", &self.group_id)
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set(
                "auto.offset.reset",
                match self.initial_offset {
                    InitialOffset::Earliest => "earliest",
                    InitialOffset::Latest => "latest",
                },
            )
            .set(
                "partition.assignment.strategy",
                match self.group_rebalance_strategy {
                    RebalanceStrategy::CooperativeSticky => "cooperative-sticky",
                    RebalanceStrategy::Range => "range",
                    RebalanceStrategy::Roundrobin => "roundrobin",
                },
            )
            .set("session.timeout.ms", millis(self.session_timeout))
            .set("heartbeat.interval.ms", millis(self.heartbeat_interval))
            // Consumer lag per partition comes from librdkafka's
            // statistics.
            .set("statistics.interval.ms", "5000");
        // The pass-through properties again, last, over weir's defaults.
        for (key, value) in &self.librdkafka {
            config.set(key, value);
        }
        Ok(config)
    }
}

fn millis(duration: Duration) -> String {
    duration.as_millis().max(1).to_string()
}
