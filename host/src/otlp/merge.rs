//! Joining batches: how the batch processor turns many small requests into
//! one large batch. An OTLP request is a list of resources, so joining two
//! requests of one signal is appending one list to the other, exactly as
//! concatenating their protobuf encodings would — which is what joining
//! two unchanged batches does: their bytes are concatenated (into this
//! batch's buffer when it owns it, so a batcher's joins are amortised) and
//! the second index is shifted onto the first.

use bytes::BytesMut;

use super::{Batch, Payload};

impl Batch {
    /// Appends `other`'s records (with their resources and scopes) to this
    /// batch. Returns `other` back if its signal differs.
    pub fn append(&mut self, other: Batch) -> Result<(), Batch> {
        if other.signal() != self.signal() {
            return Err(other);
        }
        // Joining onto nothing at all (not merely no records: empty
        // resources still count) is taking the other batch.
        if self.wire().is_some_and(|w| w.bytes.is_empty()) && other.wire().is_some() {
            *self = other;
            return Ok(());
        }
        if let (Some(a), Some(b)) = (self.wire(), other.wire())
            && a.bytes.len() + b.bytes.len() <= u32::MAX as usize
        {
            let b_bytes = b.bytes.clone();
            let b_index = b.index.clone();
            let a = self.wire_mut().expect("checked above");
            let at = a.bytes.len();
            let mut joined = std::mem::take(&mut a.bytes)
                .try_into_mut()
                .unwrap_or_else(|shared| BytesMut::from(&shared[..]));
            joined.extend_from_slice(&b_bytes);
            let mut index = a.index.clone();
            index.append(&b_index, at as u32);
            a.replace(joined.freeze(), index);
            return Ok(());
        }
        match (self.payload_mut(), other.into_payload()) {
            (Payload::Logs(a), Payload::Logs(b)) => a.resource_logs.extend(b.resource_logs),
            (Payload::Metrics(a), Payload::Metrics(b)) => {
                a.resource_metrics.extend(b.resource_metrics)
            }
            (Payload::Traces(a), Payload::Traces(b)) => a.resource_spans.extend(b.resource_spans),
            _ => unreachable!("signals checked above"),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otlp::logs::{LogRecord, ResourceLogs, ScopeLogs};
    use crate::otlp::{ExportLogsServiceRequest, Signal};

    fn logs(n: usize) -> Batch {
        ExportLogsServiceRequest {
            resource_logs: vec![ResourceLogs {
                scope_logs: vec![ScopeLogs {
                    log_records: vec![LogRecord::default(); n],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        }
        .into()
    }

    #[test]
    fn appending_keeps_every_record_and_refuses_other_signals() {
        let mut a = logs(2);
        a.append(logs(3)).unwrap();
        assert_eq!(a.len(), 5);
        assert!(a.append(Batch::empty(Signal::Traces)).is_err());
        assert_eq!(a.len(), 5);
        // The same bytes as concatenating the two encodings.
        let mut joined = logs(2).encode().to_vec();
        joined.extend(logs(3).encode());
        assert_eq!(Batch::decode(Signal::Logs, &joined).unwrap(), a);
    }
}
