//! The client side of an OTLP/gRPC export that sends request bytes as
//! they are: the method path of each signal's export, and a codec that
//! writes the request bytes unchanged and decodes the answer as `R`.
//!
//! The `otlp` exporter sends a batch's bytes this way (for a batch no
//! plugin changed, the bytes that arrived — no decode, no encode; the
//! generated OTLP clients would take decoded request types and encode them
//! again, which cost more than the rest of forwarding together), reading
//! the answer as the signal's `Export*ServiceResponse` for its partial
//! success. `weir gen` sends its pre-built requests this way too and reads
//! the answer as `()`, ignoring it.

use std::marker::PhantomData;

use bytes::{Buf, BufMut, Bytes};
use http::uri::PathAndQuery;
use tonic::Status;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};

use super::Signal;

/// The gRPC method of `signal`'s export.
pub(crate) fn export_path(signal: Signal) -> PathAndQuery {
    PathAndQuery::from_static(match signal {
        Signal::Logs => "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
        Signal::Metrics => "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
        Signal::Traces => "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
    })
}

/// Request bytes as they are → the message; the answer → `R`.
#[derive(Debug)]
pub(crate) struct ExportCodec<R>(PhantomData<R>);

impl<R> Default for ExportCodec<R> {
    fn default() -> Self {
        ExportCodec(PhantomData)
    }
}

impl<R: prost::Message + Default + Send + 'static> Codec for ExportCodec<R> {
    type Encode = Bytes;
    type Decode = R;
    type Encoder = BytesEncoder;
    type Decoder = ResponseDecoder<R>;

    fn encoder(&mut self) -> BytesEncoder {
        BytesEncoder
    }

    fn decoder(&mut self) -> ResponseDecoder<R> {
        ResponseDecoder(PhantomData)
    }
}

/// Writes the request bytes as they are.
#[derive(Debug)]
pub(crate) struct BytesEncoder;

impl Encoder for BytesEncoder {
    type Item = Bytes;
    type Error = Status;

    fn encode(&mut self, item: Bytes, buf: &mut EncodeBuf<'_>) -> Result<(), Status> {
        buf.put(item);
        Ok(())
    }
}

/// Decodes the answer with prost.
#[derive(Debug)]
pub(crate) struct ResponseDecoder<R>(PhantomData<R>);

impl<R: prost::Message + Default> Decoder for ResponseDecoder<R> {
    type Item = R;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<R>, Status> {
        let answer = R::decode(buf.copy_to_bytes(buf.remaining()))
            .map_err(|e| Status::internal(format!("undecodable answer: {e}")))?;
        Ok(Some(answer))
    }
}
