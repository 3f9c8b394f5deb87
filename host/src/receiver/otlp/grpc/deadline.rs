//! A call's deadline: the `grpc-timeout` header the client sends (OTel
//! SDKs send their exporter's timeout, 10 s by default), as the gRPC
//! over HTTP/2 protocol defines it — at most eight ASCII digits and a
//! unit: `H`ours, `M`inutes, `S`econds, `m`illi-, `u` micro- or
//! `n`anoseconds. Past it the client has given up on the call, so weir
//! stops waiting for it too (for a message that is not coming, or for
//! exporters that are slow) and answers `DEADLINE_EXCEEDED`, as gRPC
//! servers do, instead of holding the call's memory and task.
//!
//! Hand-written: the parser in tonic is private to its server, which this
//! receiver does not use (see `grpc/mod.rs`).

use std::time::Duration;

use tokio::time::Instant;

/// When a call must be over, and the header that said so (for messages).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Deadline {
    pub at: Instant,
    pub header: String,
}

impl Deadline {
    /// The deadline of a call whose headers arrived at `start`: `None`
    /// without a `grpc-timeout` (or one too far off to matter), an error
    /// for a malformed one.
    pub fn of(headers: &http::HeaderMap, start: Instant) -> Result<Option<Deadline>, String> {
        let Some(value) = headers.get("grpc-timeout") else {
            return Ok(None);
        };
        let malformed = || {
            format!(
                "malformed grpc-timeout {:?}: expected 1 to 8 digits and a unit (H, M, S, m, u or n)",
                String::from_utf8_lossy(value.as_bytes())
            )
        };
        let timeout = parse(value.as_bytes()).ok_or_else(malformed)?;
        Ok(start.checked_add(timeout).map(|at| Deadline {
            at,
            header: String::from_utf8_lossy(value.as_bytes()).into_owned(),
        }))
    }
}

/// The duration a `grpc-timeout` value stands for, if well-formed.
fn parse(value: &[u8]) -> Option<Duration> {
    let (&unit, digits) = value.split_last()?;
    if digits.is_empty() || digits.len() > 8 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    // Eight digits fit a u64 many times over.
    let n: u64 = std::str::from_utf8(digits).ok()?.parse().ok()?;
    Some(match unit {
        b'H' => Duration::from_secs(n * 3600),
        b'M' => Duration::from_secs(n * 60),
        b'S' => Duration::from_secs(n),
        b'm' => Duration::from_millis(n),
        b'u' => Duration::from_micros(n),
        b'n' => Duration::from_nanos(n),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_unit_reads_as_the_protocol_defines_it() {
        let cases: [(&[u8], Duration); 7] = [
            (b"2H", Duration::from_secs(7200)),
            (b"3M", Duration::from_secs(180)),
            (b"10S", Duration::from_secs(10)),
            (b"250m", Duration::from_millis(250)),
            (b"7u", Duration::from_micros(7)),
            (b"99999999n", Duration::from_nanos(99_999_999)),
            (b"0m", Duration::ZERO),
        ];
        for (value, want) in cases {
            assert_eq!(parse(value), Some(want), "{value:?}");
        }
    }

    #[test]
    fn malformed_values_are_refused() {
        for value in [
            &b""[..],
            b"S",
            b"10",
            b"10s",
            b"123456789S",
            b"-1S",
            b"1.5S",
            b" 1S",
            b"1 S",
        ] {
            assert_eq!(parse(value), None, "{:?}", String::from_utf8_lossy(value));
        }
    }

    #[test]
    fn the_deadline_counts_from_the_headers_arrival() {
        let start = Instant::now();
        let mut headers = http::HeaderMap::new();
        assert_eq!(Deadline::of(&headers, start), Ok(None));
        headers.insert("grpc-timeout", "1500m".parse().unwrap());
        let deadline = Deadline::of(&headers, start).unwrap().unwrap();
        assert_eq!(deadline.at - start, Duration::from_millis(1500));
        assert_eq!(deadline.header, "1500m");
        headers.insert("grpc-timeout", "soon".parse().unwrap());
        let err = Deadline::of(&headers, start).unwrap_err();
        assert!(err.starts_with("malformed grpc-timeout \"soon\""), "{err}");
    }
}
