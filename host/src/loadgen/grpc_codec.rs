//! The client side of a codec that does not encode: `weir gen` sends its
//! pre-built request bytes as the gRPC message, as it sends them as the
//! HTTP body, so that both transports cost the generator the same and a
//! comparison of weir's receivers is not skewed by the generator
//! re-encoding every request for gRPC. The answer is read and dropped.

use bytes::{Buf, BufMut, Bytes};
use tonic::Status;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};

/// Request bytes → the message as is; the response → ignored.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct BytesCodec;

impl Codec for BytesCodec {
    type Encode = Bytes;
    type Decode = ();
    type Encoder = BytesEncoder;
    type Decoder = IgnoreDecoder;

    fn encoder(&mut self) -> BytesEncoder {
        BytesEncoder
    }

    fn decoder(&mut self) -> IgnoreDecoder {
        IgnoreDecoder
    }
}

#[derive(Debug)]
pub(super) struct BytesEncoder;

impl Encoder for BytesEncoder {
    type Item = Bytes;
    type Error = Status;

    fn encode(&mut self, item: Bytes, buf: &mut EncodeBuf<'_>) -> Result<(), Status> {
        buf.put(item);
        Ok(())
    }
}

#[derive(Debug)]
pub(super) struct IgnoreDecoder;

impl Decoder for IgnoreDecoder {
    type Item = ();
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<()>, Status> {
        buf.advance(buf.remaining());
        Ok(Some(()))
    }
}
