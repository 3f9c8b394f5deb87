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

    let covered: Vec<bool> = (0..n).map(|i| shares.iter().any(|(_, m)| m[i])).collect();
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
