//! OTLP requests as bytes: one validating pass over an
//! `Export{Logs,Metrics,Trace}ServiceRequest` that records where each
//! resource, scope and record lies ([`Index`]), accessors that read
//! records straight from the bytes, and keep-a-subset by copying byte
//! ranges ([`Index::select`]).
//!
//! Why hand-written: decoding a request into `opentelemetry-proto`'s types
//! costs ~850 ns a record, most of it allocating strings and vectors that
//! a filter never reads; walking the bytes costs a small fraction of that
//! (DESIGN.md §7). No maintained crate walks protobuf by a schema without
//! materialising it (prost, quick-protobuf and protobuf-rs all decode into
//! structs), and the walk must refuse exactly what prost refuses, which
//! needs control over every rule; the schema it walks by is a table in
//! [`schema`]. The property tests in `tests` hold the walk, the accessors
//! and the splice to a full prost decode.

mod ascii;
mod columns;
mod fields;
mod index;
mod reader;
mod schema;
mod shortcuts;
mod splice;
mod walk;

#[cfg(test)]
mod arbitrary;
#[cfg(test)]
mod tests;

pub use columns::AttributeOwner;
pub use index::Index;

use bytes::Bytes;
use prost::Message;

use super::{ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest};
use crate::otlp::Signal;

/// Why bytes are not a valid export request.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("at byte {offset}: {reason}")]
pub struct Error {
    /// Where in the request the walk stopped.
    pub offset: usize,
    /// What was wrong there.
    pub reason: String,
}

impl Error {
    pub(crate) fn new(offset: usize, reason: impl Into<String>) -> Error {
        Error {
            offset,
            reason: reason.into(),
        }
    }
}

/// Validates `bytes` as an export request of `signal` and indexes it.
/// Returns the bytes the index describes: `bytes` itself, or, for the rare
/// request whose structure byte ranges cannot stand for (a metric with
/// more than one data field, which prost merges), its canonical
/// re-encoding.
pub fn parse(signal: Signal, bytes: Bytes) -> Result<(Bytes, Index), Error> {
    let walked = Index::walk(signal, &bytes)?;
    if walked.canonical {
        return Ok((bytes, walked.index));
    }
    let canonical = canonicalise(signal, &bytes)?;
    let walked = Index::walk(signal, &canonical)?;
    debug_assert!(walked.canonical, "prost's encoding has one data field");
    Ok((canonical, walked.index))
}

/// Decodes and re-encodes with prost.
fn canonicalise(signal: Signal, bytes: &[u8]) -> Result<Bytes, Error> {
    let fail = |e: prost::DecodeError| Error::new(0, e.to_string());
    Ok(match signal {
        Signal::Logs => ExportLogsServiceRequest::decode(bytes)
            .map_err(fail)?
            .encode_to_vec(),
        Signal::Metrics => ExportMetricsServiceRequest::decode(bytes)
            .map_err(fail)?
            .encode_to_vec(),
        Signal::Traces => ExportTraceServiceRequest::decode(bytes)
            .map_err(fail)?
            .encode_to_vec(),
    }
    .into())
}
