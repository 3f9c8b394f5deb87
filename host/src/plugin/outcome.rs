//! Applying a plugin's outcome to its batch: which records go on, which go
//! to named routes, which are dropped.
//!
//! The outcome is checked before anything is touched, so a plugin naming a
//! record that does not exist fails cleanly. Each destination gets the
//! records it was given; the last destination takes the batch itself
//! (filtered in place), the others get copies, so the common cases — keep
//! all, drop some, send everything to one route — copy nothing.

use crate::otlp::Batch;

use super::bindings::{Outcome, Selection};

/// The route a failed batch goes to under [`FailurePolicy::DeadLetter`](super::FailurePolicy).
pub const DEAD_LETTER_ROUTE: &str = "dead-letter";

/// A batch after a plugin: what continues, what was routed, what was
/// dropped.
#[derive(Debug, Default)]
pub struct Routed {
    /// Records that continue down the pipeline, if any.
    pub keep: Option<Batch>,
    /// Records sent to named routes, one batch per route name, in the
    /// order the plugin first named them.
    pub routes: Vec<(String, Batch)>,
    /// How many records were neither kept nor routed.
    pub dropped: usize,
    /// The dropped records themselves, when the caller asked for them
    /// (`weir plugin run` shows them; the daemon only counts them).
    pub dropped_records: Option<Batch>,
}

impl Routed {
    /// Everything continues unchanged.
    pub fn keep_all(batch: Batch) -> Routed {
        Routed {
            keep: Some(batch),
            ..Routed::default()
        }
    }

    /// Everything goes to one route.
    pub fn route_all(route: &str, batch: Batch) -> Routed {
        Routed {
            routes: vec![(route.to_string(), batch)],
            ..Routed::default()
        }
    }

    /// Records kept.
    pub fn kept(&self) -> usize {
        self.keep.as_ref().map_or(0, Batch::len)
    }

    /// Records routed, over all routes (a record sent to two routes counts
    /// twice).
    pub fn routed(&self) -> usize {
        self.routes.iter().map(|(_, b)| b.len()).sum()
    }
}

/// Where one share of the batch goes.
enum Destination {
    Keep,
    Route(String),
}

/// Applies `outcome` to `batch`. Fails, without touching the batch's
/// records, if the outcome names a record out of range or an empty route.
pub(crate) fn apply(
    batch: Batch,
    outcome: Outcome,
    keep_dropped: bool,
) -> Result<Routed, (Batch, String)> {
    // The common cases, without a flag per record: keep all, drop all.
    if outcome.routes.is_empty() {
        match outcome.keep {
            Selection::All => return Ok(Routed::keep_all(batch)),
            Selection::None => {
                return Ok(Routed {
                    dropped: batch.len(),
                    dropped_records: keep_dropped.then_some(batch),
                    ..Routed::default()
                });
            }
            Selection::Some(_) => {}
        }
    }
    let n = batch.len();
    let keep = match to_mask(&outcome.keep, n) {
        Ok(mask) => mask,
        Err(msg) => return Err((batch, format!("`keep`: {msg}"))),
    };
    // Merge routes that share a name, keeping first-mention order.
    let mut shares: Vec<(Destination, Vec<bool>)> = Vec::new();
    for route in &outcome.routes {
        if route.name.is_empty() {
            return Err((batch, "a route has an empty name".to_string()));
        }
        let mask = match to_mask(&route.records, n) {
            Ok(mask) => mask,
            Err(msg) => return Err((batch, format!("route `{}`: {msg}", route.name))),
        };
        let existing = shares
            .iter_mut()
            .find(|(d, _)| matches!(d, Destination::Route(name) if *name == route.name));
        match existing {
            Some((_, m)) => m.iter_mut().zip(&mask).for_each(|(a, b)| *a |= b),
            None => shares.push((Destination::Route(route.name.clone()), mask)),
        }
    }
    shares.push((Destination::Keep, keep));

    // A share at a time, not every share asked about every record: this
    // runs for every filtered batch (it was 2% of a filter's instructions).
    let mut covered = vec![false; n];
    for (_, mask) in &shares {
        covered.iter_mut().zip(mask).for_each(|(c, m)| *c |= m);
    }
    let dropped = covered.iter().filter(|c| !**c).count();
    let dropped_records = (keep_dropped && dropped > 0).then(|| {
        let complement: Vec<bool> = covered.iter().map(|c| !c).collect();
        batch.extract(&complement)
    });

    shares.retain(|(_, m)| m.iter().any(|k| *k));
    let mut routed = Routed {
        dropped,
        dropped_records,
        ..Routed::default()
    };
    // Shares are in the order the plugin named its routes, keep last; the
    // last one takes the batch itself, so the routes stay in that order.
    let last = shares.pop();
    for (dest, mask) in shares {
        deliver(&mut routed, dest, batch.extract(&mask));
    }
    if let Some((dest, mask)) = last {
        let mut batch = batch;
        if mask.iter().any(|k| !k) {
            batch.retain(&mask);
        }
        deliver(&mut routed, dest, batch);
    }
    Ok(routed)
}

fn deliver(routed: &mut Routed, dest: Destination, batch: Batch) {
    match dest {
        Destination::Keep => routed.keep = Some(batch),
        Destination::Route(name) => routed.routes.push((name, batch)),
    }
}

/// One flag per record: whether the selection includes it.
fn to_mask(selection: &Selection, n: usize) -> Result<Vec<bool>, String> {
    Ok(match selection {
        Selection::All => vec![true; n],
        Selection::None => vec![false; n],
        Selection::Some(indices) => {
            let mut mask = vec![false; n];
            for &i in indices {
                match mask.get_mut(i as usize) {
                    Some(flag) => *flag = true,
                    None => {
                        return Err(format!(
                            "record index {i} is out of range: the batch has {n} records"
                        ));
                    }
                }
            }
            mask
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otlp::ExportLogsServiceRequest;
    use crate::otlp::logs::{LogRecord, ResourceLogs, ScopeLogs};

    use super::super::bindings::weir::plugin::types::Route;

    /// Two resources of three records each; record i has severity i + 1.
    fn batch() -> Batch {
        let resource = |base: i32| ResourceLogs {
            scope_logs: vec![ScopeLogs {
                log_records: (0..3)
                    .map(|i| LogRecord {
                        severity_number: base + i + 1,
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            }],
            ..Default::default()
        };
        ExportLogsServiceRequest {
            resource_logs: vec![resource(0), resource(3)],
        }
        .into()
    }

    fn severities(batch: &Batch) -> Vec<u8> {
        batch.severity_numbers()
    }

    fn outcome(keep: Selection, routes: &[(&str, Selection)]) -> Outcome {
        Outcome {
            keep,
            routes: routes
                .iter()
                .map(|(name, records)| Route {
                    name: name.to_string(),
                    records: records.clone(),
                })
                .collect(),
        }
    }

    #[test]
    fn keep_all_and_drop_all() {
        let routed = apply(batch(), outcome(Selection::All, &[]), false).unwrap();
        assert_eq!(routed.keep, Some(batch()));
        let routed = apply(batch(), outcome(Selection::None, &[]), true).unwrap();
        assert_eq!((routed.keep, routed.dropped), (None, 6));
        assert_eq!(routed.dropped_records, Some(batch()));
    }

    #[test]
    fn keep_a_subset_removes_emptied_resources() {
        let routed = apply(batch(), outcome(Selection::Some(vec![4, 0, 5]), &[]), true).unwrap();
        let kept = routed.keep.unwrap();
        assert_eq!(
            severities(&kept),
            [1, 5, 6],
            "record order is kept, not index order"
        );
        assert_eq!(severities(&routed.dropped_records.unwrap()), [2, 3, 4]);
        assert_eq!(routed.dropped, 3);
    }

    #[test]
    fn a_filters_outcome_matches_the_general_path() {
        // A route given no records adds a share that covers nothing: the
        // result must be the filter's alone, duplicates and edges included.
        let keeps = [
            vec![],
            vec![2],
            vec![0, 0, 3],
            vec![5, 1, 3],
            (0..6).collect(),
        ];
        for keep in keeps {
            let filter = outcome(Selection::Some(keep.clone()), &[]);
            let general = outcome(
                Selection::Some(keep.clone()),
                &[("unused", Selection::None)],
            );
            let a = apply(batch(), filter, true).unwrap();
            let b = apply(batch(), general, true).unwrap();
            assert_eq!(a.keep, b.keep, "keep {keep:?}");
            assert_eq!(a.dropped, b.dropped, "keep {keep:?}");
            assert_eq!(a.dropped_records, b.dropped_records, "keep {keep:?}");
            assert!(b.routes.is_empty(), "an empty route is not delivered");
        }
    }

    #[test]
    fn routes_copy_records_and_merge_by_name() {
        let routed = apply(
            batch(),
            outcome(
                Selection::Some(vec![0]),
                &[
                    ("a", Selection::Some(vec![0, 1])),
                    ("b", Selection::Some(vec![5])),
                    ("a", Selection::Some(vec![3])),
                ],
            ),
            false,
        )
        .unwrap();
        assert_eq!(severities(routed.keep.as_ref().unwrap()), [1]);
        let routes: Vec<_> = routed
            .routes
            .iter()
            .map(|(n, b)| (n.as_str(), severities(b)))
            .collect();
        assert_eq!(routes, [("a", vec![1, 2, 4]), ("b", vec![6])]);
        assert_eq!(routed.dropped, 2, "records 2 and 4 are nowhere");
        assert_eq!(routed.routed(), 4);
    }

    #[test]
    fn everything_to_one_route_moves_the_batch() {
        let routed = apply(
            batch(),
            outcome(Selection::None, &[("x", Selection::All)]),
            false,
        )
        .unwrap();
        assert_eq!(routed.routes, vec![("x".to_string(), batch())]);
        assert_eq!(routed.keep, None);
    }

    #[test]
    fn out_of_range_and_unnamed_routes_are_refused_untouched() {
        let (back, msg) =
            apply(batch(), outcome(Selection::Some(vec![6]), &[]), false).unwrap_err();
        assert_eq!(back, batch());
        assert!(msg.contains("record index 6 is out of range"), "{msg}");
        let (_, msg) = apply(
            batch(),
            outcome(Selection::All, &[("", Selection::All)]),
            false,
        )
        .unwrap_err();
        assert!(msg.contains("empty name"), "{msg}");
    }
}
