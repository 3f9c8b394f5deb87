//! Carving a batch up by record: keep a subset in place, or copy a subset
//! out. This is how a plugin's outcome (keep / drop / route) is applied.
//!
//! On a batch that is still its bytes both copy the kept records' byte
//! ranges ([`Index::select`](super::wire::Index::select)); on a decoded
//! one they work on the decoded request. Both take one flag per record,
//! in record order, and remove
//! scopes, metrics and resources left with no records, as the Collector's
//! filter processor does, so no empty shells travel downstream.

use super::batch::{Batch, Payload};
use super::logs::{ResourceLogs, ScopeLogs};
use super::metrics::{
    ExponentialHistogram, Gauge, Histogram, Metric, ResourceMetrics, ScopeMetrics, Sum, Summary,
    metric::Data,
};
use super::trace::{ResourceSpans, ScopeSpans};
use super::{ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest};

/// Hands out the flags in record order, one per call.
struct Flags<'a> {
    flags: std::slice::Iter<'a, bool>,
}

impl Flags<'_> {
    fn next(&mut self) -> bool {
        // `keep` has one flag per record (checked by the callers), so
        // running out would be a bug in the walk; treat it as "not kept".
        self.flags.next().copied().unwrap_or(false)
    }
}

impl Batch {
    /// Keeps only the records whose flag in `keep` is set (one flag per
    /// record, in record order).
    pub fn retain(&mut self, keep: &[bool]) {
        assert_eq!(keep.len(), self.len(), "one flag per record");
        if let Some(w) = self.wire_mut() {
            if let Some((bytes, index)) = w.index.select(&w.bytes, keep) {
                w.replace(bytes.into(), index);
            }
            return;
        }
        let mut flags = Flags { flags: keep.iter() };
        match self.payload_mut() {
            Payload::Logs(req) => req.resource_logs.retain_mut(|rl| {
                rl.scope_logs.retain_mut(|sl| {
                    sl.log_records.retain(|_| flags.next());
                    !sl.log_records.is_empty()
                });
                !rl.scope_logs.is_empty()
            }),
            Payload::Traces(req) => req.resource_spans.retain_mut(|rs| {
                rs.scope_spans.retain_mut(|ss| {
                    ss.spans.retain(|_| flags.next());
                    !ss.spans.is_empty()
                });
                !rs.scope_spans.is_empty()
            }),
            Payload::Metrics(req) => req.resource_metrics.retain_mut(|rm| {
                rm.scope_metrics.retain_mut(|sm| {
                    sm.metrics
                        .retain_mut(|m| retain_points(&mut m.data, &mut flags));
                    !sm.metrics.is_empty()
                });
                !rm.scope_metrics.is_empty()
            }),
        }
    }

    /// A new batch holding copies of the records whose flag in `keep` is
    /// set, with their resources and scopes.
    pub fn extract(&self, keep: &[bool]) -> Batch {
        assert_eq!(keep.len(), self.len(), "one flag per record");
        if let Some(w) = self.wire() {
            let (bytes, index) = match w.index.select(&w.bytes, keep) {
                Some((bytes, index)) => (bytes.into(), index),
                None => (w.bytes.clone(), w.index.clone()),
            };
            return Batch::from_wire(self.signal(), bytes, index);
        }
        let mut flags = Flags { flags: keep.iter() };
        match self.payload() {
            Payload::Logs(req) => ExportLogsServiceRequest {
                resource_logs: req
                    .resource_logs
                    .iter()
                    .filter_map(|rl| {
                        let scope_logs: Vec<_> = rl
                            .scope_logs
                            .iter()
                            .filter_map(|sl| {
                                let log_records: Vec<_> = sl
                                    .log_records
                                    .iter()
                                    .filter(|_| flags.next())
                                    .cloned()
                                    .collect();
                                (!log_records.is_empty()).then(|| ScopeLogs {
                                    scope: sl.scope.clone(),
                                    log_records,
                                    schema_url: sl.schema_url.clone(),
                                })
                            })
                            .collect();
                        (!scope_logs.is_empty()).then(|| ResourceLogs {
                            resource: rl.resource.clone(),
                            scope_logs,
                            schema_url: rl.schema_url.clone(),
                        })
                    })
                    .collect(),
            }
            .into(),
            Payload::Traces(req) => ExportTraceServiceRequest {
                resource_spans: req
                    .resource_spans
                    .iter()
                    .filter_map(|rs| {
                        let scope_spans: Vec<_> = rs
                            .scope_spans
                            .iter()
                            .filter_map(|ss| {
                                let spans: Vec<_> =
                                    ss.spans.iter().filter(|_| flags.next()).cloned().collect();
                                (!spans.is_empty()).then(|| ScopeSpans {
                                    scope: ss.scope.clone(),
                                    spans,
                                    schema_url: ss.schema_url.clone(),
                                })
                            })
                            .collect();
                        (!scope_spans.is_empty()).then(|| ResourceSpans {
                            resource: rs.resource.clone(),
                            scope_spans,
                            schema_url: rs.schema_url.clone(),
                        })
                    })
                    .collect(),
            }
            .into(),
            Payload::Metrics(req) => ExportMetricsServiceRequest {
                resource_metrics: req
                    .resource_metrics
                    .iter()
                    .filter_map(|rm| {
                        let scope_metrics: Vec<_> = rm
                            .scope_metrics
                            .iter()
                            .filter_map(|sm| {
                                let metrics: Vec<_> = sm
                                    .metrics
                                    .iter()
                                    .filter_map(|m| extract_points(m, &mut flags))
                                    .collect();
                                (!metrics.is_empty()).then(|| ScopeMetrics {
                                    scope: sm.scope.clone(),
                                    metrics,
                                    schema_url: sm.schema_url.clone(),
                                })
                            })
                            .collect();
                        (!scope_metrics.is_empty()).then(|| ResourceMetrics {
                            resource: rm.resource.clone(),
                            scope_metrics,
                            schema_url: rm.schema_url.clone(),
                        })
                    })
                    .collect(),
            }
            .into(),
        }
    }
}

/// Keeps the flagged points of a metric; returns whether any remain.
fn retain_points(data: &mut Option<Data>, flags: &mut Flags<'_>) -> bool {
    match data {
        None => false,
        Some(Data::Gauge(g)) => {
            g.data_points.retain(|_| flags.next());
            !g.data_points.is_empty()
        }
        Some(Data::Sum(s)) => {
            s.data_points.retain(|_| flags.next());
            !s.data_points.is_empty()
        }
        Some(Data::Histogram(h)) => {
            h.data_points.retain(|_| flags.next());
            !h.data_points.is_empty()
        }
        Some(Data::ExponentialHistogram(e)) => {
            e.data_points.retain(|_| flags.next());
            !e.data_points.is_empty()
        }
        Some(Data::Summary(s)) => {
            s.data_points.retain(|_| flags.next());
            !s.data_points.is_empty()
        }
    }
}

/// A copy of a metric with only its flagged points, if any.
fn extract_points(metric: &Metric, flags: &mut Flags<'_>) -> Option<Metric> {
    fn pick<T: Clone>(points: &[T], flags: &mut Flags<'_>) -> Vec<T> {
        points.iter().filter(|_| flags.next()).cloned().collect()
    }
    let data = match metric.data.as_ref()? {
        Data::Gauge(g) => Data::Gauge(Gauge {
            data_points: pick(&g.data_points, flags),
        }),
        Data::Sum(s) => Data::Sum(Sum {
            data_points: pick(&s.data_points, flags),
            aggregation_temporality: s.aggregation_temporality,
            is_monotonic: s.is_monotonic,
        }),
        Data::Histogram(h) => Data::Histogram(Histogram {
            data_points: pick(&h.data_points, flags),
            aggregation_temporality: h.aggregation_temporality,
        }),
        Data::ExponentialHistogram(e) => Data::ExponentialHistogram(ExponentialHistogram {
            data_points: pick(&e.data_points, flags),
            aggregation_temporality: e.aggregation_temporality,
        }),
        Data::Summary(s) => Data::Summary(Summary {
            data_points: pick(&s.data_points, flags),
        }),
    };
    let mut data = Some(data);
    if super::index::point_count(&data) == 0 {
        return None;
    }
    Some(Metric {
        name: metric.name.clone(),
        description: metric.description.clone(),
        unit: metric.unit.clone(),
        metadata: metric.metadata.clone(),
        data: data.take(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otlp::metrics::NumberDataPoint;

    /// One scope with a gauge of `a` points and a sum of `b` points.
    fn metrics(a: usize, b: usize) -> Batch {
        let points = |n: usize, base: f64| {
            (0..n)
                .map(|i| NumberDataPoint {
                    value: Some(super::super::metrics::number_data_point::Value::AsDouble(
                        base + i as f64,
                    )),
                    ..Default::default()
                })
                .collect()
        };
        ExportMetricsServiceRequest {
            resource_metrics: vec![ResourceMetrics {
                scope_metrics: vec![ScopeMetrics {
                    metrics: vec![
                        Metric {
                            name: "g".into(),
                            data: Some(Data::Gauge(Gauge {
                                data_points: points(a, 0.0),
                            })),
                            ..Default::default()
                        },
                        Metric {
                            name: "s".into(),
                            data: Some(Data::Sum(Sum {
                                data_points: points(b, 100.0),
                                aggregation_temporality: 2,
                                is_monotonic: true,
                            })),
                            ..Default::default()
                        },
                    ],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        }
        .into()
    }

    #[test]
    fn metric_points_are_records_and_emptied_metrics_go() {
        let batch = metrics(2, 3);
        assert_eq!(batch.len(), 5);
        assert_eq!(batch.names(), ["g", "g", "s", "s", "s"]);

        let keep = [false, false, true, false, true];
        let copy = batch.extract(&keep);
        let mut kept = batch.clone();
        kept.retain(&keep);
        assert_eq!(copy, kept, "extract and retain agree");
        assert_eq!(kept.names(), ["s", "s"]);
        let Payload::Metrics(req) = kept.payload() else {
            unreachable!()
        };
        let metrics = &req.resource_metrics[0].scope_metrics[0].metrics;
        assert_eq!(metrics.len(), 1, "the gauge lost all its points");
        let Some(Data::Sum(sum)) = &metrics[0].data else {
            unreachable!()
        };
        assert!(sum.is_monotonic && sum.aggregation_temporality == 2);
        assert_eq!(sum.data_points.len(), 2);
    }

    #[test]
    fn keeping_nothing_leaves_an_empty_request() {
        let mut batch = metrics(1, 1);
        batch.retain(&[false, false]);
        assert!(batch.is_empty());
        assert_eq!(batch, Batch::empty(crate::otlp::Signal::Metrics));
    }
}
