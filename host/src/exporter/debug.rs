//! The `debug` exporter: one log line per batch (and each record with
//! `verbosity: detailed`), like the Collector's debug exporter.

use crate::config::Verbosity;
use crate::otlp::Batch;

pub(crate) struct DebugSink {
    id: String,
    verbosity: Verbosity,
}

impl DebugSink {
    pub(crate) fn new(id: &str, verbosity: Verbosity) -> DebugSink {
        DebugSink {
            id: id.to_string(),
            verbosity,
        }
    }

    pub(crate) fn export(&mut self, batch: &Batch) {
        tracing::info!(exporter = %self.id, signal = %batch.signal(), records = batch.len(), "batch");
        if self.verbosity == Verbosity::Detailed {
            tracing::info!(exporter = %self.id, "{}", batch.to_json_value());
        }
    }
}
