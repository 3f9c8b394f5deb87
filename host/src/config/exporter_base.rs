//! Settings every exporter takes, with the keys of the Collector's
//! exporterhelper: `sending_queue` (in memory, or durable on disk through
//! a `file_storage` extension) and `retry_on_failure`. They are read
//! before the exporter's own settings, so each exporter type documents
//! only what is its own.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

/// The keys every exporter takes.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ExporterBase {
    /// The queue in front of the exporter.
    pub sending_queue: SendingQueue,
    /// How failed exports are retried.
    pub retry_on_failure: RetryOnFailure,
}

/// An exporter's queue.
///
/// In memory (the default), a request is answered once the exporter has
/// written its records; a failure that retrying could fix is retried
/// (`retry_on_failure`) meanwhile, and one that outlasts it is answered
/// "retry later" so the sender retries.
///
/// Durable (`storage: file_storage`), a request is answered once its
/// records are written and fsynced to a bounded log on disk; the exporter
/// delivers from there, retrying with backoff while the destination is
/// down, and removes records only once it accepted them. A restart, or a
/// crash, replays what was not yet delivered: records may arrive twice,
/// never not at all. When the log is full, requests are answered "retry
/// later" (HTTP 503, gRPC `UNAVAILABLE`).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SendingQueue {
    /// Accepted for Collector compatibility; the queue cannot be turned
    /// off. Default true.
    pub enabled: bool,
    /// Batches that may wait in memory for the exporter (or for the
    /// durable log's writer). When full, the pipeline waits, its queue
    /// fills, and receivers answer "retry later". Default 64.
    pub queue_size: usize,
    /// Exports in flight at once, each on a thread of its own, for
    /// network exporters with the in-memory queue. Local exporters
    /// (`file`, `debug`, `null`) and durable queues, which deliver in
    /// order, use one. Default 10, as the Collector's.
    pub num_consumers: usize,
    /// The id of a `file_storage` extension: makes the queue durable.
    /// Default none (in memory).
    pub storage: Option<String>,
    /// Upper bound on the durable log's size on disk, in MiB. Default 1024.
    pub max_size_mib: u64,
}

impl Default for SendingQueue {
    fn default() -> Self {
        SendingQueue {
            enabled: true,
            queue_size: 64,
            num_consumers: 10,
            storage: None,
            max_size_mib: 1024,
        }
    }
}

/// Retries of a failed export, with exponential backoff. The OTLP
/// specification's retryable failures (429, 502, 503, 504,
/// `UNAVAILABLE`, a connection refused or timed out) are retried;
/// anything else is given up at once, logged and counted.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RetryOnFailure {
    /// Retry at all. Default true.
    pub enabled: bool,
    /// The first wait. Default `5s`.
    #[serde(with = "humantime_serde")]
    pub initial_interval: Duration,
    /// Each wait is randomised by ± this fraction. Default 0.5.
    pub randomization_factor: f64,
    /// Each wait is this many times the last. Default 1.5.
    pub multiplier: f64,
    /// The longest wait. Default `30s`.
    #[serde(with = "humantime_serde")]
    pub max_interval: Duration,
    /// Give a batch up after retrying it this long; `0` retries for ever.
    /// Default `300s` with the in-memory queue, as the Collector's; `0`
    /// with a durable queue, which is bounded by its size: giving up on a
    /// batch after a time would lose it in exactly the long outage the
    /// queue is for.
    #[serde(with = "humantime_serde::option")]
    pub max_elapsed_time: Option<Duration>,
}

impl Default for RetryOnFailure {
    fn default() -> Self {
        RetryOnFailure {
            enabled: true,
            initial_interval: Duration::from_secs(5),
            randomization_factor: 0.5,
            multiplier: 1.5,
            max_interval: Duration::from_secs(30),
            max_elapsed_time: None,
        }
    }
}

/// Extension `file_storage`: where durable queues keep their logs, as the
/// Collector's extension of that name. Each exporter that names it gets a
/// directory of its own inside.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct FileStorage {
    /// The directory. Default `./queue` (relative to the working
    /// directory).
    pub directory: PathBuf,
    /// fsync each group of batches before acknowledging them. Default
    /// true: a `200` then survives a power cut, not only a crash of weir.
    /// (The Collector's `file_storage` defaults to false.)
    pub fsync: bool,
}

impl Default for FileStorage {
    fn default() -> Self {
        FileStorage {
            directory: PathBuf::from("./queue"),
            fsync: true,
        }
    }
}
