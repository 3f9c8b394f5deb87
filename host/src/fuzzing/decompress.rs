//! Request-body decompression (`receiver/otlp/body.rs`), as OTLP/HTTP
//! runs it on every body before decoding: `Content-Encoding` none,
//! `identity`, `gzip` / `x-gzip` or `zstd`, with the receiver's limit on
//! the decompressed size. (OTLP/gRPC bodies are decompressed by tonic
//! under its own limit, `max_recv_msg_size_mib`.)
//!
//! Input: a byte choosing the encoding, a byte choosing the limit (0 to
//! 1 MiB), then the body. Checks beyond not crashing: output never
//! exceeds the limit; the limit is exact (output of `n` bytes passes at
//! limit `n` and is refused at `n - 1`), so a bomb is stopped at the cap
//! rather than inflated; `identity` passes the body through. Inflating
//! far past the cap would take gigabytes, which libFuzzer's
//! `-rss_limit_mb` (set by `scripts/fuzz.sh`) turns into a crash. The
//! output then goes where the receiver sends it (the protobuf batch),
//! which must not crash either.

use bytes::Bytes;

use super::signal_of;
use crate::otlp::Batch;
use crate::receiver::otlp::body::{BodyError, decompress};

const ENCODINGS: [Option<&str>; 8] = [
    None,
    Some("identity"),
    Some("gzip"),
    Some("x-gzip"),
    Some("zstd"),
    Some(" GZip "),
    Some("ZSTD"),
    Some("br"),
];

const LIMITS: [u64; 8] = [0, 1, 16, 256, 4096, 65536, 1 << 20, 1 << 20];

/// Runs the checks on one input.
pub fn check(data: &[u8]) {
    let [which, limit, body @ ..] = data else {
        return;
    };
    let encoding = ENCODINGS[usize::from(*which) % ENCODINGS.len()];
    let limit = LIMITS[usize::from(*limit) % LIMITS.len()];
    let body = Bytes::copy_from_slice(body);
    match decompress(encoding, body.clone(), limit) {
        Ok(out) => {
            assert!(
                out.len() as u64 <= limit,
                "{} bytes out under a limit of {limit}",
                out.len()
            );
            if matches!(encoding, None | Some("identity")) {
                assert_eq!(out, body, "identity changed the body");
                return;
            }
            let n = out.len() as u64;
            assert_eq!(
                decompress(encoding, body.clone(), n).as_ref(),
                Ok(&out),
                "{n} bytes out, but refused at a limit of exactly {n}"
            );
            if n > 0 {
                assert_eq!(
                    decompress(encoding, body.clone(), n - 1),
                    Err(BodyError::TooLarge { limit: n - 1 }),
                    "{n} bytes out, but not refused at a limit of {}",
                    n - 1
                );
            }
            let _ = Batch::from_bytes(signal_of(*which), out);
        }
        Err(BodyError::TooLarge { limit: said }) => assert_eq!(said, limit),
        Err(BodyError::Corrupt(message)) => assert!(!message.is_empty()),
        Err(BodyError::UnknownEncoding(_)) => {
            assert_eq!(encoding, Some("br"), "a known encoding called unknown")
        }
    }
}
