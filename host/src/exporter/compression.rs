//! The `compression` key of the exporters that speak OTLP (over gRPC and
//! over HTTP) and of VictoriaLogs: `gzip` (the default, as the
//! Collector's), `zstd` or `none`; the HTTP exporters' `compression_params`
//! (the Collector's `confighttp` key: how hard to compress); and the
//! compressing of an HTTP body.
//!
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

/// `compression_params`: how hard the HTTP exporters compress, with the
/// Collector's key. gzip's default (6, the Collector's too) spends most
/// of an exporter's CPU on loopback or a LAN; level 1 takes a fraction of
/// that for somewhat larger bodies.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct CompressionParams {
    /// gzip: 1 (fastest) to 9 (smallest). zstd: its own levels, 1 to 22,
    /// and negative ones for speed. 0 (or absent), and for gzip -1 as the
    /// Collector writes it, mean the algorithm's default: gzip 6, zstd 3.
    pub level: i32,
}

impl CompressionParams {
    /// Whether the level is one `compression` has; why not, if not.
    pub fn check(&self, compression: Compression) -> Result<(), String> {
        let level = self.level;
        match compression {
            Compression::Gzip if matches!(level, -1..=9) => Ok(()),
            Compression::Gzip => Err(format!(
                "{level} is not a gzip level: 1 (fastest) to 9 (smallest), or 0 for the default (6)"
            )),
            // zstd's range (its fast levels are negative) holds 0, its default.
            Compression::Zstd if zstd::compression_level_range().contains(&level) => Ok(()),
            Compression::Zstd => {
                let range = zstd::compression_level_range();
                Err(format!(
                    "{level} is not a zstd level: {} to {}, or 0 for the default (3)",
                    range.start(),
                    range.end()
                ))
            }
            Compression::None if level == 0 => Ok(()),
            Compression::None => Err("`compression: none` takes no level".into()),
        }
    }
}

/// Compresses an HTTP request body at the level `params` gives (checked
/// with [`CompressionParams::check`] when the settings were read); returns
/// it with the `Content-Encoding` to send (none when `compression` is
/// `none`, in which case `bytes` come back as they are, not copied).
pub(crate) fn compress(
    bytes: Bytes,
    compression: Compression,
    params: CompressionParams,
) -> std::io::Result<(Bytes, Option<&'static str>)> {
    match compression {
        Compression::None => Ok((bytes, None)),
        Compression::Gzip => {
            let level = match params.level {
                1..=9 => flate2::Compression::new(params.level as u32),
                _ => flate2::Compression::default(),
            };
            let out = Vec::with_capacity(bytes.len() / 4);
            let mut gz = flate2::write::GzEncoder::new(out, level);
            gz.write_all(&bytes)?;
            Ok((gz.finish()?.into(), Some("gzip")))
        }
        Compression::Zstd => {
            // zstd reads 0 as its default level.
            Ok((
                zstd::bulk::compress(&bytes, params.level)?.into(),
                Some("zstd"),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `sent` read back as weir's receivers read a body.
    fn decompress(sent: &Bytes, encoding: Option<&str>) -> Bytes {
        crate::receiver::otlp::body::decompress(encoding, sent.clone(), 64 << 20).unwrap()
    }

    #[test]
    fn each_compression_round_trips_and_names_its_encoding() {
        let body = Bytes::from("weir ".repeat(1000));
        for (compression, encoding) in [
            (Compression::Gzip, Some("gzip")),
            (Compression::Zstd, Some("zstd")),
            (Compression::None, None),
        ] {
            let (sent, named) = compress(body.clone(), compression, Default::default()).unwrap();
            assert_eq!(named, encoding, "{compression:?}");
            assert_eq!(decompress(&sent, named), body, "{compression:?}");
            if compression != Compression::None {
                assert!(sent.len() < body.len() / 10, "{compression:?} compresses");
            }
        }
    }

    #[test]
    fn a_level_trades_size_for_speed_and_every_level_round_trips() {
        // Varied enough that the levels differ.
        let body: Bytes = (0..20_000u32)
            .flat_map(|i| format!("record {} at {}\n", i % 97, i * 7919 % 10007).into_bytes())
            .collect::<Vec<u8>>()
            .into();
        for compression in [Compression::Gzip, Compression::Zstd] {
            let size = |level| {
                let params = CompressionParams { level };
                assert_eq!(params.check(compression), Ok(()), "{compression:?} {level}");
                let (sent, named) = compress(body.clone(), compression, params).unwrap();
                assert_eq!(decompress(&sent, named), body, "{compression:?} {level}");
                sent.len()
            };
            let (fast, default, small) = match compression {
                Compression::Gzip => (size(1), size(0), size(9)),
                _ => (size(1), size(0), size(19)),
            };
            assert!(
                fast > default && default >= small,
                "{compression:?}: {fast} {default} {small}"
            );
        }
        let (default, _) = compress(body.clone(), Compression::Gzip, Default::default()).unwrap();
        let params = CompressionParams { level: -1 };
        let (collector_default, _) = compress(body, Compression::Gzip, params).unwrap();
        assert_eq!(
            default, collector_default,
            "-1 is the Collector's way to say default"
        );
    }

    #[test]
    fn levels_an_algorithm_does_not_have_are_refused() {
        let check = |compression, level| CompressionParams { level }.check(compression);
        assert_eq!(
            check(Compression::Gzip, 10),
            Err(
                "10 is not a gzip level: 1 (fastest) to 9 (smallest), or 0 for the default (6)"
                    .into()
            )
        );
        assert!(check(Compression::Gzip, -2).is_err());
        assert!(
            check(Compression::Zstd, 23)
                .unwrap_err()
                .starts_with("23 is not a zstd level")
        );
        assert_eq!(check(Compression::Zstd, -5), Ok(()));
        assert_eq!(
            check(Compression::None, 1),
            Err("`compression: none` takes no level".into())
        );
        assert_eq!(check(Compression::None, 0), Ok(()));
    }

    #[test]
    fn uncompressed_bodies_are_not_copied() {
        let body = Bytes::from(vec![7u8; 64]);
        let (sent, _) = compress(body.clone(), Compression::None, Default::default()).unwrap();
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
        let params: CompressionParams = serde_norway::from_str("level: 1").unwrap();
        assert_eq!(params.level, 1);
        let err = serde_norway::from_str::<CompressionParams>("lvl: 1").unwrap_err();
        assert!(err.to_string().contains("unknown field `lvl`"), "{err}");
    }
}
