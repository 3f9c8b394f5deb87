//! The queue in front of each exporter: in memory (a bounded channel the
//! exporter's thread takes batches from), or durable (a bounded log on
//! disk that acknowledges batches once written and delivers them with
//! retries). See `config::SendingQueue` for what each promises.

mod attempt;
mod backoff;
mod durable;
mod frame;
mod log;
mod memory;
mod retry;

pub(super) use attempt::{ExportMetrics, settle_failure};
pub(super) use backoff::Backoff;
pub(super) use durable::start as start_durable;
pub(super) use memory::start as start_memory;
pub(super) use retry::retry_blocking;
