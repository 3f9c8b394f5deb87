//! The body of an OTLP/HTTP export request: the batch encoded (protobuf
//! or OTLP/JSON), then compressed, with the `Content-Type` and
//! `Content-Encoding` that tell the server how to read it back. Pure
//! functions, so what goes on the wire is tested without a server.

use super::config::Encoding;
use crate::exporter::compression::{Compression, CompressionParams, compress};
use crate::otlp::Batch;

/// `Content-Type` of OTLP protobuf bodies.
pub(crate) const PROTOBUF: &str = "application/x-protobuf";
/// `Content-Type` of OTLP/JSON bodies.
pub(crate) const JSON: &str = "application/json";

/// A request body ready to send.
#[derive(Debug)]
pub(crate) struct Body {
    /// The bytes on the wire (for an uncompressed protobuf body, the
    /// batch's own bytes, not a copy).
    pub(crate) bytes: bytes::Bytes,
    /// `Content-Type`.
    pub(crate) content_type: &'static str,
    /// `Content-Encoding`, if compressed.
    pub(crate) content_encoding: Option<&'static str>,
}

/// Encodes and compresses `batch`.
pub(crate) fn build(
    batch: &Batch,
    encoding: Encoding,
    compression: Compression,
    params: CompressionParams,
) -> std::io::Result<Body> {
    let (encoded, content_type) = match encoding {
        Encoding::Proto => (batch.encode(), PROTOBUF),
        Encoding::Json => (
            serde_json::to_vec(&batch.to_json_value())
                .map_err(std::io::Error::other)?
                .into(),
            JSON,
        ),
    };
    let (bytes, content_encoding) = compress(encoded, compression, params)?;
    Ok(Body {
        bytes,
        content_type,
        content_encoding,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::otlp::common::{AnyValue, KeyValue, any_value};
    use crate::otlp::logs::{LogRecord, ResourceLogs, ScopeLogs};
    use crate::otlp::{ExportLogsServiceRequest, Signal};

    /// A logs batch of `n` records, `record 0` … `record n-1`, each with an
    /// attribute, so that encodings have something to get wrong.
    pub(crate) fn logs(n: usize) -> Batch {
        let string = |s: String| AnyValue {
            value: Some(any_value::Value::StringValue(s)),
        };
        ExportLogsServiceRequest {
            resource_logs: vec![ResourceLogs {
                scope_logs: vec![ScopeLogs {
                    log_records: (0..n)
                        .map(|i| LogRecord {
                            time_unix_nano: 1_700_000_000_000_000_000 + i as u64,
                            severity_number: 9,
                            body: Some(string(format!("record {i}"))),
                            attributes: vec![KeyValue {
                                key: "i".into(),
                                value: Some(AnyValue {
                                    value: Some(any_value::Value::IntValue(i as i64)),
                                }),
                                ..Default::default()
                            }],
                            ..Default::default()
                        })
                        .collect(),
                    ..Default::default()
                }],
                ..Default::default()
            }],
        }
        .into()
    }

    /// What a server does with a body: decompress by `Content-Encoding`,
    /// decode by `Content-Type`.
    pub(crate) fn read_back(
        signal: Signal,
        bytes: &[u8],
        content_type: &str,
        content_encoding: Option<&str>,
    ) -> Batch {
        // As weir's receivers read a body.
        let plain = crate::receiver::otlp::body::decompress(
            content_encoding,
            bytes::Bytes::copy_from_slice(bytes),
            64 << 20,
        )
        .expect("a body weir's receivers read");
        match content_type {
            PROTOBUF => Batch::decode(signal, &plain).expect("valid OTLP protobuf"),
            JSON => Batch::from_json_as(signal, std::str::from_utf8(&plain).expect("UTF-8"))
                .expect("valid OTLP/JSON"),
            other => panic!("unexpected Content-Type {other}"),
        }
    }

    #[test]
    fn every_encoding_and_compression_round_trips() {
        let batch = logs(50);
        for encoding in [Encoding::Proto, Encoding::Json] {
            for compression in [Compression::None, Compression::Gzip, Compression::Zstd] {
                let body = build(&batch, encoding, compression, Default::default()).unwrap();
                let back = read_back(
                    Signal::Logs,
                    &body.bytes,
                    body.content_type,
                    body.content_encoding,
                );
                assert_eq!(back, batch, "{encoding:?} + {compression:?}");
            }
        }
    }

    #[test]
    fn headers_say_what_the_body_is() {
        let batch = logs(3);
        let body = build(
            &batch,
            Encoding::Proto,
            Compression::None,
            Default::default(),
        )
        .unwrap();
        assert_eq!(body.content_type, "application/x-protobuf");
        assert_eq!(body.content_encoding, None);
        assert_eq!(
            body.bytes,
            batch.encode(),
            "uncompressed protobuf is the request itself"
        );

        let body = build(
            &batch,
            Encoding::Json,
            Compression::Gzip,
            Default::default(),
        )
        .unwrap();
        assert_eq!(body.content_type, "application/json");
        assert_eq!(body.content_encoding, Some("gzip"));
        assert_eq!(&body.bytes[..2], [0x1f, 0x8b], "gzip magic");

        let body = build(
            &batch,
            Encoding::Proto,
            Compression::Zstd,
            Default::default(),
        )
        .unwrap();
        assert_eq!(body.content_encoding, Some("zstd"));
        assert_eq!(&body.bytes[..4], [0x28, 0xb5, 0x2f, 0xfd], "zstd magic");
    }

    #[test]
    fn json_bodies_are_otlp_json() {
        let body = build(
            &logs(1),
            Encoding::Json,
            Compression::None,
            Default::default(),
        )
        .unwrap();
        let text = String::from_utf8(body.bytes.to_vec()).unwrap();
        assert!(text.starts_with(r#"{"resourceLogs":"#), "{text}");
        assert!(text.contains(r#""stringValue":"record 0""#), "{text}");
    }
}
