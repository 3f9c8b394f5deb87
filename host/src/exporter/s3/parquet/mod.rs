//! Parquet objects: one flattened row per record, so DuckDB, Spark or
//! Athena query the archive without weir. The schema (one per signal) is
//! the user's reference, in the README; in short, every signal has
//!
//! | column | type |
//! |---|---|
//! | `service_name` | string: the resource's `service.name` |
//! | `resource_attributes` | map<string, string> |
//! | `scope_name`, `scope_version` | string |
//! | `attributes` | map<string, string>: the record's (span's, point's) |
//!
//! Attribute values that are not strings are written as text (`200`,
//! `true`, `1.5`; arrays, maps and bytes as their OTLP/JSON), so a map is
//! queried as `attributes['http.route']`. Logs add `time` and
//! `observed_time` (timestamp, ns, UTC), `severity_number`,
//! `severity_text`, `body` (a string body as is, others as OTLP/JSON),
//! `trace_id` and `span_id` (hex), `flags`, `event_name`. Traces add
//! `trace_id`, `span_id`, `parent_span_id`, `trace_state`, `name`,
//! `kind`, `start_time`, `end_time`, `duration_ns`, `status_code`,
//! `status_message`, `events` and `links` (OTLP/JSON arrays). Metrics (one
//! row per data point) add `time`, `start_time`, `metric_name`,
//! `metric_description`, `metric_unit`, `metric_type`, `value_double`,
//! `value_int`, `count`, `sum`, `is_monotonic`,
//! `aggregation_temporality`, and `point` (the whole point as OTLP/JSON).
//!
//! Rows are written as batches arrive, into row groups of the open object
//! (compressed by column chunk with the exporter's `compression`).
//! [`read`] turns logs and traces objects back into OTLP for `weir
//! replay`; attribute values come back as strings.

mod read;
mod rows;
#[cfg(test)]
mod tests;

pub use read::read;

use parquet::arrow::ArrowWriter;
use parquet::basic::{GzipLevel, ZstdLevel};
use parquet::file::properties::WriterProperties;

use super::config::Compression;
use crate::otlp::{Batch, Signal};

/// Rows per row group, at most.
const ROW_GROUP: usize = 64 * 1024;

/// A Parquet object being written.
pub struct ParquetWriter {
    signal: Signal,
    writer: Option<ArrowWriter<Vec<u8>>>,
    compression: Compression,
    failed: Option<String>,
}

impl ParquetWriter {
    /// A new, empty object of `signal`, its column chunks compressed with
    /// `compression`.
    pub fn new(signal: Signal, compression: Compression) -> ParquetWriter {
        ParquetWriter {
            signal,
            writer: None,
            compression,
            failed: None,
        }
    }

    /// Adds `batch`'s records as rows.
    pub fn append(&mut self, batch: &Batch) -> Result<(), String> {
        if let Some(failed) = &self.failed {
            return Err(failed.clone());
        }
        let rows = rows::rows(self.signal, batch).map_err(|e| e.to_string())?;
        if self.writer.is_none() {
            let codec = match self.compression {
                Compression::Zstd => parquet::basic::Compression::ZSTD(ZstdLevel::default()),
                Compression::Gzip => parquet::basic::Compression::GZIP(GzipLevel::default()),
                Compression::None => parquet::basic::Compression::UNCOMPRESSED,
            };
            let props = WriterProperties::builder()
                .set_compression(codec)
                .set_max_row_group_row_count(Some(ROW_GROUP))
                .build();
            self.writer = Some(
                ArrowWriter::try_new(Vec::new(), rows.schema(), Some(props))
                    .map_err(|e| e.to_string())?,
            );
        }
        let writer = self.writer.as_mut().expect("made above");
        writer.write(&rows).map_err(|e| {
            // A half-written row group cannot be taken back: the object
            // is unusable from here on.
            let e = e.to_string();
            self.failed = Some(e.clone());
            e
        })
    }

    /// The object's size so far: row groups written, plus the open one's
    /// estimated size.
    pub fn size(&self) -> usize {
        self.writer
            .as_ref()
            .map_or(0, |w| w.bytes_written() + w.in_progress_size())
    }

    /// The object's bytes.
    pub fn finish(self) -> Result<Vec<u8>, String> {
        if let Some(failed) = self.failed {
            return Err(failed);
        }
        match self.writer {
            Some(writer) => writer.into_inner().map_err(|e| e.to_string()),
            None => Err("an empty object".to_string()),
        }
    }
}
