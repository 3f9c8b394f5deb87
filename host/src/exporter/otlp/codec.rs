//! The gRPC codec of the `otlp` exporter: the request goes out as the
//! batch's protobuf bytes (for a batch no plugin changed, the bytes that
//! arrived — no decode, no encode), and the answer is decoded as the
//! signal's `Export*ServiceResponse` for its partial success. The
//! generated OTLP clients would take the decoded request types and encode
//! them again, which cost more than the rest of forwarding together.

use std::marker::PhantomData;

use bytes::{Buf, BufMut, Bytes};
use tonic::Status;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};

/// Request bytes as they are → the message; the answer → `R`.
#[derive(Debug)]
pub struct ExportCodec<R>(PhantomData<R>);

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
pub struct BytesEncoder;

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
pub struct ResponseDecoder<R>(PhantomData<R>);

impl<R: prost::Message + Default> Decoder for ResponseDecoder<R> {
    type Item = R;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<R>, Status> {
        let answer = R::decode(buf.copy_to_bytes(buf.remaining()))
            .map_err(|e| Status::internal(format!("undecodable answer: {e}")))?;
        Ok(Some(answer))
    }
}
