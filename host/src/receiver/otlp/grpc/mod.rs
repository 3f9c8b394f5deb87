//! OTLP/gRPC: the `LogsService`, `MetricsService` and `TraceService`
//! export calls, with gzip and zstd request compression and a limit on the
//! decoded message size, served on HTTP/2 (the `h2` crate) directly. Each
//! call's message is handed as bytes to the same validation and batch as
//! an OTLP/HTTP body (`request`), and goes to the receiver's [`Intake`];
//! its refusals become gRPC codes: `INVALID_ARGUMENT` for a malformed
//! request, `RESOURCE_EXHAUSTED` (without `RetryInfo`, so not retried) for
//! one over `max_recv_msg_size_mib`, `UNAVAILABLE` when overloaded or when
//! an exporter failed (both retryable, as OTLP clients expect),
//! `UNIMPLEMENTED` for a signal the receiver feeds no pipeline of,
//! `DEADLINE_EXCEEDED` once the call's `grpc-timeout` has passed
//! ([`deadline`]).
//!
//! Hand-written rather than tonic's server (tonic stays for weir's gRPC
//! clients) because the receiver's cost was in tonic's layers, not in
//! the call: on the release build, a 1,000-record request cost 324 µs of
//! weir's CPU over gRPC against 245 µs over HTTP. The profile showed
//! ~31 ns per record of memmove (tonic copies every DATA frame into its
//! own decode buffer, grown by doubling), ~27 ns per record in the h2,
//! tonic and hyper layers, and more wake-ups (hyper runs each stream in a
//! task of its own, so every call crossed tasks twice). Here a message in
//! one DATA frame is a slice of it, and a connection and its calls share
//! one task.
//!
//! [`serve`] accepts connections, each served in a task by
//! [`connection`], which runs its calls ([`call`]): the 5-byte message
//! framing is [`frame`], the answers and the status mapping [`answer`].

mod answer;
mod call;
mod connection;
mod deadline;
mod frame;
#[cfg(test)]
mod tests;

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::task::JoinSet;
use tokio_stream::{Stream, StreamExt};
use tokio_util::sync::CancellationToken;

use crate::auth::BearerTokens;
use crate::receiver::Intake;
use call::Receiver;

/// How long the server waits for what a client owes it.
#[derive(Clone, Copy, Debug)]
pub(super) struct Timeouts {
    /// From the connection to the end of the HTTP/2 handshake: a client
    /// that connects and says nothing does not hold a task.
    pub handshake: Duration,
    /// From shutdown to the end of a call's message: a client that sends
    /// its headers and never the body does not hold the shutdown.
    pub body_after_shutdown: Duration,
    /// From shutdown until a connection without calls is dropped, if the
    /// client does not close it after the GOAWAY.
    pub idle_after_shutdown: Duration,
}

const TIMEOUTS: Timeouts = Timeouts {
    handshake: Duration::from_secs(10),
    body_after_shutdown: Duration::from_secs(5),
    idle_after_shutdown: Duration::from_secs(5),
};

/// After a failed accept (out of file descriptors, say), the pause
/// before the next, so the loop does not spin on the same error.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Serves OTLP/gRPC on the connections of `incoming` (plain TCP, or TLS
/// already handshaken) until `shutdown` is cancelled, then lets in-flight
/// calls finish; returns when every connection is done.
pub(super) fn serve<I, IO>(
    incoming: I,
    intake: Arc<Intake>,
    max_message: usize,
    auth: Option<Arc<BearerTokens>>,
    shutdown: CancellationToken,
) -> impl Future<Output = anyhow::Result<()>> + Send + 'static
where
    I: Stream<Item = Result<IO, std::io::Error>> + Send + 'static,
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let receiver = Receiver {
        intake,
        max_message,
        auth,
        shutdown,
        timeouts: TIMEOUTS,
    };
    serve_with(incoming, Arc::new(receiver))
}

async fn serve_with<I, IO>(incoming: I, receiver: Arc<Receiver>) -> anyhow::Result<()>
where
    I: Stream<Item = Result<IO, std::io::Error>> + Send + 'static,
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let mut incoming = pin!(incoming);
    let mut connections = JoinSet::new();
    let shutdown = receiver.shutdown.clone();
    loop {
        tokio::select! {
            biased;
            // Shutdown first: no connection is taken after it.
            () = shutdown.cancelled() => break,
            // Finished connections, so the set holds only live ones.
            Some(done) = connections.join_next(), if !connections.is_empty() => log_panic(done),
            next = incoming.next() => match next {
                Some(Ok(io)) => {
                    connections.spawn(connection::serve(io, receiver.clone()));
                }
                Some(Err(error)) => {
                    tracing::warn!(%error, "OTLP/gRPC: could not accept a connection");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                }
                None => break,
            },
        }
    }
    // Each connection has seen the shutdown too and closes once its calls
    // are answered.
    while let Some(done) = connections.join_next().await {
        log_panic(done);
    }
    Ok(())
}

fn log_panic(done: Result<(), tokio::task::JoinError>) {
    if let Err(error) = done {
        tracing::error!(%error, "OTLP/gRPC connection task failed");
    }
}
