//! The on-disk form of one queued batch: a frame that says how long it
//! is and carries a checksum, so a torn or damaged tail is recognised
//! rather than misread.
//!
//! ```text
//! u32 LE  body length
//! u32 LE  CRC-32 of the body
//! body:   u8 format version (1) · u8 signal · u32 LE records · OTLP protobuf Export*ServiceRequest
//! ```

use crate::otlp::{Batch, Signal};

/// Bytes before the body.
pub const HEADER: usize = 8;
/// Bytes of the body before the protobuf request.
const BODY_PREFIX: usize = 6;
/// The format version written.
const VERSION: u8 = 1;
/// A body this large is not something weir wrote: the request size
/// limits are far below it.
pub const MAX_BODY: u32 = 1 << 30;

/// Encodes `batch` as a frame.
pub fn encode(batch: &Batch) -> Vec<u8> {
    let request = batch.encode();
    let mut frame = Vec::with_capacity(HEADER + BODY_PREFIX + request.len());
    frame.extend_from_slice(&[0; HEADER]);
    frame.push(VERSION);
    frame.push(signal_code(batch.signal()));
    frame.extend_from_slice(&(batch.len() as u32).to_le_bytes());
    frame.extend_from_slice(&request);
    let body_len = (frame.len() - HEADER) as u32;
    let crc = crc32fast::hash(&frame[HEADER..]);
    frame[..4].copy_from_slice(&body_len.to_le_bytes());
    frame[4..8].copy_from_slice(&crc.to_le_bytes());
    frame
}

/// A frame's header, read but not yet checked against its body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Length of the body.
    pub body_len: u32,
    crc: u32,
}

impl Header {
    /// Parses a header; `None` if the length cannot be one weir wrote
    /// (zeros from a torn write, garbage).
    pub fn parse(bytes: &[u8; HEADER]) -> Option<Header> {
        let body_len = u32::from_le_bytes(bytes[..4].try_into().expect("4 bytes"));
        let crc = u32::from_le_bytes(bytes[4..].try_into().expect("4 bytes"));
        (body_len as usize >= BODY_PREFIX && body_len <= MAX_BODY)
            .then_some(Header { body_len, crc })
    }

    /// The whole frame's length.
    pub fn frame_len(&self) -> u64 {
        HEADER as u64 + u64::from(self.body_len)
    }
}

/// A checked frame body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The batch's signal.
    pub signal: Signal,
    /// Its record count.
    pub records: u32,
    /// The OTLP protobuf request.
    pub request: Vec<u8>,
}

/// Checks `body` against `header` and splits it; the reason if it is
/// damaged.
pub fn check(header: Header, mut body: Vec<u8>) -> Result<Entry, String> {
    if body.len() != header.body_len as usize {
        return Err(format!(
            "frame cut short: {} of {} bytes",
            body.len(),
            header.body_len
        ));
    }
    if crc32fast::hash(&body) != header.crc {
        return Err("checksum mismatch".into());
    }
    if body[0] != VERSION {
        return Err(format!("unknown frame version {}", body[0]));
    }
    let signal =
        signal_from_code(body[1]).ok_or_else(|| format!("unknown signal code {}", body[1]))?;
    let records = u32::from_le_bytes(body[2..6].try_into().expect("4 bytes"));
    body.drain(..BODY_PREFIX);
    Ok(Entry {
        signal,
        records,
        request: body,
    })
}

fn signal_code(signal: Signal) -> u8 {
    match signal {
        Signal::Logs => 1,
        Signal::Metrics => 2,
        Signal::Traces => 3,
    }
}

fn signal_from_code(code: u8) -> Option<Signal> {
    match code {
        1 => Some(Signal::Logs),
        2 => Some(Signal::Metrics),
        3 => Some(Signal::Traces),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otlp::ExportLogsServiceRequest;
    use crate::otlp::logs::{LogRecord, ResourceLogs, ScopeLogs};

    fn batch() -> Batch {
        ExportLogsServiceRequest {
            resource_logs: vec![ResourceLogs {
                scope_logs: vec![ScopeLogs {
                    log_records: vec![LogRecord::default(); 3],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        }
        .into()
    }

    fn split(frame: &[u8]) -> (Option<Header>, Vec<u8>) {
        let header = Header::parse(frame[..HEADER].try_into().unwrap());
        (header, frame[HEADER..].to_vec())
    }

    #[test]
    fn a_frame_reads_back_as_its_batch() {
        let batch = batch();
        let frame = encode(&batch);
        let (header, body) = split(&frame);
        let header = header.unwrap();
        assert_eq!(header.frame_len(), frame.len() as u64);
        let entry = check(header, body).unwrap();
        assert_eq!((entry.signal, entry.records), (Signal::Logs, 3));
        assert_eq!(Batch::decode(entry.signal, &entry.request).unwrap(), batch);
    }

    #[test]
    fn damage_is_recognised() {
        let frame = encode(&batch());
        let (header, mut body) = split(&frame);
        let last = body.len() - 1;
        body[last] ^= 1;
        assert_eq!(
            check(header.unwrap(), body).unwrap_err(),
            "checksum mismatch"
        );
        let (header, mut body) = split(&frame);
        body.pop();
        assert!(
            check(header.unwrap(), body)
                .unwrap_err()
                .contains("cut short")
        );
        assert_eq!(Header::parse(&[0; HEADER]), None, "zeros are no frame");
    }
}
