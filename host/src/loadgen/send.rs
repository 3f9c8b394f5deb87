//! Sending one pre-built request over OTLP/HTTP or OTLP/gRPC and counting
//! the answer: accepted, refused as overloaded, or failed.

use std::time::Instant;

use tonic::transport::Channel;

use super::Tally;
use crate::otlp::Signal;
use crate::otlp::grpc_client::{ExportCodec, export_path};

/// The transport `weir gen` sends over.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Protocol {
    /// OTLP/HTTP with protobuf bodies.
    Http,
    /// OTLP/gRPC.
    Grpc,
}

/// A connection-agnostic sender, cheap to clone.
#[derive(Clone)]
pub(crate) enum Sender {
    Http {
        client: reqwest::Client,
        url: String,
    },
    Grpc {
        channel: Channel,
        signal: Signal,
    },
}

impl Sender {
    pub(crate) async fn new(
        protocol: Protocol,
        endpoint: &str,
        signal: Signal,
    ) -> anyhow::Result<Sender> {
        Ok(match protocol {
            Protocol::Http => Sender::Http {
                client: reqwest::Client::new(),
                url: format!("{}/v1/{}", endpoint.trim_end_matches('/'), signal.as_str()),
            },
            Protocol::Grpc => Sender::Grpc {
                channel: Channel::from_shared(endpoint.to_string())?.connect_lazy(),
                signal,
            },
        })
    }

    pub(crate) async fn send(&self, request: &bytes::Bytes, records: u64, tally: &Tally) {
        let started = Instant::now();
        let outcome = match self {
            Sender::Http { client, url } => match client
                .post(url)
                .header("Content-Type", "application/x-protobuf")
                .body(request.clone())
                .send()
                .await
            {
                Ok(r) if r.status().is_success() => Ok(()),
                Ok(r) if r.status() == 503 || r.status() == 429 => Err(None),
                Ok(r) => Err(Some(format!("HTTP {}", r.status()))),
                Err(e) => Err(Some(e.to_string())),
            },
            Sender::Grpc { channel, signal } => grpc(channel.clone(), *signal, request).await,
        };
        match outcome {
            Ok(()) => {
                tally
                    .records
                    .fetch_add(records, std::sync::atomic::Ordering::Relaxed);
                tally
                    .requests
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let us = started.elapsed().as_micros().min(u32::MAX as u128) as u32;
                tally.latencies_us.lock().expect("lock").push(us);
            }
            Err(None) => {
                tally
                    .refused
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            Err(Some(error)) => {
                tally
                    .errors
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                tally.first_error.lock().expect("lock").get_or_insert(error);
            }
        }
    }
}

/// Sends the pre-built bytes over gRPC as they are (see
/// `otlp::grpc_client`).
async fn grpc(
    channel: Channel,
    signal: Signal,
    request: &bytes::Bytes,
) -> Result<(), Option<String>> {
    let mut client = tonic::client::Grpc::new(channel);
    client.ready().await.map_err(|e| Some(e.to_string()))?;
    let status = client
        .unary(
            tonic::Request::new(request.clone()),
            export_path(signal),
            // The answer is read as `()`: its fields are skipped.
            ExportCodec::<()>::default(),
        )
        .await
        .err();
    match status {
        None => Ok(()),
        Some(s)
            if s.code() == tonic::Code::Unavailable
                || s.code() == tonic::Code::ResourceExhausted =>
        {
            Err(None)
        }
        Some(s) => Err(Some(format!("gRPC {:?}: {}", s.code(), s.message()))),
    }
}
