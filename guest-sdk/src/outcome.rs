//! [`Outcome`]: what a plugin decided about a batch, and [`Router`], which
//! builds one record by record.

use crate::wit::weir::plugin::types::{self as wit, Selection};

/// What happens to a batch's records: which continue down the pipeline,
/// which go to named routes. A record neither kept nor routed is dropped.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    inner: wit::Outcome,
}

impl Outcome {
    fn new(keep: Selection) -> Outcome {
        Outcome {
            inner: wit::Outcome {
                keep,
                routes: Vec::new(),
            },
        }
    }

    /// Every record continues (also what an in-place transform returns).
    pub fn keep_all() -> Outcome {
        Outcome::new(Selection::All)
    }

    /// Every record is dropped.
    pub fn drop_all() -> Outcome {
        Outcome::new(Selection::None)
    }

    /// The records with these indices continue; the others are dropped.
    pub fn keep(indices: Vec<u32>) -> Outcome {
        Outcome::new(Selection::Some(indices))
    }

    /// Record `i` continues if the `i`-th flag is true. Returns
    /// [`Outcome::keep_all`] or [`Outcome::drop_all`] when the flags are
    /// all equal, which weir applies without touching records.
    ///
    /// ```
    /// use weir_guest::Outcome;
    ///
    /// let severities = [9, 13, 17]; // in a plugin: batch.severity_numbers()
    /// let outcome = Outcome::keep_where(severities.iter().map(|&s| s >= 13));
    /// assert_eq!(outcome, Outcome::keep(vec![1, 2]));
    /// assert_eq!(Outcome::keep_where([true, true]), Outcome::keep_all());
    /// ```
    pub fn keep_where(flags: impl IntoIterator<Item = bool>) -> Outcome {
        let mut kept = Vec::new();
        let mut total = 0u32;
        for (i, keep) in flags.into_iter().enumerate() {
            if keep {
                kept.push(i as u32);
            }
            total += 1;
        }
        if kept.len() as u32 == total {
            Outcome::keep_all()
        } else if kept.is_empty() {
            Outcome::drop_all()
        } else {
            Outcome::keep(kept)
        }
    }

    /// The records with these indices go to route `name`; none continues.
    /// For several routes, chain [`Outcome::also_route`] or use a
    /// [`Router`].
    pub fn route(name: &str, indices: Vec<u32>) -> Outcome {
        Outcome::drop_all().also_route(name, Some(indices))
    }

    /// Every record goes to route `name` (and none continues).
    pub fn route_all(name: &str) -> Outcome {
        Outcome::drop_all().also_route(name, None)
    }

    /// Also sends records to route `name`: the given indices, or all
    /// records for `None`. A record both kept and routed is copied.
    ///
    /// ```
    /// use weir_guest::Outcome;
    ///
    /// // Everything continues; errors are also copied to `alerts`.
    /// let outcome = Outcome::keep_all().also_route("alerts", Some(vec![3, 7]));
    /// # let _ = outcome;
    /// ```
    pub fn also_route(mut self, name: &str, indices: Option<Vec<u32>>) -> Outcome {
        self.inner.routes.push(wit::Route {
            name: name.to_string(),
            records: indices.map_or(Selection::All, Selection::Some),
        });
        self
    }

    pub(crate) fn into_wit(self) -> wit::Outcome {
        self.inner
    }
}

/// Builds an [`Outcome`] record by record: keep some, route some, drop
/// the rest. Each route name appears once in the outcome, with all its
/// records; a side that gets every record becomes "all", which weir
/// applies without touching records.
///
/// ```
/// use weir_guest::{Outcome, Router, Value};
///
/// // In a plugin: batch.attribute_column(AttributesOf::Record, "tenant")
/// let tenants = [Some(Value::from("acme")), None, Some(Value::from("acme"))];
/// let mut router = Router::new(tenants.len() as u32);
/// for (i, tenant) in tenants.iter().enumerate() {
///     match tenant.as_ref().and_then(Value::as_str) {
///         Some(t) => router.route(i as u32, &format!("tenant-{t}")),
///         None => router.keep(i as u32),
///     }
/// }
/// assert_eq!(
///     router.finish(),
///     Outcome::keep(vec![1]).also_route("tenant-acme", Some(vec![0, 2])),
/// );
/// ```
#[derive(Clone, Debug, Default)]
pub struct Router {
    len: u32,
    keep: Vec<u32>,
    /// Route names in first-use order, with their records.
    routes: Vec<(String, Vec<u32>)>,
}

impl Router {
    /// A router for a batch of `len` records, with nothing kept or routed.
    pub fn new(len: u32) -> Router {
        Router {
            len,
            ..Router::default()
        }
    }

    /// Record `index` continues down the pipeline.
    pub fn keep(&mut self, index: u32) {
        self.keep.push(index);
    }

    /// Record `index` goes to route `name`.
    pub fn route(&mut self, index: u32, name: &str) {
        // Routes per batch are few; a linear search beats hashing here.
        match self.routes.iter_mut().find(|(n, _)| n == name) {
            Some((_, records)) => records.push(index),
            None => self.routes.push((name.to_string(), vec![index])),
        }
    }

    /// The outcome: kept records, then each route, in first-use order.
    pub fn finish(self) -> Outcome {
        let len = self.len as usize;
        let selection = |records: Vec<u32>| {
            if records.len() == len {
                Selection::All
            } else if records.is_empty() {
                Selection::None
            } else {
                Selection::Some(records)
            }
        };
        Outcome {
            inner: wit::Outcome {
                keep: selection(self.keep),
                routes: self
                    .routes
                    .into_iter()
                    .map(|(name, records)| wit::Route {
                        name,
                        records: selection(records),
                    })
                    .collect(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keep_where_collapses_to_all_or_none() {
        assert_eq!(Outcome::keep_where([true, true]), Outcome::keep_all());
        assert_eq!(Outcome::keep_where([false, false]), Outcome::drop_all());
        assert_eq!(
            Outcome::keep_where([false, true, true]),
            Outcome::keep(vec![1, 2])
        );
        assert_eq!(Outcome::keep_where([]), Outcome::keep_all());
    }

    #[test]
    fn router_groups_records_by_route_in_first_use_order() {
        let mut router = Router::new(4);
        router.route(0, "b");
        router.keep(1);
        router.route(2, "a");
        router.route(3, "b");
        let outcome = router.finish().into_wit();
        assert_eq!(outcome.keep, Selection::Some(vec![1]));
        let routes: Vec<_> = outcome
            .routes
            .iter()
            .map(|r| (r.name.as_str(), r.records.clone()))
            .collect();
        assert_eq!(
            routes,
            [
                ("b", Selection::Some(vec![0, 3])),
                ("a", Selection::Some(vec![2]))
            ]
        );
    }

    #[test]
    fn router_selects_all_when_every_record_goes_one_way() {
        let mut router = Router::new(2);
        router.route(0, "x");
        router.route(1, "x");
        let outcome = router.finish().into_wit();
        assert_eq!(outcome.keep, Selection::None);
        assert_eq!(outcome.routes[0].records, Selection::All);
    }
}
