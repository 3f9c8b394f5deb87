//! A plugin's stderr: the last [`CAPACITY`] bytes it wrote, kept for the
//! message of its next failure (a Rust panic message lands there just
//! before the trap), never written to weir's log.
//!
//! wasmtime-wasi's `MemoryOutputPipe` refuses writes once full, and a Rust
//! guest's `eprintln!` panics on a refused write: a plugin that wrote a
//! debug line per batch would start trapping after 64 KiB over its whole
//! life. This stream takes every write and keeps only the tail, so what a
//! plugin prints costs a bounded amount of memory and nothing else.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};

/// How much of a guest's stderr is kept: enough for a panic message.
pub(crate) const CAPACITY: usize = 64 * 1024;

/// The shared tail; clones write to the same buffer.
#[derive(Clone, Default)]
pub(crate) struct StderrTail {
    buffer: Arc<Mutex<VecDeque<u8>>>,
}

impl StderrTail {
    fn push(&self, bytes: &[u8]) {
        let mut buffer = self.buffer.lock().unwrap_or_else(|e| e.into_inner());
        let bytes = &bytes[bytes.len().saturating_sub(CAPACITY)..];
        let overflow = (buffer.len() + bytes.len()).saturating_sub(CAPACITY);
        buffer.drain(..overflow);
        buffer.extend(bytes);
    }

    /// Takes what was written since the last take (its last [`CAPACITY`]
    /// bytes), leaving the tail empty.
    pub(crate) fn take(&self) -> Vec<u8> {
        let mut buffer = self.buffer.lock().unwrap_or_else(|e| e.into_inner());
        std::mem::take(&mut *buffer).into()
    }

    /// Forgets what was written.
    pub(crate) fn clear(&self) {
        self.buffer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}

impl IsTerminal for StderrTail {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for StderrTail {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }
    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

impl OutputStream for StderrTail {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.push(&bytes);
        Ok(())
    }
    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }
    fn check_write(&mut self) -> StreamResult<usize> {
        // Always room: the oldest bytes make way.
        Ok(CAPACITY)
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for StderrTail {
    async fn ready(&mut self) {}
}

impl tokio::io::AsyncWrite for StderrTail {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.push(buf);
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_bytes_and_never_refuses_a_write() {
        let mut tail = StderrTail::default();
        for i in 0..100u8 {
            tail.write(Bytes::from(vec![i; 4096])).unwrap();
            assert_eq!(tail.check_write().unwrap(), CAPACITY);
        }
        let kept = tail.take();
        assert_eq!(kept.len(), CAPACITY);
        assert_eq!(kept.last(), Some(&99));
        assert_eq!(kept.first(), Some(&84), "the 16 newest writes of 4 KiB");
        assert!(tail.take().is_empty(), "taken");
        tail.write(Bytes::from(vec![7; 3 * CAPACITY])).unwrap();
        assert_eq!(tail.take(), vec![7; CAPACITY]);
    }
}
