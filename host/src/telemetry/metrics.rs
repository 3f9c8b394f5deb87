//! Every metric weir reports about itself, named once, here. Components
//! count where the event happens through the handles in [`Metrics`];
//! `/metrics` renders the registry in the Prometheus text format.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// Labels of what a receiver took in or refused.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReceiverLabels {
    /// Receiver id, e.g. `otlp`.
    pub receiver: String,
    /// `grpc` or `http`.
    pub transport: &'static str,
    /// `logs`, `metrics` or `traces`.
    pub signal: &'static str,
}

/// Labels of a refusal.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RefusedLabels {
    /// Receiver id.
    pub receiver: String,
    /// `grpc` or `http`.
    pub transport: &'static str,
    /// Why: `malformed`, `too_large`, `unsupported_media_type`,
    /// `no_pipeline`, `overloaded`, `export_failed`, `export_refused`,
    /// `shutting_down`
    /// (counted for gRPC and HTTP alike, including what tonic refuses
    /// before weir's code runs).
    pub reason: &'static str,
}

/// Labels of an exporter's counts.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ExporterLabels {
    /// Exporter id.
    pub exporter: String,
    /// Signal.
    pub signal: &'static str,
}

/// Labels of an export failure.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ExportFailureLabels {
    /// Exporter id.
    pub exporter: String,
    /// Signal.
    pub signal: &'static str,
    /// `retryable` (retries ran out; the senders were told to retry, or
    /// the batch was given up) or `permanent` (the destination refused it
    /// for good).
    pub kind: &'static str,
}

/// Labels of an exporter's queue.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct QueueLabels {
    /// Exporter id.
    pub exporter: String,
}

/// Labels of a `memory_limiter` processor.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ProcessorLabels {
    /// Processor id.
    pub processor: String,
}

/// Labels of a plugin's counts.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PluginLabels {
    /// Pipeline id.
    pub pipeline: String,
    /// Processor id, e.g. `wasm/redact`.
    pub plugin: String,
}

/// Labels of a plugin failure.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PluginFailureLabels {
    /// Pipeline id.
    pub pipeline: String,
    /// Processor id.
    pub plugin: String,
    /// `timeout`, `memory`, `trap`, `error`, `invalid_outcome`.
    pub kind: &'static str,
}

/// Labels of records dropped by the pipeline itself.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DropLabels {
    /// Pipeline id.
    pub pipeline: String,
    /// `plugin` (a plugin dropped them), `no_dead_letter` (a failed or
    /// mis-routed batch with no dead-letter exporter configured).
    pub reason: &'static str,
}

/// Labels of a pipeline.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PipelineLabels {
    /// Pipeline id.
    pub pipeline: String,
}

/// Labels of a plugin reload.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReloadLabels {
    /// Processor id, e.g. `dir/10-filter`.
    pub plugin: String,
    /// `loaded` (a new or changed file now serves), `failed` (it did not
    /// load; the previous version, if any, still serves), `removed`.
    pub result: &'static str,
}

/// Labels of a Kafka receiver's topic.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KafkaTopicLabels {
    /// Receiver id.
    pub receiver: String,
    /// Topic.
    pub topic: String,
}

/// Labels of a Kafka receiver's partition.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KafkaPartitionLabels {
    /// Receiver id.
    pub receiver: String,
    /// Topic.
    pub topic: String,
    /// Partition number.
    pub partition: i32,
}

/// Labels of a Kafka receiver's group events.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KafkaEventLabels {
    /// Receiver id.
    pub receiver: String,
    /// For commits `ok` or `failed`; for rebalances `assign` or `revoke`.
    pub kind: &'static str,
}

/// Reads a gauge's current value when metrics are rendered.
type GaugeProbe = Box<dyn Fn() -> i64 + Send + Sync>;

/// The daemon's metrics.
pub struct Metrics {
    registry: Registry,
    /// Queue depths, read at render time so they are never stale.
    probes: std::sync::Mutex<Vec<(PipelineLabels, GaugeProbe)>>,
    /// Exporters' in-memory queue depths, likewise.
    exporter_probes: std::sync::Mutex<Vec<(QueueLabels, GaugeProbe)>>,
    /// Records accepted by receivers.
    pub received_records: Family<ReceiverLabels, Counter>,
    /// Requests refused by receivers.
    pub refused_requests: Family<RefusedLabels, Counter>,
    /// Records exporters delivered.
    pub exported_records: Family<ExporterLabels, Counter>,
    /// Records exporters failed to deliver.
    pub export_failed_records: Family<ExportFailureLabels, Counter>,
    /// Seconds per export attempt.
    pub export_seconds: Family<QueueLabels, Histogram>,
    /// Batches waiting in an exporter's in-memory queue.
    pub exporter_queue_size: Family<QueueLabels, Gauge>,
    /// Capacity of an exporter's in-memory queue, in batches.
    pub exporter_queue_capacity: Family<QueueLabels, Gauge>,
    /// Failed exports that will be tried again.
    pub export_retries: Family<ExporterLabels, Counter>,
    /// Records a durable queue refused because it was full.
    pub queue_refused_records: Family<ExporterLabels, Counter>,
    /// Records waiting in a durable queue.
    pub queue_records: Family<QueueLabels, Gauge>,
    /// Bytes of a durable queue's log on disk.
    pub queue_bytes: Family<QueueLabels, Gauge>,
    /// Records found undelivered in a durable queue at start (delivered
    /// then; some may have been delivered before the restart).
    pub queue_recovered_records: Family<QueueLabels, Counter>,
    /// Damaged stretches cut from a durable queue's log.
    pub queue_damaged: Family<QueueLabels, Counter>,
    /// Bytes discarded with them.
    pub queue_damaged_bytes: Family<QueueLabels, Counter>,
    /// Records plugins kept, per plugin.
    pub plugin_kept_records: Family<PluginLabels, Counter>,
    /// Records plugins sent to routes, per plugin.
    pub plugin_routed_records: Family<PluginLabels, Counter>,
    /// Records plugins dropped, per plugin.
    pub plugin_dropped_records: Family<PluginLabels, Counter>,
    /// Plugin failures, per plugin and kind.
    pub plugin_failures: Family<PluginFailureLabels, Counter>,
    /// Seconds spent in plugin calls.
    pub plugin_seconds: Family<PluginLabels, Counter<f64, std::sync::atomic::AtomicU64>>,
    /// Records the pipeline dropped itself.
    pub dropped_records: Family<DropLabels, Counter>,
    /// Batches waiting in a pipeline's queue.
    pub queue_batches: Family<PipelineLabels, Gauge>,
    /// Bytes a pipeline holds in its queues and workers (the count its
    /// `queue_size_mib` limits).
    pub pipeline_queue_bytes: Family<PipelineLabels, Gauge>,
    /// Plugin reloads, by plugin and result.
    pub plugin_reloads: Family<ReloadLabels, Counter>,
    /// Seconds from a plugin file's last write to its new version serving.
    pub plugin_reload_seconds: Histogram,
    /// Messages a Kafka receiver took from a topic.
    pub kafka_consumed_messages: Family<KafkaTopicLabels, Counter>,
    /// Messages a Kafka receiver sent to its dead-letter topic.
    pub kafka_dead_letter_messages: Family<KafkaTopicLabels, Counter>,
    /// Messages a Kafka receiver is exporting again after a failure.
    pub kafka_message_retries: Family<KafkaTopicLabels, Counter>,
    /// Messages behind the end of each partition (librdkafka's view).
    pub kafka_consumer_lag: Family<KafkaPartitionLabels, Gauge>,
    /// Offset commits, by result.
    pub kafka_commits: Family<KafkaEventLabels, Counter>,
    /// Partition rebalances, by kind.
    pub kafka_rebalances: Family<KafkaEventLabels, Counter>,
    /// 1 while a memory limiter refuses new data, else 0.
    pub memory_limiter_refusing: Family<ProcessorLabels, Gauge>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// A registry with every metric registered.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("weir");
        let m = Metrics {
            registry: Registry::default(),
            probes: Default::default(),
            exporter_probes: Default::default(),
            received_records: Family::default(),
            refused_requests: Family::default(),
            exported_records: Family::default(),
            export_failed_records: Family::default(),
            export_seconds: Family::new_with_constructor(|| {
                Histogram::new([
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
                ])
            }),
            exporter_queue_size: Family::default(),
            exporter_queue_capacity: Family::default(),
            export_retries: Family::default(),
            queue_refused_records: Family::default(),
            queue_records: Family::default(),
            queue_bytes: Family::default(),
            queue_recovered_records: Family::default(),
            queue_damaged: Family::default(),
            queue_damaged_bytes: Family::default(),
            plugin_kept_records: Family::default(),
            plugin_routed_records: Family::default(),
            plugin_dropped_records: Family::default(),
            plugin_failures: Family::default(),
            plugin_seconds: Family::default(),
            dropped_records: Family::default(),
            queue_batches: Family::default(),
            pipeline_queue_bytes: Family::default(),
            plugin_reloads: Family::default(),
            plugin_reload_seconds: Histogram::new([
                0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 2.0, 5.0, 10.0,
            ]),
            kafka_consumed_messages: Family::default(),
            kafka_dead_letter_messages: Family::default(),
            kafka_message_retries: Family::default(),
            kafka_consumer_lag: Family::default(),
            kafka_commits: Family::default(),
            kafka_rebalances: Family::default(),
            memory_limiter_refusing: Family::default(),
        };
        registry.register(
            "kafka_consumed_messages",
            "Messages Kafka receivers took from their topics",
            m.kafka_consumed_messages.clone(),
        );
        registry.register(
            "kafka_dead_letter_messages",
            "Undecodable messages Kafka receivers sent to their dead-letter topic",
            m.kafka_dead_letter_messages.clone(),
        );
        registry.register(
            "kafka_message_retries",
            "Messages Kafka receivers export again after a failed export",
            m.kafka_message_retries.clone(),
        );
        registry.register(
            "kafka_consumer_lag",
            "Messages between a Kafka receiver's position and the end of the partition",
            m.kafka_consumer_lag.clone(),
        );
        registry.register(
            "kafka_commits",
            "Offset commits of Kafka receivers, by result",
            m.kafka_commits.clone(),
        );
        registry.register(
            "kafka_rebalances",
            "Partition rebalances of Kafka receivers, by kind",
            m.kafka_rebalances.clone(),
        );
        registry.register(
            "memory_limiter_refusing",
            "1 while a memory_limiter processor refuses new data (resident memory above its soft limit)",
            m.memory_limiter_refusing.clone(),
        );
        registry.register(
            "receiver_accepted_records",
            "Records accepted by receivers",
            m.received_records.clone(),
        );
        registry.register(
            "receiver_refused_requests",
            "Requests refused by receivers, by reason",
            m.refused_requests.clone(),
        );
        registry.register(
            "exporter_sent_records",
            "Records exporters delivered",
            m.exported_records.clone(),
        );
        registry.register(
            "exporter_send_failed_records",
            "Records exporters could not deliver, by kind of failure",
            m.export_failed_records.clone(),
        );
        registry.register(
            "exporter_send_seconds",
            "Time per export attempt",
            m.export_seconds.clone(),
        );
        registry.register(
            "exporter_queue_size",
            "Batches waiting in an exporter's in-memory queue",
            m.exporter_queue_size.clone(),
        );
        registry.register(
            "exporter_queue_capacity",
            "Capacity of an exporter's in-memory queue, in batches",
            m.exporter_queue_capacity.clone(),
        );
        registry.register(
            "exporter_retries",
            "Failed exports that will be tried again",
            m.export_retries.clone(),
        );
        registry.register(
            "exporter_queue_refused_records",
            "Records a durable queue refused because it was full",
            m.queue_refused_records.clone(),
        );
        registry.register(
            "exporter_queue_records",
            "Records waiting in an exporter's durable queue",
            m.queue_records.clone(),
        );
        registry.register(
            "exporter_queue_bytes",
            "Bytes of an exporter's durable queue on disk",
            m.queue_bytes.clone(),
        );
        registry.register(
            "exporter_queue_recovered_records",
            "Records found undelivered in a durable queue at start",
            m.queue_recovered_records.clone(),
        );
        registry.register(
            "exporter_queue_damaged",
            "Damaged stretches cut from a durable queue's log",
            m.queue_damaged.clone(),
        );
        registry.register(
            "exporter_queue_damaged_bytes",
            "Bytes discarded from a durable queue's log as damaged",
            m.queue_damaged_bytes.clone(),
        );
        registry.register(
            "plugin_kept_records",
            "Records plugins passed on",
            m.plugin_kept_records.clone(),
        );
        registry.register(
            "plugin_routed_records",
            "Records plugins sent to named routes",
            m.plugin_routed_records.clone(),
        );
        registry.register(
            "plugin_dropped_records",
            "Records plugins dropped",
            m.plugin_dropped_records.clone(),
        );
        registry.register(
            "plugin_failures",
            "Plugin calls that failed, by kind",
            m.plugin_failures.clone(),
        );
        registry.register(
            "plugin_seconds",
            "Time spent in plugin calls",
            m.plugin_seconds.clone(),
        );
        registry.register(
            "pipeline_dropped_records",
            "Records the pipeline dropped, by reason",
            m.dropped_records.clone(),
        );
        registry.register(
            "pipeline_queue_batches",
            "Batches waiting in a pipeline's queue",
            m.queue_batches.clone(),
        );
        registry.register(
            "pipeline_queue_bytes",
            "Bytes of requests a pipeline holds, from its receivers until its exporters' queues take them",
            m.pipeline_queue_bytes.clone(),
        );
        registry.register(
            "plugin_reloads",
            "Plugin files loaded, failed or removed while running, by result",
            m.plugin_reloads.clone(),
        );
        registry.register(
            "plugin_reload_seconds",
            "Time from a plugin file's last write to its new version serving",
            m.plugin_reload_seconds.clone(),
        );
        Metrics { registry, ..m }
    }

    /// Reports `probe()` as pipeline `labels`' queue depth at each render.
    pub fn probe_queue(&self, labels: PipelineLabels, probe: GaugeProbe) {
        self.probes
            .lock()
            .expect("probes lock")
            .push((labels, probe));
    }

    /// Reports `probe()` as exporter `id`'s in-memory queue depth at each
    /// render, beside its capacity.
    pub fn probe_exporter_queue(&self, id: &str, capacity: usize, probe: GaugeProbe) {
        let labels = QueueLabels {
            exporter: id.to_string(),
        };
        self.exporter_queue_capacity
            .get_or_create(&labels)
            .set(capacity as i64);
        self.exporter_probes
            .lock()
            .expect("probes lock")
            .push((labels, probe));
    }

    /// Records whether memory limiter `id` is refusing data.
    pub fn memory_limiter_refusing(&self, id: &str, refusing: bool) {
        self.memory_limiter_refusing
            .get_or_create(&ProcessorLabels {
                processor: id.to_string(),
            })
            .set(i64::from(refusing));
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        for (labels, probe) in self.probes.lock().expect("probes lock").iter() {
            self.queue_batches.get_or_create(labels).set(probe());
        }
        for (labels, probe) in self.exporter_probes.lock().expect("probes lock").iter() {
            self.exporter_queue_size.get_or_create(labels).set(probe());
        }
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .expect("writing to a String cannot fail");
        text
    }
}
