//! Reading an archived object back into batches: what `weir replay` does
//! with each object it downloads, for objects weir wrote and for those of
//! the Collector's `awss3exporter` (one OTLP request per object, `otlp_json`
//! or `otlp_proto`, optionally gzip). The format comes from the key's
//! extensions; a malformed object is an error naming what is wrong with
//! it, never a panic or a partial read passed on as whole.

use std::io::Read;

use bytes::Bytes;

use super::config::{Compression, Marshaler};
use super::key;
use crate::otlp::{Batch, Signal};

/// The most an object may hold once decompressed: more is refused as a
/// likely decompression bomb (a 10 MiB zstd object of telemetry is some
/// 100 MiB).
pub const MAX_DECOMPRESSED: u64 = 2 << 30;

/// Why an object could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The key's extension is not one weir reads.
    #[error(
        "unknown object format (known extensions: .binpb, .json, .parquet, \
         optionally followed by .gz or .zst)"
    )]
    UnknownFormat,
    /// Decompression failed: not gzip / zstd, or cut short.
    #[error("cannot decompress ({compression}): {source}")]
    Decompress {
        /// The compression the name promised.
        compression: &'static str,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The object inflates past [`MAX_DECOMPRESSED`].
    #[error("decompresses to more than {} MiB; refused", .limit >> 20)]
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// The bytes are not a valid OTLP request of the signal.
    #[error("{0}")]
    Otlp(#[from] crate::otlp::Error),
    /// The object is not valid UTF-8 JSON.
    #[error("not UTF-8 text: {0}")]
    Utf8(#[from] std::str::Utf8Error),
    /// A Parquet object weir cannot read.
    #[error("parquet: {0}")]
    Parquet(String),
}

/// The batch `bytes` (the object named `key`) holds, of `signal`.
pub fn read_object(signal: Signal, key: &str, bytes: Bytes) -> Result<Batch, DecodeError> {
    let (marshaler, compression) = key::format_of(key).ok_or(DecodeError::UnknownFormat)?;
    if marshaler == Marshaler::Parquet {
        return super::parquet::read(signal, bytes).map_err(DecodeError::Parquet);
    }
    let raw = decompress(compression, bytes, MAX_DECOMPRESSED)?;
    Ok(match marshaler {
        Marshaler::OtlpProto => Batch::from_bytes(signal, raw)?,
        Marshaler::OtlpJson => Batch::from_json_as(signal, std::str::from_utf8(&raw)?)?,
        Marshaler::Parquet => unreachable!("read above"),
    })
}

/// `bytes` decompressed, refused if they inflate past `limit` bytes.
fn decompress(compression: Compression, bytes: Bytes, limit: u64) -> Result<Bytes, DecodeError> {
    let (name, reader): (&'static str, Box<dyn Read + '_>) = match compression {
        Compression::None => return Ok(bytes),
        Compression::Gzip => (
            "gzip",
            // A multi-member reader: `cat a.gz b.gz` is valid gzip too.
            Box::new(flate2::read::MultiGzDecoder::new(&bytes[..])),
        ),
        Compression::Zstd => (
            "zstd",
            Box::new(
                zstd::stream::read::Decoder::new(&bytes[..]).map_err(|source| {
                    DecodeError::Decompress {
                        compression: "zstd",
                        source,
                    }
                })?,
            ),
        ),
    };
    let mut out = Vec::with_capacity(bytes.len() * 8);
    reader
        .take(limit + 1)
        .read_to_end(&mut out)
        .map_err(|source| DecodeError::Decompress {
            compression: name,
            source,
        })?;
    if out.len() as u64 > limit {
        return Err(DecodeError::TooLarge { limit });
    }
    Ok(out.into())
}

#[cfg(test)]
mod tests {
    use super::super::encode::ObjectWriter;
    use super::*;
    use crate::otlp::ExportLogsServiceRequest;
    use crate::otlp::common::{AnyValue, KeyValue, any_value};
    use crate::otlp::logs::{LogRecord, ResourceLogs, ScopeLogs};

    fn logs(first: usize, n: usize) -> Batch {
        let records = (first..first + n)
            .map(|i| LogRecord {
                time_unix_nano: 1_700_000_000_000_000_000 + i as u64,
                severity_number: 9,
                body: Some(AnyValue {
                    value: Some(any_value::Value::StringValue(format!("record {i}"))),
                }),
                attributes: vec![KeyValue {
                    key: "n".into(),
                    value: Some(AnyValue {
                        value: Some(any_value::Value::IntValue(i as i64)),
                    }),
                    ..Default::default()
                }],
                ..Default::default()
            })
            .collect();
        ExportLogsServiceRequest {
            resource_logs: vec![ResourceLogs {
                scope_logs: vec![ScopeLogs {
                    log_records: records,
                    ..Default::default()
                }],
                ..Default::default()
            }],
        }
        .into()
    }

    /// Every format and compression: three batches written into one
    /// object read back as one request holding them all, in order.
    #[test]
    fn objects_read_back_as_the_batches_written() {
        let batches = [logs(0, 3), logs(3, 1), logs(4, 5)];
        let mut expected: Batch = ExportLogsServiceRequest::default().into();
        for b in &batches {
            let Payload::Logs(req) = b.payload() else {
                unreachable!()
            };
            let Payload::Logs(all) = expected.payload_mut() else {
                unreachable!()
            };
            all.resource_logs.extend(req.resource_logs.clone());
        }
        for marshaler in [Marshaler::OtlpProto, Marshaler::OtlpJson] {
            for compression in [Compression::None, Compression::Gzip, Compression::Zstd] {
                let mut writer = ObjectWriter::new(Signal::Logs, marshaler, compression);
                for b in &batches {
                    writer.append(b).unwrap();
                }
                let bytes = writer.finish().unwrap();
                let key = format!("x/logs_a.{}", key::extension(marshaler, compression));
                let back = read_object(Signal::Logs, &key, bytes.into()).unwrap();
                assert_eq!(back.payload(), expected.payload(), "{key}");
            }
        }
    }

    use crate::otlp::Payload;

    #[test]
    fn malformed_objects_are_refused_with_the_reason() {
        let err = |key: &str, bytes: &'static [u8]| {
            read_object(Signal::Logs, key, Bytes::from_static(bytes))
                .unwrap_err()
                .to_string()
        };
        assert!(err("a/logs_x.binpb.gz", b"not gzip").starts_with("cannot decompress (gzip)"));
        assert!(err("a/logs_x.json.zst", b"not zstd").starts_with("cannot decompress (zstd)"));
        assert!(err("a/logs_x.json", b"{\"resourceLogs\":[").contains("malformed OTLP/JSON logs"));
        assert!(err("a/logs_x.binpb", b"\x0a\x05ab").contains("malformed OTLP protobuf logs"));
        assert!(err("a/logs_x.csv", b"").starts_with("unknown object format"));
    }

    #[test]
    fn a_decompression_bomb_is_refused() {
        // 4 MiB of zeros against a 1 MiB limit (the real one, 2 GiB, is
        // too much memory for a unit test); both compressions.
        let zeros = vec![0u8; 4 << 20];
        let zstd = zstd::encode_all(&zeros[..], 1).unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &zeros).unwrap();
        let gzip = gz.finish().unwrap();
        for (compression, bomb) in [(Compression::Zstd, zstd), (Compression::Gzip, gzip)] {
            assert!(bomb.len() < 64 << 10);
            let error = decompress(compression, bomb.into(), 1 << 20).unwrap_err();
            assert_eq!(
                error.to_string(),
                "decompresses to more than 1 MiB; refused"
            );
        }
    }
}
