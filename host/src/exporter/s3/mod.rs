//! The `s3` exporter: the cold archive. Batches are gathered into objects
//! ([`encode`], [`parquet`]), one open object per signal, laid out under
//! keys the Collector's `awss3exporter` would use ([`key`]), and uploaded
//! with aws-sdk-s3 ([`client`]) once an object is large or old enough
//! ([`roll`]). [`decode`] reads objects back, for `weir replay`.
//!
//! **Acknowledgements.** Everywhere else in weir, an exporter's queue takes
//! one job (a batch and the [`Ack`](crate::ack::Ack)s of the requests it
//! came from), exports it, and drops it: the acknowledgement settles when
//! the batch is at its destination. An archive cannot work that way
//! without writing one tiny object per batch. So this exporter has a queue
//! runner of its own ([`roll`]) in place of the in-memory queue's
//! consumers: it writes each job's records into the open object of its
//! signal and keeps the job's acknowledgements — only those, not the batch,
//! whose records the object now holds compressed — beside the object. When
//! the object is closed (by `rollover.max_size_mib` or `rollover.max_age`,
//! or at shutdown) it is uploaded, retried with `retry_on_failure`'s
//! backoff while the store is down or refusing, and only then are the
//! held acknowledgements dropped, which settles them as delivered. If the
//! upload is given up, every batch in the object fails back to its senders
//! (retryable, or permanent for a refusal of the object itself). So a
//! crash before an upload loses nothing acknowledged: the OTLP sender has
//! no `200` and retries, the Kafka receiver has not committed the offsets
//! and the next consumer reads them again. Records may be archived twice,
//! never not at all.
//!
//! What this asks of what feeds the exporter: acknowledgements stay
//! outstanding for up to `rollover.max_age`. A Kafka receiver must allow
//! enough of them (`max_in_flight_messages` × message size above
//! `max_size_mib`, or objects are closed by age with the consumer idle
//! meanwhile); an OTLP sender waits at most 30 s, so a pipeline fed by an
//! OTLP receiver must roll in less (the configuration refuses a longer
//! `max_age` there). A durable `sending_queue` is refused: it would
//! acknowledge on its own disk write, which is the other answer to the
//! same problem, not yet offered for this exporter.

mod client;
mod config;
mod decode;
mod encode;
mod key;
mod parquet;
mod roll;

pub use client::{Listed, S3Client};
pub use config::{ChecksumWhen, Compression, Marshaler, Rollover, S3Exporter, S3Uploader};
pub use decode::{DecodeError, read_object};
pub use key::{Civil, check_format, extension, format_of, partition};
pub(super) use roll::start;
