//! Request bodies: content type, content encoding, and decompression with
//! a limit on the decompressed size, so a small gzip or zstd bomb is
//! refused after `limit` bytes instead of being inflated in memory.

use std::io::Read;

/// How a body is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `application/x-protobuf`.
    Protobuf,
    /// `application/json`.
    Json,
}

impl Format {
    /// The format of a `Content-Type` header value, ignoring parameters
    /// such as `charset`.
    pub fn from_content_type(value: &str) -> Option<Format> {
        let essence = value.split(';').next().unwrap_or("").trim();
        if essence.eq_ignore_ascii_case("application/x-protobuf") {
            Some(Format::Protobuf)
        } else if essence.eq_ignore_ascii_case("application/json") {
            Some(Format::Json)
        } else {
            None
        }
    }

    /// The `Content-Type` of responses in this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Protobuf => "application/x-protobuf",
            Format::Json => "application/json",
        }
    }
}

/// Why a body could not be read.
#[derive(Debug, PartialEq, Eq)]
pub enum BodyError {
    /// Larger than the limit (as sent or once decompressed).
    TooLarge { limit: u64 },
    /// Not valid gzip / zstd.
    Corrupt(String),
    /// A `Content-Encoding` weir does not accept.
    UnknownEncoding(String),
}

/// Decodes `body` as `encoding` says (none, `identity`, `gzip`, `zstd`),
/// refusing more than `limit` bytes of output.
pub fn decompress(
    encoding: Option<&str>,
    body: bytes::Bytes,
    limit: u64,
) -> Result<bytes::Bytes, BodyError> {
    let encoding = encoding.map(|e| e.trim().to_ascii_lowercase());
    match encoding.as_deref() {
        // OTLP/HTTP caps the body as sent before this, but the limit is
        // this function's promise to every caller (found by fuzzing).
        None | Some("") | Some("identity") if body.len() as u64 > limit => {
            Err(BodyError::TooLarge { limit })
        }
        None | Some("") | Some("identity") => Ok(body),
        Some("gzip") | Some("x-gzip") => {
            read_limited(flate2::read::MultiGzDecoder::new(&body[..]), limit)
        }
        Some("zstd") => {
            let decoder = zstd::stream::read::Decoder::new(&body[..])
                .map_err(|e| BodyError::Corrupt(format!("zstd: {e}")))?;
            read_limited(decoder, limit)
        }
        Some(other) => Err(BodyError::UnknownEncoding(other.to_string())),
    }
}

fn read_limited(reader: impl Read, limit: u64) -> Result<bytes::Bytes, BodyError> {
    let mut out = Vec::new();
    // Read one byte past the limit to tell "exactly the limit" from "more".
    reader
        .take(limit + 1)
        .read_to_end(&mut out)
        .map_err(|e| BodyError::Corrupt(e.to_string()))?;
    if out.len() as u64 > limit {
        return Err(BodyError::TooLarge { limit });
    }
    Ok(out.into())
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn gzip(data: &[u8]) -> bytes::Bytes {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(data).unwrap();
        enc.finish().unwrap().into()
    }

    #[test]
    fn a_gzip_bomb_stops_at_the_limit() {
        let bomb = gzip(&vec![0u8; 10 << 20]);
        assert!(
            bomb.len() < 20_000,
            "10 MiB of zeros compresses to {}",
            bomb.len()
        );
        assert_eq!(
            decompress(Some("gzip"), bomb, 1 << 20),
            Err(BodyError::TooLarge { limit: 1 << 20 })
        );
    }

    #[test]
    fn identity_bodies_over_the_limit_are_refused_as_compressed_ones_are() {
        let body = bytes::Bytes::from_static(b"\x2a\xe5\x94\x64\x79\x01");
        for encoding in [None, Some("identity")] {
            assert_eq!(
                decompress(encoding, body.clone(), 5),
                Err(BodyError::TooLarge { limit: 5 })
            );
            assert_eq!(decompress(encoding, body.clone(), 6), Ok(body.clone()));
        }
    }

    #[test]
    fn gzip_and_zstd_round_trip() {
        let data = b"hello otlp".repeat(100);
        assert_eq!(
            decompress(Some("gzip"), gzip(&data), 4096).unwrap(),
            &data[..]
        );
        let z = zstd::encode_all(&data[..], 3).unwrap();
        assert_eq!(decompress(Some("zstd"), z.into(), 4096).unwrap(), &data[..]);
    }

    #[test]
    fn bad_and_unknown_encodings_are_errors() {
        assert!(matches!(
            decompress(Some("gzip"), bytes::Bytes::from_static(b"nope"), 10),
            Err(BodyError::Corrupt(_))
        ));
        assert_eq!(
            decompress(Some("br"), bytes::Bytes::new(), 10),
            Err(BodyError::UnknownEncoding("br".into()))
        );
    }

    #[test]
    fn content_types() {
        assert_eq!(
            Format::from_content_type("application/json; charset=utf-8"),
            Some(Format::Json)
        );
        assert_eq!(
            Format::from_content_type("application/x-protobuf"),
            Some(Format::Protobuf)
        );
        assert_eq!(Format::from_content_type("text/plain"), None);
    }
}
