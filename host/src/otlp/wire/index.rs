//! Where each resource, scope and record of a request lies in its bytes:
//! one vector of [`Node`]s per level of the request's structure, each node
//! knowing its parent and its children on the next level down.
//!
//! Logs and traces have three levels (resource, scope, record); metrics
//! have five (resource, scope, metric, the metric's data — gauge, sum,
//! histogram, exponential histogram or summary — and data point). The
//! last level holds the records, in document order, which is the record
//! numbering plugins see.

use super::Error;
use super::reader::Reason;
use super::schema::{self, Schema};
use super::walk::{RECURSION_LIMIT, walk};
use crate::otlp::Signal;

/// One embedded message of the structure: byte positions are offsets into
/// the request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Node {
    /// The first byte of the field's key.
    pub start: u32,
    /// Bytes of the key alone (the length follows it).
    pub key_len: u8,
    /// The first byte of the message itself.
    pub body_start: u32,
    /// One past the message's last byte.
    pub end: u32,
    /// The field number it is under in its parent (for a metric's data,
    /// which of the oneof's types it is).
    pub field: u32,
    /// Its parent's position on the level above (0 on level 0).
    pub parent: u32,
    /// Its children's positions on the level below, as a range.
    pub children: (u32, u32),
    /// The varint its schema captures (a log record's severity number),
    /// as read; 0 when absent, as prost defaults it.
    pub value: u64,
}

impl Node {
    pub(crate) fn body<'a>(&self, bytes: &'a [u8]) -> &'a [u8] {
        &bytes[self.body_start as usize..self.end as usize]
    }

    pub(crate) fn child_range(&self) -> std::ops::Range<usize> {
        self.children.0 as usize..self.children.1 as usize
    }
}

/// The index of one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Index {
    signal: Signal,
    pub(crate) levels: Vec<Vec<Node>>,
}

/// Collects nodes during the walk.
pub(crate) struct Builder {
    pub levels: Vec<Vec<Node>>,
    /// False once a metric holds more than one data field: prost merges
    /// or replaces such oneof values, which copying byte ranges would not
    /// reproduce, so the request is re-encoded before it is indexed.
    pub canonical: bool,
}

impl Builder {
    fn new(levels: usize) -> Builder {
        Builder {
            levels: vec![Vec::new(); levels],
            canonical: true,
        }
    }

    /// Records a node on `level` under the last node of the level above;
    /// returns its position for [`Builder::close`].
    pub(crate) fn open(&mut self, level: usize, mut node: Node, parent_one_child: bool) -> usize {
        let below = self.levels.get(level + 1).map_or(0, Vec::len) as u32;
        node.children = (below, below);
        if level > 0 {
            let parent_at = self.levels[level - 1].len() - 1;
            node.parent = parent_at as u32;
            let parent = &self.levels[level - 1][parent_at];
            if parent_one_child && self.levels[level].len() as u32 > parent.children.0 {
                self.canonical = false;
            }
        }
        self.levels[level].push(node);
        self.levels[level].len() - 1
    }

    /// Ends node `at` of `level`: its children are what was recorded on
    /// the level below since it was opened.
    pub(crate) fn close(&mut self, level: usize, at: usize) {
        let below = self.levels.get(level + 1).map_or(0, Vec::len) as u32;
        self.levels[level][at].children.1 = below;
    }
}

/// The request schema and number of levels of a signal.
fn shape(signal: Signal) -> (&'static Schema, usize) {
    match signal {
        Signal::Logs => (&schema::LOGS_REQUEST, 3),
        Signal::Traces => (&schema::TRACE_REQUEST, 3),
        Signal::Metrics => (&schema::METRICS_REQUEST, 5),
    }
}

/// What the walk found: the index, and whether byte ranges can stand for
/// the records (see [`Builder::canonical`]).
pub(crate) struct Walked {
    pub index: Index,
    pub canonical: bool,
}

impl Index {
    /// Validates `bytes` as an export request of `signal` and indexes it.
    pub(crate) fn walk(signal: Signal, bytes: &[u8]) -> Result<Walked, Error> {
        if bytes.len() > u32::MAX as usize {
            return Err(Error::new(0, Reason::TooLarge.to_string()));
        }
        let (request, levels) = shape(signal);
        let mut builder = Builder::new(levels);
        walk(bytes, 0, request, RECURSION_LIMIT, None, &mut builder)?;
        Ok(Walked {
            canonical: builder.canonical,
            index: Index {
                signal,
                levels: builder.levels,
            },
        })
    }

    /// The index of an empty request.
    pub fn empty(signal: Signal) -> Index {
        Index {
            signal,
            levels: vec![Vec::new(); shape(signal).1],
        }
    }

    pub(crate) fn from_levels(signal: Signal, levels: Vec<Vec<Node>>) -> Index {
        Index { signal, levels }
    }

    /// The signal of the request.
    pub fn signal(&self) -> Signal {
        self.signal
    }

    /// Number of records (log records, spans, data points).
    pub fn len(&self) -> usize {
        self.records().len()
    }

    /// Whether there are no records.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The record nodes, in record order.
    pub(crate) fn records(&self) -> &[Node] {
        self.levels.last().expect("at least three levels")
    }

    /// The node `steps` levels above record `record` (1: its scope for
    /// logs and traces, its data for metrics).
    pub(crate) fn ancestor(&self, record: usize, steps: usize) -> Option<&Node> {
        let last = self.levels.len() - 1;
        let mut node = self.levels[last].get(record)?;
        for level in (last - steps..last).rev() {
            node = &self.levels[level][node.parent as usize];
        }
        Some(node)
    }

    /// The resource node (level 0) of record `record`.
    pub(crate) fn resource_of(&self, record: usize) -> Option<&Node> {
        self.ancestor(record, self.levels.len() - 1)
    }

    /// The scope node (level 1) of record `record`.
    pub(crate) fn scope_of(&self, record: usize) -> Option<&Node> {
        self.ancestor(record, self.levels.len() - 2)
    }

    /// Appends `other`, the index of a request whose bytes are appended
    /// after `self_len` bytes of this one's.
    pub fn append(&mut self, other: &Index, self_len: u32) {
        let counts: Vec<u32> = self.levels.iter().map(|l| l.len() as u32).collect();
        for (level, nodes) in other.levels.iter().enumerate() {
            let parent_shift = if level > 0 { counts[level - 1] } else { 0 };
            let child_shift = counts.get(level + 1).copied().unwrap_or(0);
            self.levels[level].extend(nodes.iter().map(|n| Node {
                start: n.start + self_len,
                body_start: n.body_start + self_len,
                end: n.end + self_len,
                parent: n.parent + parent_shift,
                children: (n.children.0 + child_shift, n.children.1 + child_shift),
                ..*n
            }));
        }
    }
}
