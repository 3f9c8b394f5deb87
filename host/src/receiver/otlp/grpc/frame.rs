//! The gRPC length-prefixed message of a unary call: a compressed flag
//! byte and a big-endian `u32` length before the message, which arrives in
//! one or more HTTP/2 DATA frames. [`MessageReader`] takes the frames as
//! they come and refuses the body as soon as it is over the limit, so a
//! large or endless body is never held; it keeps a message that lies in
//! one frame as a slice of that frame (no copy) and joins frames only when
//! the message spans them.

use std::fmt;

use bytes::{Bytes, BytesMut};

/// Bytes before each message: compressed flag, then the length.
pub(super) const PREFIX: usize = 5;

/// The one message of a unary call.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Message {
    /// Whether the message is compressed with the call's `grpc-encoding`.
    pub compressed: bool,
    pub bytes: Bytes,
}

/// Why a body is not one message within the limit.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum FrameError {
    /// The message (as its prefix says, or the bytes sent) is over
    /// `limit`.
    TooLarge { length: Option<u64>, limit: usize },
    /// No message at all.
    Empty,
    /// The body ended inside the prefix or the message.
    Truncated { expected: u64, received: usize },
    /// Bytes after the message: a second message, which a unary call
    /// does not have.
    Trailing { length: u64, received: usize },
    /// A flag byte other than 0 (plain) and 1 (compressed).
    BadFlag(u8),
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // grpc-go's words, with the unit the OTLP/HTTP answer uses.
            FrameError::TooLarge {
                length: Some(length),
                limit,
            } => write!(
                f,
                "grpc: received message larger than max ({length} vs. {limit} bytes)"
            ),
            FrameError::TooLarge {
                length: None,
                limit,
            } => write!(
                f,
                "grpc: received message larger than max (over {limit} bytes)"
            ),
            FrameError::Empty => {
                f.write_str("grpc: a unary call needs one request message, got none")
            }
            FrameError::Truncated { expected, received } => write!(
                f,
                "grpc: truncated message: {received} of {expected} bytes (with the 5-byte prefix) arrived"
            ),
            FrameError::Trailing { length, received } => write!(
                f,
                "grpc: a unary call takes one message: {received} bytes arrived after a message of {length}"
            ),
            FrameError::BadFlag(flag) => {
                write!(
                    f,
                    "grpc: message prefix has compressed flag {flag}, not 0 or 1"
                )
            }
        }
    }
}

/// Collects a body's DATA frames into its one message.
#[derive(Debug)]
pub(super) struct MessageReader {
    /// Largest message taken (the limit of `max_recv_msg_size_mib`).
    limit: usize,
    /// The body while it is one frame.
    first: Bytes,
    /// The body once a second frame came.
    joined: Option<BytesMut>,
    received: usize,
}

impl MessageReader {
    pub(super) fn new(limit: usize) -> Self {
        MessageReader {
            limit,
            first: Bytes::new(),
            joined: None,
            received: 0,
        }
    }

    /// Takes the next DATA frame; an error as soon as the body cannot be
    /// a message within the limit.
    pub(super) fn push(&mut self, frame: Bytes) -> Result<(), FrameError> {
        self.received += frame.len();
        if self.received > PREFIX + self.limit {
            // Refused before it is kept; the length, for the message, from
            // the prefix if it came in this frame.
            let length = match self.declared() {
                None if self.first.is_empty() && self.joined.is_none() => length_of(&frame),
                declared => declared,
            };
            let limit = self.limit;
            return Err(FrameError::TooLarge { length, limit });
        }
        if frame.is_empty() {
            return Ok(());
        }
        if let Some(joined) = &mut self.joined {
            joined.extend_from_slice(&frame);
        } else if self.first.is_empty() {
            self.first = frame;
        } else {
            // The message spans frames: one buffer of its whole size, so
            // it is copied once and never grown.
            let whole = self.declared().map_or(0, |l| PREFIX + l as usize);
            let mut joined = BytesMut::with_capacity(whole.max(self.received));
            joined.extend_from_slice(&self.first);
            joined.extend_from_slice(&frame);
            self.first = Bytes::new();
            self.joined = Some(joined);
        }
        match self.declared() {
            Some(length) if length > self.limit as u64 => Err(FrameError::TooLarge {
                length: Some(length),
                limit: self.limit,
            }),
            _ => Ok(()),
        }
    }

    /// The message, once the body has ended.
    pub(super) fn finish(self) -> Result<Message, FrameError> {
        let body = match self.joined {
            Some(joined) => joined.freeze(),
            None => self.first,
        };
        if body.is_empty() {
            return Err(FrameError::Empty);
        }
        let Some(length) = length_of(&body) else {
            return Err(FrameError::Truncated {
                expected: PREFIX as u64,
                received: body.len(),
            });
        };
        let end = PREFIX as u64 + length;
        if (body.len() as u64) < end {
            return Err(FrameError::Truncated {
                expected: end,
                received: body.len(),
            });
        }
        if body.len() as u64 > end {
            return Err(FrameError::Trailing {
                length,
                received: body.len() - end as usize,
            });
        }
        let compressed = match body[0] {
            0 => false,
            1 => true,
            flag => return Err(FrameError::BadFlag(flag)),
        };
        Ok(Message {
            compressed,
            bytes: body.slice(PREFIX..),
        })
    }

    /// The message length the prefix declares, once it has arrived.
    fn declared(&self) -> Option<u64> {
        match &self.joined {
            Some(joined) => length_of(joined),
            None => length_of(&self.first),
        }
    }
}

fn length_of(body: &[u8]) -> Option<u64> {
    let prefix: [u8; 4] = body.get(1..PREFIX)?.try_into().ok()?;
    Some(u32::from_be_bytes(prefix).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `message` with its prefix.
    fn framed(compressed: bool, message: &[u8]) -> Vec<u8> {
        let mut body = vec![u8::from(compressed)];
        body.extend_from_slice(&(message.len() as u32).to_be_bytes());
        body.extend_from_slice(message);
        body
    }

    /// The reader's answer to `body` cut into frames at `cuts`.
    fn read(limit: usize, body: &[u8], cuts: &[usize]) -> Result<Message, FrameError> {
        let mut reader = MessageReader::new(limit);
        let mut start = 0;
        for &end in cuts.iter().chain([&body.len()]) {
            reader.push(Bytes::copy_from_slice(&body[start..end]))?;
            start = end;
        }
        reader.finish()
    }

    #[test]
    fn a_message_in_one_frame_is_a_slice_of_it() {
        let frame = Bytes::from(framed(false, b"hello"));
        let mut reader = MessageReader::new(100);
        reader.push(frame.clone()).unwrap();
        let message = reader.finish().unwrap();
        assert_eq!(message.bytes, &b"hello"[..]);
        assert!(!message.compressed);
        // The same memory as the frame: not copied.
        assert_eq!(message.bytes.as_ptr(), frame[PREFIX..].as_ptr());
    }

    #[test]
    fn a_message_split_across_frames_anywhere_is_joined() {
        let body = framed(true, b"0123456789");
        for cut in 1..body.len() {
            let message = read(100, &body, &[cut]).unwrap();
            assert_eq!(message.bytes, &b"0123456789"[..], "cut at {cut}");
            assert!(message.compressed);
        }
        let message = read(100, &body, &[1, 2, 3, 7, 9, 9, 12]).unwrap();
        assert_eq!(message.bytes, &b"0123456789"[..]);
    }

    #[test]
    fn an_empty_message_is_a_message() {
        assert_eq!(
            read(100, &framed(false, b""), &[]).unwrap().bytes,
            Bytes::new()
        );
    }

    #[test]
    fn no_message_is_an_error() {
        assert_eq!(read(100, b"", &[]), Err(FrameError::Empty));
    }

    #[test]
    fn two_messages_are_an_error() {
        let mut body = framed(false, b"one");
        body.extend(framed(false, b"two"));
        assert_eq!(
            read(100, &body, &[4]),
            Err(FrameError::Trailing {
                length: 3,
                received: 8
            })
        );
    }

    #[test]
    fn a_truncated_prefix_or_message_is_an_error() {
        assert_eq!(
            read(100, &[0, 0, 0], &[]),
            Err(FrameError::Truncated {
                expected: 5,
                received: 3
            })
        );
        let body = framed(false, b"hello");
        assert_eq!(
            read(100, &body[..8], &[6]),
            Err(FrameError::Truncated {
                expected: 10,
                received: 8
            })
        );
    }

    #[test]
    fn an_unknown_flag_is_an_error() {
        let mut body = framed(false, b"x");
        body[0] = 2;
        assert_eq!(read(100, &body, &[]), Err(FrameError::BadFlag(2)));
    }

    #[test]
    fn a_declared_length_over_the_limit_is_refused_before_the_message_arrives() {
        let mut reader = MessageReader::new(10);
        let error = reader
            .push(Bytes::from_static(&[0, 0, 0, 0, 11, b'a']))
            .unwrap_err();
        assert_eq!(
            error,
            FrameError::TooLarge {
                length: Some(11),
                limit: 10
            }
        );
        assert_eq!(
            error.to_string(),
            "grpc: received message larger than max (11 vs. 10 bytes)"
        );
    }

    #[test]
    fn more_bytes_than_the_limit_allows_are_refused_as_they_arrive() {
        // A prefix within the limit, then more than it in later frames.
        let mut reader = MessageReader::new(10);
        reader
            .push(Bytes::from(framed(false, b"0123456789")))
            .unwrap();
        assert_eq!(
            reader.push(Bytes::from_static(b"x")),
            Err(FrameError::TooLarge {
                length: Some(10),
                limit: 10
            })
        );
    }

    #[test]
    fn a_first_frame_over_the_limit_says_the_declared_length() {
        let mut reader = MessageReader::new(10);
        assert_eq!(
            reader.push(Bytes::from(framed(false, &[0; 20]))),
            Err(FrameError::TooLarge {
                length: Some(20),
                limit: 10
            })
        );
    }

    #[test]
    fn exactly_the_limit_is_taken() {
        let body = framed(false, &[7; 10]);
        assert_eq!(read(10, &body, &[3]).unwrap().bytes, &[7; 10][..]);
    }
}
