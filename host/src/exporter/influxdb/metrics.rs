//! Metric points as lines, in the two schemas of the Collector's
//! `influxdb` exporter (otel2influx's `telegraf-prometheus-v1` and `-v2`).
//!
//! Tags of every line: the point's attributes, the resource's attributes
//! and the scope's `otel.library.name` / `otel.library.version`, later
//! ones winning a key they share (as otel2influx fills one map in that
//! order), sorted by key. Timestamp: the point's time in nanoseconds; a
//! point without one is skipped (otel2influx refuses the whole batch).
//! `start_time_unix_nano` is an integer field when set.
//!
//! v1 (measurement = metric name): gauges and non-monotonic sums →
//! `gauge`; monotonic sums → `counter`; histograms → `count`, `sum`,
//! `min`, `max` and one field per explicit bound holding the cumulative
//! count up to it (`0.5=12`); summaries → `count`, `sum` and one field
//! per quantile (`0.99=0.3`).
//!
//! v2 (measurement `prometheus`): the field is the metric name (`_count`,
//! `_sum`, `_min`, `_max` and `_bucket` suffixed for histograms and
//! summaries); bucket lines carry an `le` tag, quantile lines a
//! `quantile` tag. The `+Inf` bucket is `count` in both, as otel2influx
//! writes it.
//!
//! Exponential histograms have no mapping in otel2influx; their points
//! are skipped and counted.

use std::borrow::Cow;

use super::config::MetricsSchema;
use super::line::{Line, Lines, Skipped};
use crate::exporter::attribute_text::as_string;
use crate::otlp::ExportMetricsServiceRequest;
use crate::otlp::common::{InstrumentationScope, KeyValue};
use crate::otlp::metrics::{NumberDataPoint, metric::Data, number_data_point};

/// A tag: key and text.
pub(crate) type Tag<'a> = (&'a str, Cow<'a, str>);

/// Where payloads are cut.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    pub(crate) max_lines: usize,
    pub(crate) max_bytes: usize,
}

/// Writes the points of `request` as lines.
pub(crate) fn write(
    request: &ExportMetricsServiceRequest,
    schema: MetricsSchema,
    limits: Limits,
    out: &mut Lines,
    skipped: &mut Skipped,
) {
    let mut tags: Vec<Tag<'_>> = Vec::new();
    for rm in &request.resource_metrics {
        let resource: &[KeyValue] = rm.resource.as_ref().map_or(&[], |r| &r.attributes);
        for sm in &rm.scope_metrics {
            let shared = Shared {
                resource,
                scope: sm.scope.as_ref(),
            };
            for metric in &sm.metrics {
                let name = metric.name.as_str();
                let mut w = Writer {
                    out: &mut *out,
                    skipped: &mut *skipped,
                    tags: &mut tags,
                    shared: &shared,
                    schema,
                    limits,
                };
                match &metric.data {
                    None => {}
                    Some(Data::Gauge(g)) => {
                        for p in &g.data_points {
                            w.number(name, p, "gauge");
                        }
                    }
                    Some(Data::Sum(s)) => {
                        let kind = if s.is_monotonic { "counter" } else { "gauge" };
                        for p in &s.data_points {
                            w.number(name, p, kind);
                        }
                    }
                    Some(Data::Histogram(h)) => {
                        for p in &h.data_points {
                            let buckets = cumulative(&p.bucket_counts, &p.explicit_bounds);
                            w.distribution(
                                name,
                                Dist {
                                    attributes: &p.attributes,
                                    start: p.start_time_unix_nano,
                                    time: p.time_unix_nano,
                                    count: p.count,
                                    sum: p.sum,
                                    min: p.min,
                                    max: p.max,
                                    thresholds: ("le", buckets),
                                },
                            );
                        }
                    }
                    Some(Data::Summary(s)) => {
                        for p in &s.data_points {
                            let quantiles = p
                                .quantile_values
                                .iter()
                                .map(|q| (q.quantile, q.value))
                                .collect();
                            w.distribution(
                                name,
                                Dist {
                                    attributes: &p.attributes,
                                    start: p.start_time_unix_nano,
                                    time: p.time_unix_nano,
                                    count: p.count,
                                    sum: Some(p.sum),
                                    min: None,
                                    max: None,
                                    thresholds: ("quantile", quantiles),
                                },
                            );
                        }
                    }
                    Some(Data::ExponentialHistogram(e)) => {
                        skipped.unsupported += e.data_points.len() as u64;
                    }
                }
            }
        }
    }
}

/// `(bound, count of values ≤ bound)` for each explicit bound; the
/// counts of OTLP buckets are per bucket. A point whose counts do not
/// match its bounds has only the bounds that have a count.
fn cumulative(counts: &[u64], bounds: &[f64]) -> Vec<(f64, f64)> {
    let mut total = 0u64;
    bounds
        .iter()
        .zip(counts)
        .map(|(&bound, &count)| {
            total = total.saturating_add(count);
            (bound, total as f64)
        })
        .collect()
}

/// What every point of a scope shares.
struct Shared<'a> {
    resource: &'a [KeyValue],
    scope: Option<&'a InstrumentationScope>,
}

/// A histogram or summary point.
struct Dist<'a> {
    attributes: &'a [KeyValue],
    start: u64,
    time: u64,
    count: u64,
    sum: Option<f64>,
    min: Option<f64>,
    max: Option<f64>,
    /// The tag name of the thresholds in v2 (`le`, `quantile`) and
    /// `(threshold, value)` pairs.
    thresholds: (&'static str, Vec<(f64, f64)>),
}

struct Writer<'w, 'a> {
    out: &'w mut Lines,
    skipped: &'w mut Skipped,
    tags: &'w mut Vec<Tag<'a>>,
    shared: &'w Shared<'a>,
    schema: MetricsSchema,
    limits: Limits,
}

/// Starts a line of `measurement` with `tags` (sorted, the last of each
/// key winning) and `extra` (a v2 `le` or `quantile` tag, placed in key
/// order, winning over an attribute of the same name).
pub(super) fn start<'o>(
    out: &'o mut Lines,
    skipped: &mut Skipped,
    tags: &[Tag<'_>],
    measurement: &str,
    extra: Option<(&str, &str)>,
) -> Option<Line<'o>> {
    let mut line = out.line(measurement, skipped)?;
    let mut extra = extra;
    for (i, (key, value)) in tags.iter().enumerate() {
        if tags.get(i + 1).is_some_and(|next| next.0 == *key) {
            continue;
        }
        if let Some((k, v)) = extra
            && k <= *key
        {
            line.tag(k, v);
            extra = None;
            if k == *key {
                continue;
            }
        }
        line.tag(key, value);
    }
    if let Some((k, v)) = extra {
        line.tag(k, v);
    }
    Some(line)
}

/// Ends a line: `start_time_unix_nano` if set and the line has a value.
fn finish(mut line: Line<'_>, start: u64, time: u64, skipped: &mut Skipped) {
    if start != 0 && line.fields() > 0 {
        line.int("start_time_unix_nano", start as i64);
    }
    line.end(time, skipped);
}

impl<'a> Writer<'_, 'a> {
    /// Gathers the tags of a point: its attributes, then the resource's,
    /// then the scope's, sorted by key (stable: of equal keys the later,
    /// winning, one stays last).
    fn gather(&mut self, attributes: &'a [KeyValue]) {
        let tags = &mut *self.tags;
        tags.clear();
        for kv in attributes.iter().chain(self.shared.resource) {
            tags.push((&kv.key, as_string(kv.value.as_ref())));
        }
        if let Some(scope) = self.shared.scope {
            if !scope.name.is_empty() {
                tags.push(("otel.library.name", Cow::Borrowed(&scope.name)));
            }
            if !scope.version.is_empty() {
                tags.push(("otel.library.version", Cow::Borrowed(&scope.version)));
            }
        }
        tags.sort_by(|a, b| a.0.cmp(b.0));
    }

    fn cut(&mut self) {
        self.out
            .cut_if_full(self.limits.max_lines, self.limits.max_bytes);
    }

    fn number(&mut self, name: &str, p: &'a NumberDataPoint, v1_field: &str) {
        if p.time_unix_nano == 0 {
            self.skipped.no_timestamp += 1;
            return;
        }
        let Some(value) = &p.value else {
            return;
        };
        self.gather(&p.attributes);
        let (measurement, field) = match self.schema {
            MetricsSchema::TelegrafPrometheusV1 => (name, v1_field),
            MetricsSchema::TelegrafPrometheusV2 => ("prometheus", name),
        };
        let Some(mut line) = start(self.out, self.skipped, self.tags, measurement, None) else {
            return;
        };
        match value {
            number_data_point::Value::AsDouble(d) => line.float(field, *d, self.skipped),
            number_data_point::Value::AsInt(i) => line.int(field, *i),
        }
        finish(line, p.start_time_unix_nano, p.time_unix_nano, self.skipped);
        self.cut();
    }

    fn distribution(&mut self, name: &str, d: Dist<'a>) {
        if d.time == 0 {
            self.skipped.no_timestamp += 1;
            return;
        }
        self.gather(d.attributes);
        let (tag, thresholds) = &d.thresholds;
        let mut key = String::new();
        let mut text = String::new();
        match self.schema {
            MetricsSchema::TelegrafPrometheusV1 => {
                let Some(mut line) = start(self.out, self.skipped, self.tags, name, None) else {
                    return;
                };
                line.float("count", d.count as f64, self.skipped);
                if let Some(sum) = d.sum {
                    line.float("sum", sum, self.skipped);
                }
                if let Some(min) = d.min {
                    line.float("min", min, self.skipped);
                }
                if let Some(max) = d.max {
                    line.float("max", max, self.skipped);
                }
                for (threshold, value) in thresholds {
                    key.clear();
                    push_float(&mut key, *threshold);
                    line.float(&key, *value, self.skipped);
                }
                finish(line, d.start, d.time, self.skipped);
                self.cut();
            }
            MetricsSchema::TelegrafPrometheusV2 => {
                let Some(mut line) = start(self.out, self.skipped, self.tags, "prometheus", None)
                else {
                    return;
                };
                for (suffix, value) in [
                    ("_count", Some(d.count as f64)),
                    ("_sum", d.sum),
                    ("_min", d.min),
                    ("_max", d.max),
                ] {
                    if let Some(value) = value {
                        key.clear();
                        key.push_str(name);
                        key.push_str(suffix);
                        line.float(&key, value, self.skipped);
                    }
                }
                finish(line, d.start, d.time, self.skipped);
                self.cut();
                key.clear();
                key.push_str(name);
                if *tag == "le" {
                    key.push_str("_bucket");
                }
                for (threshold, value) in thresholds {
                    text.clear();
                    push_float(&mut text, *threshold);
                    let Some(mut line) = start(
                        self.out,
                        self.skipped,
                        self.tags,
                        "prometheus",
                        Some((tag, &text)),
                    ) else {
                        return;
                    };
                    line.float(&key, *value, self.skipped);
                    finish(line, d.start, d.time, self.skipped);
                    self.cut();
                }
            }
        }
    }
}

/// Appends `value` as otel2influx names a bound or quantile (Go's
/// `FormatFloat(v, 'f', -1, 64)`: shortest, no exponent).
fn push_float(text: &mut String, value: f64) {
    use std::fmt::Write;
    let _ = write!(text, "{value}");
}
