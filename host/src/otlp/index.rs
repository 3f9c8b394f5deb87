//! Where each record of a batch lives: record number → position in the
//! nested OTLP structure (resource, scope, item, data point).
//!
//! Plugins address records by a flat number; the OTLP request nests them
//! two levels deep (three for metric data points). The index is built once
//! per batch on first use and dropped when the structure changes, so a
//! plugin that only uses column accessors never pays for it.

use super::Payload;
use super::metrics::metric::Data;

/// The position of one record inside a batch's payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RecordPath {
    /// Index into `resource_logs` / `resource_metrics` / `resource_spans`.
    pub resource: u32,
    /// Index into that resource's `scope_*`.
    pub scope: u32,
    /// Index of the log record, span, or metric within the scope.
    pub item: u32,
    /// For metrics, the data point within the metric; 0 otherwise.
    pub point: u32,
}

/// Builds the index of every record of `payload`, in record order.
pub(crate) fn build(payload: &Payload) -> Vec<RecordPath> {
    let mut paths = Vec::with_capacity(count(payload));
    match payload {
        Payload::Logs(req) => {
            for (r, rl) in req.resource_logs.iter().enumerate() {
                for (s, sl) in rl.scope_logs.iter().enumerate() {
                    for i in 0..sl.log_records.len() {
                        paths.push(path(r, s, i, 0));
                    }
                }
            }
        }
        Payload::Traces(req) => {
            for (r, rs) in req.resource_spans.iter().enumerate() {
                for (s, ss) in rs.scope_spans.iter().enumerate() {
                    for i in 0..ss.spans.len() {
                        paths.push(path(r, s, i, 0));
                    }
                }
            }
        }
        Payload::Metrics(req) => {
            for (r, rm) in req.resource_metrics.iter().enumerate() {
                for (s, sm) in rm.scope_metrics.iter().enumerate() {
                    for (m, metric) in sm.metrics.iter().enumerate() {
                        for p in 0..point_count(&metric.data) {
                            paths.push(path(r, s, m, p));
                        }
                    }
                }
            }
        }
    }
    paths
}

/// Number of records in `payload`, without building the index.
pub(crate) fn count(payload: &Payload) -> usize {
    match payload {
        Payload::Logs(req) => req
            .resource_logs
            .iter()
            .flat_map(|rl| &rl.scope_logs)
            .map(|sl| sl.log_records.len())
            .sum(),
        Payload::Traces(req) => req
            .resource_spans
            .iter()
            .flat_map(|rs| &rs.scope_spans)
            .map(|ss| ss.spans.len())
            .sum(),
        Payload::Metrics(req) => req
            .resource_metrics
            .iter()
            .flat_map(|rm| &rm.scope_metrics)
            .flat_map(|sm| &sm.metrics)
            .map(|m| point_count(&m.data))
            .sum(),
    }
}

/// Number of data points of a metric (0 for a metric with no data).
pub(crate) fn point_count(data: &Option<Data>) -> usize {
    match data {
        None => 0,
        Some(Data::Gauge(g)) => g.data_points.len(),
        Some(Data::Sum(s)) => s.data_points.len(),
        Some(Data::Histogram(h)) => h.data_points.len(),
        Some(Data::ExponentialHistogram(e)) => e.data_points.len(),
        Some(Data::Summary(s)) => s.data_points.len(),
    }
}

fn path(resource: usize, scope: usize, item: usize, point: usize) -> RecordPath {
    // Batches are bounded far below u32::MAX records by the receivers' size
    // limits, so the narrowing cannot truncate.
    RecordPath {
        resource: resource as u32,
        scope: scope as u32,
        item: item as u32,
        point: point as u32,
    }
}
