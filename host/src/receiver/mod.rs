//! Receivers: where data enters weir. A receiver type is a folder holding
//! its settings (`config.rs`, re-exported from [`crate::config`]) and a
//! `start` that binds its listeners and spawns its servers from those
//! settings, the pipelines it feeds, the metrics and a shutdown token.
//! [`start`] is the registry the daemon calls for each configured
//! receiver; adding a receiver type is a folder and a line there.
//!
//! However a request arrives, once decoded it goes through the receiver's
//! [`Intake`]: the pipelines of its signal get it, the sender is answered
//! once the exporters have it, and a refusal is counted with one set of
//! reasons ([`RefusalKind`]) that each transport maps to its own status.

mod intake;
pub(crate) mod kafka;
pub(crate) mod otlp;
mod submit;
pub mod tls;

use std::sync::Arc;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::Receiver;
use crate::telemetry::metrics::Metrics;

pub use intake::{Intake, Refusal, RefusalKind, SignalInputs};
pub use kafka::KafkaReceiver;
pub use otlp::OtlpReceiver;
pub(crate) use submit::{SubmitError, submit};

/// A running server of a receiver: resolves once it has stopped, after
/// the shutdown token was cancelled and its in-flight requests finished.
pub type Server = JoinHandle<anyhow::Result<()>>;

/// Starts receiver `id`, feeding `inputs`: binds its listeners or joins
/// its consumer group (an error names the setting, e.g.
/// `receivers.otlp.protocols.grpc: cannot listen on 0.0.0.0:4317`) and
/// spawns its servers, which stop taking data when `shutdown` is
/// cancelled. One arm per receiver type.
pub async fn start(
    id: &str,
    settings: &Receiver,
    inputs: SignalInputs,
    metrics: Arc<Metrics>,
    shutdown: CancellationToken,
) -> anyhow::Result<Vec<Server>> {
    match settings {
        Receiver::Otlp(settings) => otlp::start(id, settings, inputs, metrics, shutdown).await,
        Receiver::Kafka(settings) => kafka::start(id, settings, inputs, metrics, shutdown).await,
    }
}
