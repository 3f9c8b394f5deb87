//! Accessors that read records straight from the request's bytes through
//! the [`Index`]: severities, names and times of every record, and
//! attribute lookups, without decoding the rest of the request.
//!
//! They mirror what the same question asked of the decoded request
//! answers (the tests in `tests` compare them): the last occurrence of a
//! scalar field wins, a repeated field's occurrences are concatenated in
//! order, and an attribute lookup finds the first key that matches.

use prost::Message;

use super::Index;
use super::fields::{each_len, last_fixed64, last_str};
use super::index::Node;
use super::schema::{
    EXPONENTIAL_HISTOGRAM_FIELD, GAUGE_FIELD, HISTOGRAM_FIELD, SUM_FIELD, SUMMARY_FIELD,
};
use crate::otlp::Signal;
use crate::otlp::common::{AnyValue, KeyValue};

/// Whose attributes: the record's resource, its scope, or its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttributeOwner {
    /// The resource the record belongs to.
    Resource,
    /// The instrumentation scope the record belongs to.
    Scope,
    /// The record (log record, span, data point) itself.
    Record,
}

impl Index {
    /// Every log record's severity number in record order, clamped into a
    /// byte (empty for other signals).
    pub fn severity_numbers(&self, _bytes: &[u8]) -> Vec<u8> {
        if self.signal() != Signal::Logs {
            return Vec::new();
        }
        // Captured by the walk: no second pass over the records.
        self.records().iter().map(severity).collect()
    }

    /// Log record `record`'s severity number (as in
    /// [`Index::severity_numbers`]); `None` for other signals.
    pub fn severity_number(&self, _bytes: &[u8], record: usize) -> Option<u8> {
        if self.signal() != Signal::Logs {
            return None;
        }
        self.records().get(record).map(severity)
    }

    /// Every record's name in record order: a log record's event name, a
    /// span's name, a data point's metric name.
    pub fn names<'a>(&self, bytes: &'a [u8]) -> Vec<&'a str> {
        match self.signal() {
            Signal::Logs => self.records_str(bytes, 12),
            Signal::Traces => self.records_str(bytes, 5),
            Signal::Metrics => {
                let mut out = Vec::with_capacity(self.len());
                for metric in &self.levels[2] {
                    let name = last_str(metric.body(bytes), 1);
                    let points: usize = self.levels[3][metric.child_range()]
                        .iter()
                        .map(|d| d.child_range().len())
                        .sum();
                    out.extend(std::iter::repeat_n(name, points));
                }
                out
            }
        }
    }

    /// Record `record`'s name (as in [`Index::names`]).
    pub fn name<'a>(&self, bytes: &'a [u8], record: usize) -> Option<&'a str> {
        let node = self.records().get(record)?;
        Some(match self.signal() {
            Signal::Logs => last_str(node.body(bytes), 12),
            Signal::Traces => last_str(node.body(bytes), 5),
            Signal::Metrics => last_str(self.ancestor(record, 2)?.body(bytes), 1),
        })
    }

    fn records_str<'a>(&self, bytes: &'a [u8], field: u32) -> Vec<&'a str> {
        self.records()
            .iter()
            .map(|r| last_str(r.body(bytes), field))
            .collect()
    }

    /// Record `record`'s time: a log record's `time_unix_nano`, a span's
    /// `start_time_unix_nano`, a data point's `time_unix_nano`.
    pub fn time_unix_nano(&self, bytes: &[u8], record: usize) -> Option<u64> {
        let node = self.records().get(record)?;
        let field = match self.signal() {
            Signal::Logs => 1,
            Signal::Traces => 7,
            Signal::Metrics => 3,
        };
        Some(last_fixed64(node.body(bytes), field).unwrap_or(0))
    }

    /// The value of attribute `key` of record `record`'s `owner` (the
    /// first that matches, as OTLP consumers read it); `None` when there is
    /// no such attribute or no such record.
    pub fn attribute(
        &self,
        bytes: &[u8],
        owner: AttributeOwner,
        record: usize,
        key: &str,
    ) -> Option<AnyValue> {
        if record >= self.len() {
            return None;
        }
        let mut found = None;
        self.for_each_attribute(bytes, owner, record, |kv| {
            if last_str(kv, 1) != key {
                return true;
            }
            found = Some(decode_value(kv));
            false
        });
        found
    }

    /// Attribute `key` of every record's `owner`, in record order. A
    /// resource's or scope's answer is looked up once and repeated for its
    /// records.
    pub fn attribute_column(
        &self,
        bytes: &[u8],
        owner: AttributeOwner,
        key: &str,
    ) -> Vec<Option<AnyValue>> {
        let mut out = Vec::with_capacity(self.len());
        let mut last: Option<(u32, Option<AnyValue>)> = None;
        for record in 0..self.len() {
            let shared = match owner {
                AttributeOwner::Record => None,
                AttributeOwner::Resource => self.resource_of(record).map(|n| n.start),
                AttributeOwner::Scope => self.scope_of(record).map(|n| n.start),
            };
            match (&last, shared) {
                (Some((at, value)), Some(start)) if *at == start => out.push(value.clone()),
                _ => {
                    let value = self.attribute(bytes, owner, record, key);
                    if let Some(start) = shared {
                        last = Some((start, value.clone()));
                    }
                    out.push(value);
                }
            }
        }
        out
    }

    /// Every attribute of record `record`'s `owner`, decoded.
    pub fn attributes(&self, bytes: &[u8], owner: AttributeOwner, record: usize) -> Vec<KeyValue> {
        let mut out = Vec::new();
        self.for_each_attribute(bytes, owner, record, |kv| {
            // Validated by the walk; a failure here would be a bug, and an
            // attribute left out is the least harmful answer to it.
            if let Ok(kv) = KeyValue::decode(kv) {
                out.push(kv);
            }
            true
        });
        out
    }

    /// Calls `f` with the bytes of each `KeyValue` of record `record`'s
    /// `owner`, in order, until it returns false.
    fn for_each_attribute(
        &self,
        bytes: &[u8],
        owner: AttributeOwner,
        record: usize,
        mut f: impl FnMut(&[u8]) -> bool,
    ) {
        // (the message holding the list, the field of the list in it), for
        // each message the attributes may be spread over: a resource or
        // scope field may occur more than once, and prost merges them.
        let (holder, list_field, inner) = match owner {
            AttributeOwner::Resource => match self.resource_of(record) {
                Some(n) => (n, 1, Some(1)),
                None => return,
            },
            AttributeOwner::Scope => match self.scope_of(record) {
                Some(n) => (n, 1, Some(3)),
                None => return,
            },
            AttributeOwner::Record => {
                let Some(n) = self.records().get(record) else {
                    return;
                };
                let field = match self.signal() {
                    Signal::Logs => 6,
                    Signal::Traces => 9,
                    Signal::Metrics => match self.ancestor(record, 1).map(|d| d.field) {
                        Some(GAUGE_FIELD | SUM_FIELD | SUMMARY_FIELD) => 7,
                        Some(HISTOGRAM_FIELD) => 9,
                        Some(EXPONENTIAL_HISTOGRAM_FIELD) => 1,
                        _ => return,
                    },
                };
                (n, field, None)
            }
        };
        let body = holder.body(bytes);
        match inner {
            None => {
                for (kv, _) in each_len(body, 0, list_field) {
                    if !f(kv) {
                        return;
                    }
                }
            }
            Some(attrs_field) => {
                for (owner_body, _) in each_len(body, 0, list_field) {
                    for (kv, _) in each_len(owner_body, 0, attrs_field) {
                        if !f(kv) {
                            return;
                        }
                    }
                }
            }
        }
    }
}

/// A log record's severity number (captured by the walk), clamped into a
/// byte.
fn severity(record: &Node) -> u8 {
    // An enum is an int32: prost truncates the varint to 32 bits.
    let n = record.value as i32;
    n.clamp(0, u8::MAX as i32) as u8
}

/// The value of a validated `KeyValue`'s bytes; an absent value reads as
/// an empty `AnyValue`, as `find_attribute` gives it.
fn decode_value(kv: &[u8]) -> AnyValue {
    KeyValue::decode(kv)
        .ok()
        .and_then(|kv| kv.value)
        .unwrap_or_default()
}
