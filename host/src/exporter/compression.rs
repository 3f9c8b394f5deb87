//! The `compression` key of the exporters that speak OTLP (over gRPC and
//! over HTTP) and of VictoriaLogs: `gzip` (the default, as the
//! Collector's), `zstd` or `none`, and the compressing of an HTTP body.
//! One type, so that the same word means the same thing in every
//! exporter and a new algorithm is added once. (The InfluxDB and
//! VictoriaMetrics exporters take only `gzip` or `none`, with types of
//! their own, so that anything else is refused when the file is read.)

use std::io::Write;

use bytes::Bytes;
use serde::Deserialize;

/// How what an exporter sends is compressed.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Compression {
    /// gzip (`Content-Encoding` or `grpc-encoding: gzip`).
    #[default]
    Gzip,
    /// Zstandard (`zstd`).
    Zstd,
    /// Uncompressed.
    None,
}

/// Compresses an HTTP request body; returns it with the
/// `Content-Encoding` to send (none when `compression` is `none`, in
/// which case `bytes` come back as they are, not copied).
pub(crate) fn compress(
    bytes: Bytes,
    compression: Compression,
) -> std::io::Result<(Bytes, Option<&'static str>)> {
    match compression {
        Compression::None => Ok((bytes, None)),
        Compression::Gzip => {
            let out = Vec::with_capacity(bytes.len() / 4);
            let mut gz = flate2::write::GzEncoder::new(out, flate2::Compression::default());
            gz.write_all(&bytes)?;
            Ok((gz.finish()?.into(), Some("gzip")))
        }
        Compression::Zstd => Ok((
            zstd::bulk::compress(&bytes, zstd::DEFAULT_COMPRESSION_LEVEL)?.into(),
            Some("zstd"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn decompress(bytes: &[u8], encoding: Option<&str>) -> Vec<u8> {
        match encoding {
            None => bytes.to_vec(),
            Some("gzip") => {
                let mut out = Vec::new();
                flate2::read::GzDecoder::new(bytes)
                    .read_to_end(&mut out)
                    .unwrap();
                out
            }
            Some("zstd") => zstd::decode_all(bytes).unwrap(),
            Some(other) => panic!("unexpected encoding {other}"),
        }
    }

    #[test]
    fn each_compression_round_trips_and_names_its_encoding() {
        let body = Bytes::from("weir ".repeat(1000));
        for (compression, encoding) in [
            (Compression::Gzip, Some("gzip")),
            (Compression::Zstd, Some("zstd")),
            (Compression::None, None),
        ] {
            let (sent, named) = compress(body.clone(), compression).unwrap();
            assert_eq!(named, encoding, "{compression:?}");
            assert_eq!(decompress(&sent, named), body, "{compression:?}");
            if compression != Compression::None {
                assert!(sent.len() < body.len() / 10, "{compression:?} compresses");
            }
        }
    }

    #[test]
    fn uncompressed_bodies_are_not_copied() {
        let body = Bytes::from(vec![7u8; 64]);
        let (sent, _) = compress(body.clone(), Compression::None).unwrap();
        assert_eq!(sent.as_ptr(), body.as_ptr());
    }

    #[test]
    fn the_setting_reads_as_the_collector_writes_it() {
        for (text, want) in [
            ("gzip", Compression::Gzip),
            ("zstd", Compression::Zstd),
            ("none", Compression::None),
        ] {
            let got: Compression = serde_norway::from_str(text).unwrap();
            assert_eq!(got, want);
        }
        let err = serde_norway::from_str::<Compression>("snappy").unwrap_err();
        assert!(
            err.to_string().contains("unknown variant `snappy`"),
            "{err}"
        );
    }
}
