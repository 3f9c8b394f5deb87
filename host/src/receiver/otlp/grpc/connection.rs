//! One HTTP/2 connection, in one task: the task drives the connection
//! (`accept`, which also reads and writes every frame) and every call on
//! it (a `FuturesUnordered` polled in the same loop), so a call's frames
//! and its answer never cross tasks, and the calls of a connection run
//! concurrently. The handshake is bounded in time; on shutdown the
//! connection sends GOAWAY, lets its calls finish, and is dropped when
//! they are done (or, if the client never closes, a little later).

use std::pin::pin;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};

use tokio::time::{Instant, sleep};

use super::call::{self, Receiver};

/// HTTP/2 flow-control window of each gRPC stream, in bytes.
pub(super) const GRPC_WINDOW: u32 = 4 << 20;
/// Largest HTTP/2 frame the gRPC server accepts (the protocol's limit is
/// 16 MiB - 1).
pub(super) const GRPC_MAX_FRAME: u32 = 1 << 20;
/// Calls at once on one connection: RFC 9113 asks for no fewer than 100,
/// and each may hold a message of up to `max_recv_msg_size_mib`.
const MAX_STREAMS: u32 = 100;
/// Largest header block: OTLP calls send a few short headers (a token at
/// most), so 64 KiB is plenty and bounds what a hostile client can make
/// the server hold.
const MAX_HEADER_LIST: u32 = 64 << 10;

fn settings() -> h2::server::Builder {
    let mut builder = h2::server::Builder::new();
    builder
        // OTLP requests are large (a 1,000-record logs request is some
        // 260 KB): with HTTP/2's defaults (64 KiB windows, 16 KiB frames)
        // each one crosses in many frames and stalls on window updates, a
        // wake-up each. Larger windows and frames let a request arrive in
        // a few.
        .initial_window_size(GRPC_WINDOW)
        .initial_connection_window_size(GRPC_WINDOW * 4)
        .max_frame_size(GRPC_MAX_FRAME)
        .max_concurrent_streams(MAX_STREAMS)
        .max_header_list_size(MAX_HEADER_LIST);
    builder
}

/// Serves the calls of one connection until it closes.
pub(super) async fn serve<IO>(io: IO, receiver: Arc<Receiver>)
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    let handshake = tokio::time::timeout(
        receiver.timeouts.handshake,
        settings().handshake::<_, Bytes>(io),
    );
    let connection = tokio::select! {
        biased;
        () = receiver.shutdown.cancelled() => return,
        handshake = handshake => handshake,
    };
    match connection {
        Ok(Ok(connection)) => drive(connection, receiver).await,
        Ok(Err(error)) => {
            tracing::debug!(%error, "OTLP/gRPC connection failed its HTTP/2 handshake")
        }
        Err(_) => tracing::debug!("OTLP/gRPC connection sent no HTTP/2 handshake in time: closed"),
    }
}

async fn drive<IO>(mut connection: h2::server::Connection<IO, Bytes>, receiver: Arc<Receiver>)
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    let mut calls = FuturesUnordered::new();
    let shutdown = receiver.shutdown.clone();
    let mut cancelled = pin!(shutdown.cancelled());
    // Armed on shutdown: when an idle connection is closed even if the
    // client never answers the GOAWAY. (Made once, not per turn.)
    let mut linger = pin!(sleep(Duration::ZERO));
    let mut closing = false;
    loop {
        tokio::select! {
            biased;
            // Shutdown first, so no call is accepted after it.
            () = &mut cancelled, if !closing => {
                connection.graceful_shutdown();
                closing = true;
                linger.as_mut().reset(Instant::now() + receiver.timeouts.idle_after_shutdown);
            }
            // Finished calls next: their answers go out on the next
            // `accept`, which writes as it reads.
            Some(()) = calls.next(), if !calls.is_empty() => {}
            accepted = connection.accept() => match accepted {
                Some(Ok((request, respond))) => {
                    calls.push(call::serve(receiver.clone(), request, respond));
                }
                Some(Err(error)) => {
                    // The client is gone or broke the protocol: its calls
                    // go with it (nothing is counted: they were not
                    // refused).
                    tracing::debug!(%error, calls = calls.len(), "OTLP/gRPC connection ended");
                    return;
                }
                // Closed cleanly, every stream done.
                None => return,
            },
            () = &mut linger, if closing && calls.is_empty() => {
                tracing::debug!("OTLP/gRPC connection did not close after GOAWAY: dropped");
                return;
            }
        }
    }
}
