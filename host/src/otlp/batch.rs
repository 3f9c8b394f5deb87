//! [`Batch`]: one OTLP export request of one signal, with record-level
//! access for plugins.
//!
//! A batch is its bytes: the request as it arrived (validated and indexed
//! by [`wire`](super::wire)), read through the index, carved up by copying
//! byte ranges, and handed on as the same bytes when nothing changed it.
//! Only what needs `opentelemetry-proto` types decodes the request: the
//! accessors that return them by reference decode it once and keep it
//! beside the bytes; a mutation makes the decoded request the batch's
//! truth, and output encodes it again. A batch built from those types
//! (JSON, tests) starts out decoded.
//!
//! Records are numbered in document order (resource by resource, scope by
//! scope); for metrics one record is one data point. Accessors return
//! `None` for a record number that is out of range or of another signal,
//! and leave the choice of error to the caller.

use std::sync::OnceLock;

use bytes::Bytes;
use prost::Message;

use super::index::{self, RecordPath};
use super::wire::{self, Index};
use super::{
    Error, ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest,
    Result, Signal,
};

/// The request inside a batch.
#[derive(Clone, Debug, PartialEq)]
pub enum Payload {
    /// An OTLP logs export request.
    Logs(ExportLogsServiceRequest),
    /// An OTLP metrics export request.
    Metrics(ExportMetricsServiceRequest),
    /// An OTLP traces export request.
    Traces(ExportTraceServiceRequest),
}

impl Payload {
    fn signal(&self) -> Signal {
        match self {
            Payload::Logs(_) => Signal::Logs,
            Payload::Metrics(_) => Signal::Metrics,
            Payload::Traces(_) => Signal::Traces,
        }
    }

    fn encode(&self) -> Vec<u8> {
        match self {
            Payload::Logs(req) => req.encode_to_vec(),
            Payload::Metrics(req) => req.encode_to_vec(),
            Payload::Traces(req) => req.encode_to_vec(),
        }
    }

    fn decode(signal: Signal, bytes: &[u8]) -> Result<Payload, prost::DecodeError> {
        Ok(match signal {
            Signal::Logs => Payload::Logs(ExportLogsServiceRequest::decode(bytes)?),
            Signal::Metrics => Payload::Metrics(ExportMetricsServiceRequest::decode(bytes)?),
            Signal::Traces => Payload::Traces(ExportTraceServiceRequest::decode(bytes)?),
        })
    }
}

/// One OTLP export request of one signal.
#[derive(Clone, Debug)]
pub struct Batch {
    signal: Signal,
    repr: Repr,
}

#[derive(Clone, Debug)]
enum Repr {
    /// Unchanged since it was validated: the bytes are the truth.
    Wire(Wire),
    /// Changed, or built from decoded types: the decoded request is.
    Decoded(Decoded),
}

#[derive(Clone, Debug)]
pub(crate) struct Wire {
    pub bytes: Bytes,
    pub index: Index,
    /// The decoded request, once an accessor needed it (boxed: most
    /// batches never decode, and a batch moves by value through channels).
    decoded: OnceLock<Box<Decoded>>,
}

/// A decoded request and its record → position index.
#[derive(Clone, Debug)]
pub(crate) struct Decoded {
    pub payload: Payload,
    /// Built on first use, reset when the structure changes.
    paths: OnceLock<Vec<RecordPath>>,
}

impl Decoded {
    fn new(payload: Payload) -> Decoded {
        Decoded {
            payload,
            paths: OnceLock::new(),
        }
    }

    pub(crate) fn signal(&self) -> Signal {
        self.payload.signal()
    }

    pub(crate) fn path(&self, record: u32) -> Option<RecordPath> {
        self.paths
            .get_or_init(|| index::build(&self.payload))
            .get(record as usize)
            .copied()
    }

    fn len(&self) -> usize {
        match self.paths.get() {
            Some(paths) => paths.len(),
            None => index::count(&self.payload),
        }
    }

    /// The payload, for changes to its structure: resets the paths.
    pub(crate) fn payload_mut(&mut self) -> &mut Payload {
        self.paths.take();
        &mut self.payload
    }
}

impl PartialEq for Batch {
    fn eq(&self, other: &Self) -> bool {
        if let (Repr::Wire(a), Repr::Wire(b)) = (&self.repr, &other.repr)
            && a.bytes == b.bytes
        {
            return self.signal == other.signal;
        }
        self.payload() == other.payload()
    }
}

impl From<Payload> for Batch {
    fn from(payload: Payload) -> Self {
        Batch {
            signal: payload.signal(),
            repr: Repr::Decoded(Decoded::new(payload)),
        }
    }
}

impl From<ExportLogsServiceRequest> for Batch {
    fn from(req: ExportLogsServiceRequest) -> Self {
        Payload::Logs(req).into()
    }
}

impl From<ExportMetricsServiceRequest> for Batch {
    fn from(req: ExportMetricsServiceRequest) -> Self {
        Payload::Metrics(req).into()
    }
}

impl From<ExportTraceServiceRequest> for Batch {
    fn from(req: ExportTraceServiceRequest) -> Self {
        Payload::Traces(req).into()
    }
}

impl Batch {
    /// Validates and indexes an OTLP protobuf export request of `signal`,
    /// keeping `bytes` (without copying them) as the batch.
    pub fn from_bytes(signal: Signal, bytes: Bytes) -> Result<Batch> {
        let (bytes, index) =
            wire::parse(signal, bytes).map_err(|source| Error::Wire { signal, source })?;
        Ok(Batch::from_wire(signal, bytes, index))
    }

    /// Validates and indexes an OTLP protobuf export request of `signal`
    /// (a copy of `bytes`).
    pub fn decode(signal: Signal, bytes: &[u8]) -> Result<Batch> {
        Batch::from_bytes(signal, Bytes::copy_from_slice(bytes))
    }

    pub(crate) fn from_wire(signal: Signal, bytes: Bytes, index: Index) -> Batch {
        Batch {
            signal,
            repr: Repr::Wire(Wire {
                bytes,
                index,
                decoded: OnceLock::new(),
            }),
        }
    }

    /// The batch as an OTLP protobuf export request: the bytes it holds
    /// when nothing changed it (no copy), else its decoded request encoded.
    pub fn encode(&self) -> Bytes {
        match &self.repr {
            Repr::Wire(w) => w.bytes.clone(),
            Repr::Decoded(d) => d.payload.encode().into(),
        }
    }

    /// Bytes of the batch as an OTLP protobuf export request (without
    /// encoding it).
    pub fn encoded_len(&self) -> usize {
        match &self.repr {
            Repr::Wire(w) => w.bytes.len(),
            Repr::Decoded(d) => match &d.payload {
                Payload::Logs(req) => req.encoded_len(),
                Payload::Metrics(req) => req.encoded_len(),
                Payload::Traces(req) => req.encoded_len(),
            },
        }
    }

    /// An empty batch of `signal`.
    pub fn empty(signal: Signal) -> Batch {
        Batch::from_wire(signal, Bytes::new(), Index::empty(signal))
    }

    /// The batch's signal.
    pub fn signal(&self) -> Signal {
        self.signal
    }

    /// The bytes and their index, while the batch is unchanged.
    pub(crate) fn wire(&self) -> Option<&Wire> {
        match &self.repr {
            Repr::Wire(w) => Some(w),
            Repr::Decoded(_) => None,
        }
    }

    pub(crate) fn wire_mut(&mut self) -> Option<&mut Wire> {
        match &mut self.repr {
            Repr::Wire(w) => Some(w),
            Repr::Decoded(_) => None,
        }
    }

    /// The decoded request, decoding the bytes on first use.
    pub(crate) fn decoded(&self) -> &Decoded {
        match &self.repr {
            Repr::Decoded(d) => d,
            Repr::Wire(w) => w
                .decoded
                .get_or_init(|| Box::new(Decoded::new(decode_validated(self.signal, &w.bytes)))),
        }
    }

    /// The decoded request as the batch's truth from now on.
    pub(crate) fn decoded_mut(&mut self) -> &mut Decoded {
        if let Repr::Wire(w) = &mut self.repr {
            let decoded = w.decoded.take().map_or_else(
                || Decoded::new(decode_validated(self.signal, &w.bytes)),
                |d| *d,
            );
            self.repr = Repr::Decoded(decoded);
        }
        match &mut self.repr {
            Repr::Decoded(d) => d,
            Repr::Wire(_) => unreachable!("made decoded above"),
        }
    }

    /// The request inside, decoded.
    pub fn payload(&self) -> &Payload {
        &self.decoded().payload
    }

    /// The request inside, for changes to its structure (adding or
    /// removing records).
    pub fn payload_mut(&mut self) -> &mut Payload {
        self.decoded_mut().payload_mut()
    }

    /// Takes the request out.
    pub fn into_payload(mut self) -> Payload {
        self.decoded_mut();
        match self.repr {
            Repr::Decoded(d) => d.payload,
            Repr::Wire(_) => unreachable!("made decoded above"),
        }
    }

    /// Number of records: log records, spans or metric data points.
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Wire(w) => w.index.len(),
            Repr::Decoded(d) => d.len(),
        }
    }

    /// Whether the batch has no records.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Wire {
    /// Replaces the bytes and index (after a splice or a join).
    pub(crate) fn replace(&mut self, bytes: Bytes, index: Index) {
        self.bytes = bytes;
        self.index = index;
        self.decoded = OnceLock::new();
    }
}

/// Decodes bytes the walk accepted. The property tests in `wire` hold the
/// walk to accept only what prost decodes, so a failure here is a bug in
/// weir, not bad input: it is not hidden as an empty batch.
fn decode_validated(signal: Signal, bytes: &[u8]) -> Payload {
    Payload::decode(signal, bytes)
        .unwrap_or_else(|e| panic!("prost refused a {signal} request the byte walk accepted: {e}"))
}
