//! Encoding an object: batches appended one by one to an object of one
//! signal, compressed as they come, so an open object holds its
//! compressed bytes (what its size is measured on) rather than its
//! batches.
//!
//! An `otlp_proto` object is the batches' protobuf bytes one after the
//! other: protobuf concatenates repeated fields when messages are joined,
//! so the whole decodes as one export request holding every batch's
//! resources, the object the Collector writes. An `otlp_json` object is one
//! OTLP/JSON request whose `resourceLogs` (or `resourceMetrics`,
//! `resourceSpans`) array is every batch's array in turn.

use std::io::Write;

use super::config::{Compression, Marshaler};
use crate::otlp::{Batch, Signal};

/// An object being written.
pub struct ObjectWriter {
    signal: Signal,
    marshaler: Marshaler,
    out: Out,
    /// Whether a JSON resource was written already (a comma goes before
    /// the next).
    json_started: bool,
}

enum Out {
    Plain(Vec<u8>),
    Gzip(flate2::write::GzEncoder<Vec<u8>>),
    Zstd(zstd::stream::write::Encoder<'static, Vec<u8>>),
}

impl Out {
    fn new(compression: Compression) -> Out {
        let buf = Vec::with_capacity(1 << 16);
        match compression {
            Compression::None => Out::Plain(buf),
            Compression::Gzip => Out::Gzip(flate2::write::GzEncoder::new(
                buf,
                flate2::Compression::default(),
            )),
            // Level 3 (zstd's default): near gzip's ratio at several
            // times its speed.
            Compression::Zstd => {
                Out::Zstd(zstd::stream::write::Encoder::new(buf, 3).expect("zstd level 3 is valid"))
            }
        }
    }

    fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match self {
            Out::Plain(v) => v.write_all(bytes),
            Out::Gzip(e) => e.write_all(bytes),
            Out::Zstd(e) => e.write_all(bytes),
        }
    }

    fn len(&self) -> usize {
        match self {
            Out::Plain(v) => v.len(),
            Out::Gzip(e) => e.get_ref().len(),
            Out::Zstd(e) => e.get_ref().len(),
        }
    }

    fn finish(self) -> std::io::Result<Vec<u8>> {
        match self {
            Out::Plain(v) => Ok(v),
            Out::Gzip(e) => e.finish(),
            Out::Zstd(e) => e.finish(),
        }
    }
}

/// The top-level key of an OTLP/JSON request of `signal`.
pub fn json_key(signal: Signal) -> &'static str {
    match signal {
        Signal::Logs => "resourceLogs",
        Signal::Metrics => "resourceMetrics",
        Signal::Traces => "resourceSpans",
    }
}

impl ObjectWriter {
    /// A new, empty object. Parquet objects are written by
    /// [`parquet`](super::parquet), not here.
    pub fn new(signal: Signal, marshaler: Marshaler, compression: Compression) -> ObjectWriter {
        let mut out = Out::new(compression);
        if marshaler == Marshaler::OtlpJson {
            // Writing to memory cannot fail.
            let _ = out.write(format!("{{\"{}\":[", json_key(signal)).as_bytes());
        }
        ObjectWriter {
            signal,
            marshaler,
            out,
            json_started: false,
        }
    }

    /// Adds `batch`'s records to the object.
    pub fn append(&mut self, batch: &Batch) -> std::io::Result<()> {
        debug_assert_eq!(batch.signal(), self.signal);
        match self.marshaler {
            Marshaler::OtlpProto => self.out.write(&batch.encode())?,
            Marshaler::OtlpJson => {
                let value = batch.to_json_value();
                let resources = value
                    .get(json_key(self.signal))
                    .and_then(|v| v.as_array())
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                for resource in resources {
                    if self.json_started {
                        self.out.write(b",")?;
                    }
                    self.json_started = true;
                    let text = serde_json::to_vec(resource).map_err(std::io::Error::other)?;
                    self.out.write(&text)?;
                }
            }
            Marshaler::Parquet => unreachable!("parquet objects are written by s3::parquet"),
        }
        Ok(())
    }

    /// Bytes written so far, compressed (the compressor may hold a little
    /// more that is not counted yet).
    pub fn size(&self) -> usize {
        self.out.len()
    }

    /// The object's bytes, as uploaded.
    pub fn finish(mut self) -> std::io::Result<Vec<u8>> {
        if self.marshaler == Marshaler::OtlpJson {
            self.out.write(b"]}")?;
        }
        self.out.finish()
    }
}
