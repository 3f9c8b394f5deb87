//! Keeping a subset of a request's records by copying byte ranges: the
//! kept records' bytes are copied as they are, and each enclosing scope,
//! resource (and metric, and metric data) gets its length rewritten. The
//! output's index is built while writing, so the result needs no second
//! walk.
//!
//! What is kept matches `Batch::retain` on the decoded request: a record
//! stays if its flag is set; a scope, metric or resource stays if any
//! record under it stays, and goes otherwise (with no empty shells left
//! downstream, as the Collector's filter processor does). Everything else
//! in a kept message — unknown fields included — is copied unchanged.

use super::index::{Index, Node};
use super::reader::{put_varint, varint_len};

/// Per node: whether anything under it is kept, whether all of it is
/// (then its bytes, length varint included, are copied unchanged), and
/// the length of its body once spliced.
#[derive(Clone, Copy, Default)]
struct Plan {
    kept: bool,
    whole: bool,
    body_len: u32,
}

impl Index {
    /// The request holding only the records whose flag in `keep` is set
    /// (one flag per record, in record order), and its index. `None` when
    /// that is this very request, unchanged.
    pub fn select(&self, bytes: &[u8], keep: &[bool]) -> Option<(Vec<u8>, Index)> {
        assert_eq!(keep.len(), self.len(), "one flag per record");
        let plans = self.plan(keep);
        if plans[0].iter().all(|p| p.whole) {
            return None;
        }
        let kept_bytes: usize = self.levels[0]
            .iter()
            .zip(&plans[0])
            .filter(|(_, p)| p.kept)
            .map(|(n, p)| header_len(n, p) + p.body_len as usize)
            .sum();
        let mut out = Vec::with_capacity(kept_bytes);
        let mut levels = vec![Vec::new(); self.levels.len()];
        *levels.last_mut().expect("at least three levels") =
            Vec::with_capacity(keep.iter().filter(|&&k| k).count());
        let splice = Splice {
            index: self,
            bytes,
            keep,
            plans: &plans,
        };
        for (n, plan) in plans[0].iter().enumerate() {
            if plan.kept {
                splice.write(0, n, 0, &mut out, &mut levels);
            }
        }
        Some((out, Index::from_levels(self.signal(), levels)))
    }

    /// Works out, bottom-up, what stays of every node above the records.
    fn plan(&self, keep: &[bool]) -> Vec<Vec<Plan>> {
        let depth = self.levels.len();
        let mut plans: Vec<Vec<Plan>> = vec![Vec::new(); depth - 1];
        // Right above the records: a record stays whole or goes, as its
        // flag says, so its parent's body loses the bytes of those that go.
        // (Counted without a branch per record: this loop runs for every
        // record of every filtered batch.)
        let records = &self.levels[depth - 1];
        plans[depth - 2] = self.levels[depth - 2]
            .iter()
            .map(|node| {
                let range = node.child_range();
                let (mut kept, mut gone_bytes) = (0, 0);
                for (record, &k) in records[range.clone()].iter().zip(&keep[range.clone()]) {
                    kept += usize::from(k);
                    gone_bytes += u32::from(!k) * (record.end - record.start);
                }
                Plan {
                    kept: kept > 0,
                    whole: kept > 0 && kept == range.len(),
                    body_len: node.end - node.body_start - gone_bytes,
                }
            })
            .collect();
        for level in (0..depth - 2).rev() {
            let (above, below) = plans.split_at_mut(level + 1);
            let (children, below) = (&self.levels[level + 1], &below[0]);
            above[level] = self.levels[level]
                .iter()
                .map(|node| {
                    let range = node.child_range();
                    let mut plan = Plan {
                        kept: false,
                        whole: !range.is_empty(),
                        body_len: node.end - node.body_start,
                    };
                    for c in range {
                        let (child, p) = (&children[c], below[c]);
                        plan.kept |= p.kept;
                        plan.whole &= p.whole;
                        plan.body_len -= child.end - child.start;
                        if p.kept {
                            plan.body_len += (header_len(child, &p) as u32) + p.body_len;
                        }
                    }
                    plan
                })
                .collect();
        }
        plans
    }
}

/// One splice: the request, its flags and the plans of the nodes above
/// the records.
struct Splice<'a> {
    index: &'a Index,
    bytes: &'a [u8],
    keep: &'a [bool],
    plans: &'a [Vec<Plan>],
}

impl Splice<'_> {
    /// Writes kept node `n` of `level` (above the records; under new
    /// parent `parent`) and what is kept under it, recording the new
    /// positions in `levels`.
    fn write(
        &self,
        level: usize,
        n: usize,
        parent: u32,
        out: &mut Vec<u8>,
        levels: &mut [Vec<Node>],
    ) {
        let (bytes, index) = (self.bytes, self.index);
        let node = &index.levels[level][n];
        let plan = &self.plans[level][n];
        let start = out.len() as u32;
        if plan.whole {
            out.extend_from_slice(&bytes[node.start as usize..node.body_start as usize]);
        } else {
            let key = node.start as usize..node.start as usize + node.key_len as usize;
            out.extend_from_slice(&bytes[key]);
            put_varint(out, u64::from(plan.body_len));
        }
        let body_start = out.len() as u32;
        let at = levels[level].len();
        let below = levels[level + 1].len() as u32;
        levels[level].push(Node {
            start,
            body_start,
            parent,
            children: (below, below),
            ..*node
        });
        // The body is copied in as few pieces as possible: the bytes from
        // `pending` on are still to be copied as they are, which takes in
        // every record kept, so a run of kept records (and the fields
        // between them) is one copy. One copy per record and gap was 1.4
        // `memcpy` calls per record at 20% kept, most of them of nothing,
        // and 5% of the filter's CPU.
        let records_below = level + 2 == index.levels.len();
        let mut pending = node.body_start as usize;
        for c in node.child_range() {
            let child = &index.levels[level + 1][c];
            if records_below {
                if self.keep[c] {
                    // Its place in the output: after what is copied so
                    // far and the pending bytes before it.
                    let at_out = (out.len() + (child.start as usize - pending)) as u32;
                    levels[level + 1].push(Node {
                        start: at_out,
                        body_start: at_out + (child.body_start - child.start),
                        end: at_out + (child.end - child.start),
                        parent: at as u32,
                        children: (0, 0),
                        ..*child
                    });
                    continue;
                }
                // Most dropped records follow another dropped one: nothing
                // pending to copy.
                if pending < child.start as usize {
                    out.extend_from_slice(&bytes[pending..child.start as usize]);
                }
            } else {
                out.extend_from_slice(&bytes[pending..child.start as usize]);
                if self.plans[level + 1][c].kept {
                    self.write(level + 1, c, at as u32, out, levels);
                }
            }
            pending = child.end as usize;
        }
        out.extend_from_slice(&bytes[pending..node.end as usize]);
        let end = out.len() as u32;
        let below = levels[level + 1].len() as u32;
        let written = &mut levels[level][at];
        written.end = end;
        written.children.1 = below;
        debug_assert_eq!(end - body_start, plan.body_len);
    }
}

/// Bytes of a node's key and length once spliced.
fn header_len(node: &Node, plan: &Plan) -> usize {
    if plan.whole {
        (node.body_start - node.start) as usize
    } else {
        node.key_len as usize + varint_len(u64::from(plan.body_len))
    }
}
