//! librdkafka's log lines in weir's log. The `rdkafka` crate logs through
//! the `log` facade by default, which weir's `tracing` subscriber does
//! not collect; this context forwards each line as a `tracing` event
//! tagged with the component it belongs to.

use rdkafka::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::ConsumerContext;

/// A client context that logs through `tracing`, naming its component.
#[derive(Clone, Debug)]
pub struct LoggingContext {
    /// The component id, e.g. `kafka/edge`.
    pub component: String,
}

impl ClientContext for LoggingContext {
    fn log(&self, level: RDKafkaLogLevel, facility: &str, message: &str) {
        let component = self.component.as_str();
        match level {
            RDKafkaLogLevel::Emerg
            | RDKafkaLogLevel::Alert
            | RDKafkaLogLevel::Critical
            | RDKafkaLogLevel::Error => {
                tracing::error!(component, facility, "librdkafka: {message}")
            }
            RDKafkaLogLevel::Warning => {
                tracing::warn!(component, facility, "librdkafka: {message}")
            }
            RDKafkaLogLevel::Notice | RDKafkaLogLevel::Info => {
                tracing::info!(component, facility, "librdkafka: {message}")
            }
            RDKafkaLogLevel::Debug => tracing::debug!(component, facility, "librdkafka: {message}"),
        }
    }

    fn error(&self, error: rdkafka::error::KafkaError, reason: &str) {
        tracing::warn!(component = %self.component, %error, "Kafka client: {reason}");
    }
}

impl ConsumerContext for LoggingContext {}
