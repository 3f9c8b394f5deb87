//! A tonic codec that does not decode: the request message reaches the
//! service as its bytes (split off tonic's buffer, not copied), so that
//! OTLP/gRPC requests are validated and batched by the same byte path as
//! OTLP/HTTP ones. The response is the empty message: every
//! `Export*ServiceResponse` without a partial success encodes to nothing.

use bytes::{Buf, Bytes};
use tonic::Status;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};

/// Request message → its bytes; `()` → the empty response message.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct RawCodec;

impl Codec for RawCodec {
    type Encode = ();
    type Decode = Bytes;
    type Encoder = EmptyEncoder;
    type Decoder = BytesDecoder;

    fn encoder(&mut self) -> EmptyEncoder {
        EmptyEncoder
    }

    fn decoder(&mut self) -> BytesDecoder {
        BytesDecoder
    }
}

#[derive(Debug)]
pub(super) struct EmptyEncoder;

impl Encoder for EmptyEncoder {
    type Item = ();
    type Error = Status;

    fn encode(&mut self, _: (), _: &mut EncodeBuf<'_>) -> Result<(), Status> {
        Ok(())
    }
}

#[derive(Debug)]
pub(super) struct BytesDecoder;

impl Decoder for BytesDecoder {
    type Item = Bytes;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Status> {
        Ok(Some(buf.copy_to_bytes(buf.remaining())))
    }
}
