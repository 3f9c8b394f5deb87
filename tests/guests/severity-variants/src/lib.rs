//! `severity-variants`: one severity filter written several ways, chosen
//! by `strategy` in the config (`{"min_severity": 13, "strategy": "column"}`),
//! so the benchmark can compare how a plugin may read a batch across the
//! boundary:
//!
//! - `per-record`: one `severity-number` host call per record;
//! - `column`: one `severity-numbers` call for the whole batch;
//! - `otlp-bytes`: one `to-otlp` call, then a full decode into
//!   `opentelemetry-proto`'s types inside the guest — what a plugin that
//!   takes the batch as bytes really pays;
//! - `otlp-bytes-minimal`: one `to-otlp` call, then a decode of only the
//!   path to `severity_number` (prost skips the other fields) — the lower
//!   bound for any bytes-based plugin.
//!
//! Every strategy keeps records at or above `min_severity` and those with
//! no severity (0), and answers through `keep_where`, so all of them return
//! the same outcome and differ only in how they read.

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use prost::Message;
use weir_guest::{Batch, Config, Info, Outcome, Plugin, Signal};

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    min_severity: u8,
    strategy: Strategy,
}

#[derive(serde::Deserialize, Clone, Copy)]
#[serde(rename_all = "kebab-case")]
enum Strategy {
    PerRecord,
    Column,
    OtlpBytes,
    OtlpBytesMinimal,
}

/// The parts of `ExportLogsServiceRequest` on the way to `severity_number`,
/// with OTLP's field numbers.
mod minimal {
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ExportLogsServiceRequest {
        #[prost(message, repeated, tag = "1")]
        pub resource_logs: Vec<ResourceLogs>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ResourceLogs {
        #[prost(message, repeated, tag = "2")]
        pub scope_logs: Vec<ScopeLogs>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ScopeLogs {
        #[prost(message, repeated, tag = "2")]
        pub log_records: Vec<LogRecord>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct LogRecord {
        #[prost(int32, tag = "2")]
        pub severity_number: i32,
    }
}

fn clamp(severity: i32) -> u8 {
    severity.clamp(0, 255) as u8
}

struct Variants {
    min: u8,
    strategy: Strategy,
}

impl Variants {
    fn severities(&self, batch: &Batch) -> Result<Vec<u8>, String> {
        Ok(match self.strategy {
            Strategy::PerRecord => (0..batch.len()).map(|i| batch.severity_number(i)).collect(),
            Strategy::Column => batch.severity_numbers(),
            Strategy::OtlpBytes => {
                let request = ExportLogsServiceRequest::decode(batch.to_otlp().as_slice())
                    .map_err(|e| e.to_string())?;
                request
                    .resource_logs
                    .iter()
                    .flat_map(|rl| &rl.scope_logs)
                    .flat_map(|sl| &sl.log_records)
                    .map(|r| clamp(r.severity_number))
                    .collect()
            }
            Strategy::OtlpBytesMinimal => {
                let request = minimal::ExportLogsServiceRequest::decode(batch.to_otlp().as_slice())
                    .map_err(|e| e.to_string())?;
                request
                    .resource_logs
                    .iter()
                    .flat_map(|rl| &rl.scope_logs)
                    .flat_map(|sl| &sl.log_records)
                    .map(|r| clamp(r.severity_number))
                    .collect()
            }
        })
    }
}

impl Plugin for Variants {
    fn info() -> Info {
        Info::new(
            "severity-variants",
            "A severity filter written several ways; for benchmarks",
        )
        .signals(&[Signal::Logs])
    }

    fn init(config: Config) -> Result<Self, String> {
        let settings: Settings = config.parse()?;
        Ok(Variants {
            min: settings.min_severity,
            strategy: settings.strategy,
        })
    }

    fn process(&self, batch: &Batch) -> Result<Outcome, String> {
        let severities = self.severities(batch)?;
        Ok(Outcome::keep_where(
            severities.iter().map(|&s| s == 0 || s >= self.min),
        ))
    }
}

weir_guest::export_plugin!(Variants);
