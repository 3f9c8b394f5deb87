//! Which offsets may be committed: per partition, the messages taken and
//! not yet finished. The committable position of a partition is its
//! oldest unfinished offset, or one past the newest taken when none is
//! unfinished — never past a message still being exported, whatever order
//! the exports finish in. This is the at-least-once rule the Collector's
//! receiver broke (offsets committed for unprocessed messages).
//!
//! Each assignment of a partition has an epoch: an export that finishes
//! after its partition was revoked (and perhaps assigned back) reports
//! the epoch it started in, and is ignored, so it cannot move a later
//! assignment's position.

use std::collections::{BTreeSet, HashMap};

/// A partition: topic and number.
pub type PartitionKey = (String, i32);

#[derive(Debug)]
struct Partition {
    epoch: u64,
    unfinished: BTreeSet<i64>,
    /// One past the newest offset taken, if any was.
    next: Option<i64>,
    /// The last position committed (or handed out to commit).
    committed: Option<i64>,
}

/// The offsets of every assigned partition.
#[derive(Debug, Default)]
pub struct Offsets {
    partitions: HashMap<PartitionKey, Partition>,
    epochs: u64,
}

impl Offsets {
    /// Starts tracking `partition` (newly assigned); returns its epoch.
    pub fn assign(&mut self, partition: PartitionKey) -> u64 {
        self.epochs += 1;
        let epoch = self.epochs;
        self.partitions.insert(
            partition,
            Partition {
                epoch,
                unfinished: BTreeSet::new(),
                next: None,
                committed: None,
            },
        );
        epoch
    }

    /// Stops tracking `partition` (revoked).
    pub fn revoke(&mut self, partition: &PartitionKey) {
        self.partitions.remove(partition);
    }

    /// The current epoch of `partition`, if assigned.
    pub fn epoch(&self, partition: &PartitionKey) -> Option<u64> {
        self.partitions.get(partition).map(|p| p.epoch)
    }

    /// Records that `offset` of `partition` was taken; returns the
    /// partition's epoch. A partition not yet tracked is assigned here, in
    /// case a message comes before its rebalance callback was seen.
    pub fn take(&mut self, partition: &PartitionKey, offset: i64) -> u64 {
        if !self.partitions.contains_key(partition) {
            self.assign(partition.clone());
        }
        let p = self.partitions.get_mut(partition).expect("assigned above");
        p.unfinished.insert(offset);
        p.next = Some(p.next.map_or(offset + 1, |n| n.max(offset + 1)));
        p.epoch
    }

    /// Records that `offset` of `partition`, taken in `epoch`, is done
    /// (exported, or dead-lettered). Returns whether it counted.
    pub fn finish(&mut self, partition: &PartitionKey, epoch: u64, offset: i64) -> bool {
        match self.partitions.get_mut(partition) {
            Some(p) if p.epoch == epoch => p.unfinished.remove(&offset),
            _ => false,
        }
    }

    /// Whether `offset` of `partition` in `epoch` is still tracked.
    pub fn is_current(&self, partition: &PartitionKey, epoch: u64) -> bool {
        self.epoch(partition) == Some(epoch)
    }

    /// Unfinished messages, in all partitions or in `only` those.
    #[cfg(test)]
    pub fn unfinished(&self, only: Option<&[PartitionKey]>) -> usize {
        self.partitions
            .iter()
            .filter(|(k, _)| only.is_none_or(|only| only.contains(k)))
            .map(|(_, p)| p.unfinished.len())
            .sum()
    }

    /// The positions to commit that moved since the last call, for all
    /// partitions or `only` those; marks them as committed.
    pub fn take_commit_positions(
        &mut self,
        only: Option<&[PartitionKey]>,
    ) -> Vec<(PartitionKey, i64)> {
        let mut out = Vec::new();
        for (key, p) in &mut self.partitions {
            if only.is_some_and(|only| !only.contains(key)) {
                continue;
            }
            let position = match p.unfinished.first() {
                Some(&oldest) => Some(oldest),
                None => p.next,
            };
            if let Some(position) = position
                && p.committed != Some(position)
            {
                p.committed = Some(position);
                out.push((key.clone(), position));
            }
        }
        out.sort();
        out
    }

    /// Forgets that positions were committed (a commit failed), so they
    /// are handed out again.
    pub fn uncommit(&mut self, positions: &[(PartitionKey, i64)]) {
        for (key, position) in positions {
            if let Some(p) = self.partitions.get_mut(key)
                && p.committed == Some(*position)
            {
                p.committed = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(p: i32) -> PartitionKey {
        ("otlp_logs".to_string(), p)
    }

    #[test]
    fn commits_stop_at_the_oldest_unfinished_message() {
        let mut offsets = Offsets::default();
        let epoch = offsets.take(&key(0), 10);
        offsets.take(&key(0), 11);
        offsets.take(&key(0), 12);
        // 11 and 12 finish first: nothing may be committed past 10.
        assert!(offsets.finish(&key(0), epoch, 12));
        assert!(offsets.finish(&key(0), epoch, 11));
        assert_eq!(offsets.take_commit_positions(None), vec![(key(0), 10)]);
        // Nothing moved: nothing new to commit.
        assert_eq!(offsets.take_commit_positions(None), vec![]);
        assert!(offsets.finish(&key(0), epoch, 10));
        assert_eq!(offsets.take_commit_positions(None), vec![(key(0), 13)]);
        assert_eq!(offsets.unfinished(None), 0);
    }

    #[test]
    fn gaps_in_offsets_do_not_hold_commits_back() {
        let mut offsets = Offsets::default();
        let epoch = offsets.take(&key(1), 5);
        offsets.take(&key(1), 9);
        offsets.finish(&key(1), epoch, 5);
        offsets.finish(&key(1), epoch, 9);
        assert_eq!(offsets.take_commit_positions(None), vec![(key(1), 10)]);
    }

    #[test]
    fn a_late_finish_from_an_earlier_assignment_is_ignored() {
        let mut offsets = Offsets::default();
        let old = offsets.take(&key(0), 1);
        offsets.revoke(&key(0));
        let new = offsets.assign(key(0));
        offsets.take(&key(0), 1);
        assert!(!offsets.finish(&key(0), old, 1));
        assert_eq!(offsets.unfinished(None), 1);
        assert!(offsets.finish(&key(0), new, 1));
    }

    #[test]
    fn commits_can_be_limited_to_some_partitions_and_retried() {
        let mut offsets = Offsets::default();
        let a = offsets.take(&key(0), 0);
        let b = offsets.take(&key(1), 0);
        offsets.finish(&key(0), a, 0);
        offsets.finish(&key(1), b, 0);
        let only = [key(1)];
        let positions = offsets.take_commit_positions(Some(&only));
        assert_eq!(positions, vec![(key(1), 1)]);
        offsets.uncommit(&positions);
        assert_eq!(
            offsets.take_commit_positions(None),
            vec![(key(0), 1), (key(1), 1)]
        );
    }
}
