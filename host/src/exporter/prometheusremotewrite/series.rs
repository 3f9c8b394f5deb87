//! OTLP metrics as Prometheus series, as the Collector's translator
//! (`pkg/translator/prometheusremotewrite`) makes them.
//!
//! Each point becomes samples (value, time in milliseconds) of series
//! named by [`names`](super::names): gauges and sums one series (`_total`
//! for monotonic sums); cumulative histograms `_bucket` series with an
//! `le` label holding the count up to each bound (and `+Inf`, the total
//! count), `_sum` and `_count`; summaries a series per quantile (a
//! `quantile` label), `_sum` and `_count`. Labels: the point's
//! attributes (and, with `resource_to_telemetry_conversion`, the
//! resource's, the point's winning), names normalised, values of keys
//! that normalise alike joined with `;`; `job` from `service.namespace` /
//! `service.name`, `instance` from `service.instance.id`; the
//! `external_labels` where no label of that name is set. A point flagged
//! "no recorded value" is Prometheus' stale marker. With `target_info`,
//! each resource with attributes beyond those three gets a `target_info`
//! series (value 1) carrying them.
//!
//! Refused, as the Collector drops them: delta (and unspecified
//! temporality) sums and histograms, which Prometheus cannot add up; and
//! exponential histograms, which would need Prometheus' native histograms
//! (behind a feature flag in 2.42, unknown to VictoriaMetrics 1.79).
//! Refused metrics are gathered, whole, into a request of their own for
//! the dead-letter exporters.

use std::collections::HashMap;

use indexmap::IndexMap;

use super::names::{Kind, label_name, metric_name};
use super::proto::{Label, MetricMetadata, MetricType, Sample, TimeSeries};
use crate::exporter::attribute_text::as_string;
use crate::otlp::ExportMetricsServiceRequest;
use crate::otlp::common::KeyValue;
use crate::otlp::metrics::{
    AggregationTemporality, DataPointFlags, Gauge, Metric, ResourceMetrics, ScopeMetrics, Sum,
    metric::Data, number_data_point,
};

/// Prometheus' stale marker: a NaN with this bit pattern.
const STALE_NAN: u64 = 0x7ff0_0000_0000_0002;

/// The translation settings (the Collector's keys).
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Translation {
    pub(crate) namespace: String,
    pub(crate) external_labels: IndexMap<String, String>,
    pub(crate) resource_to_telemetry: bool,
    pub(crate) target_info: bool,
    pub(crate) add_metric_suffixes: bool,
    pub(crate) send_metadata: bool,
}

/// A request translated.
#[derive(Debug, Default)]
pub(crate) struct Translated {
    pub(crate) series: Vec<TimeSeries>,
    pub(crate) metadata: Vec<MetricMetadata>,
    /// Points left out because they had no timestamp.
    pub(crate) no_timestamp: u64,
    /// The metrics refused, whole, with their resources and scopes.
    pub(crate) refused: ExportMetricsServiceRequest,
    /// Why, one reason per refused metric.
    pub(crate) reasons: Vec<String>,
}

/// Series being gathered: the same labels share one series.
#[derive(Default)]
struct Builder {
    series: Vec<TimeSeries>,
    index: HashMap<Vec<Label>, usize>,
}

impl Builder {
    fn add(&mut self, labels: Vec<Label>, value: f64, timestamp: i64) {
        let sample = Sample { value, timestamp };
        match self.index.get(&labels) {
            Some(&i) => self.series[i].samples.push(sample),
            None => {
                self.index.insert(labels.clone(), self.series.len());
                self.series.push(TimeSeries {
                    labels,
                    samples: vec![sample],
                });
            }
        }
    }
}

/// The labels a resource gives every series: `job`, `instance`, and (for
/// `resource_to_telemetry`) its attributes.
struct ResourceLabels<'a> {
    attributes: &'a [KeyValue],
    job: Option<String>,
    instance: Option<String>,
}

impl<'a> ResourceLabels<'a> {
    fn new(attributes: &'a [KeyValue]) -> Self {
        let get = |key: &str| {
            attributes
                .iter()
                .find(|kv| kv.key == key)
                .map(|kv| as_string(kv.value.as_ref()).into_owned())
                .filter(|v| !v.is_empty())
        };
        let job = match (get("service.namespace"), get("service.name")) {
            (Some(ns), Some(name)) => Some(format!("{ns}/{name}")),
            (None, Some(name)) => Some(name),
            _ => None,
        };
        ResourceLabels {
            attributes,
            job,
            instance: get("service.instance.id"),
        }
    }
}

struct Ctx<'a> {
    t: &'a Translation,
    resource: &'a ResourceLabels<'a>,
}

impl Ctx<'_> {
    /// The labels of one series, sorted by name.
    fn labels(
        &self,
        attributes: &[KeyValue],
        name: &str,
        extra: Option<(&str, &str)>,
    ) -> Vec<Label> {
        let mut pairs: Vec<(&str, String)> = attributes
            .iter()
            .map(|kv| (kv.key.as_str(), as_string(kv.value.as_ref()).into_owned()))
            .collect();
        if self.t.resource_to_telemetry {
            for kv in self.resource.attributes {
                if !attributes.iter().any(|a| a.key == kv.key) {
                    pairs.push((&kv.key, as_string(kv.value.as_ref()).into_owned()));
                }
            }
        }
        make_labels(pairs, self.resource, self.t, name, extra)
    }
}

/// Normalises and merges `pairs` (sorted by original key, so that keys
/// normalising alike join their values in a stable order), then sets
/// `job`, `instance`, the external labels where absent, `__name__` and
/// `extra`; drops empty values; sorts by name.
fn make_labels(
    mut pairs: Vec<(&str, String)>,
    resource: &ResourceLabels<'_>,
    t: &Translation,
    name: &str,
    extra: Option<(&str, &str)>,
) -> Vec<Label> {
    pairs.sort_by(|a, b| a.0.cmp(b.0));
    let mut map: IndexMap<String, String> = IndexMap::with_capacity(pairs.len() + 4);
    for (key, value) in pairs {
        let key = label_name(key);
        if key.is_empty() {
            continue;
        }
        match map.get_mut(&key) {
            Some(existing) => {
                existing.push(';');
                existing.push_str(&value);
            }
            None => {
                map.insert(key, value);
            }
        }
    }
    if let Some(job) = &resource.job {
        map.insert("job".into(), job.clone());
    }
    if let Some(instance) = &resource.instance {
        map.insert("instance".into(), instance.clone());
    }
    for (key, value) in &t.external_labels {
        if !map.contains_key(key) {
            map.insert(key.clone(), value.clone());
        }
    }
    map.insert("__name__".into(), name.to_string());
    if let Some((key, value)) = extra {
        map.insert(key.to_string(), value.to_string());
    }
    let mut labels: Vec<Label> = map
        .into_iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(name, value)| Label { name, value })
        .collect();
    labels.sort_by(|a, b| a.name.cmp(&b.name));
    labels
}

fn millis(time_unix_nano: u64) -> i64 {
    (time_unix_nano / 1_000_000) as i64
}

fn value_or_stale(flags: u32, value: f64) -> f64 {
    if flags & DataPointFlags::NoRecordedValueMask as u32 != 0 {
        f64::from_bits(STALE_NAN)
    } else {
        value
    }
}

fn float_text(value: f64) -> String {
    if value == f64::INFINITY {
        "+Inf".into()
    } else {
        value.to_string()
    }
}

fn temporality_name(t: i32) -> &'static str {
    match AggregationTemporality::try_from(t) {
        Ok(AggregationTemporality::Delta) => "delta",
        Ok(AggregationTemporality::Cumulative) => "cumulative",
        _ => "unspecified",
    }
}

/// Translates `request`.
pub(crate) fn translate(request: &ExportMetricsServiceRequest, t: &Translation) -> Translated {
    let mut out = Translated::default();
    let mut builder = Builder::default();
    let mut metadata: IndexMap<String, MetricMetadata> = IndexMap::new();
    let cumulative = AggregationTemporality::Cumulative as i32;
    for rm in &request.resource_metrics {
        let attributes: &[KeyValue] = rm.resource.as_ref().map_or(&[], |r| &r.attributes);
        let resource = ResourceLabels::new(attributes);
        let ctx = Ctx {
            t,
            resource: &resource,
        };
        let mut latest = 0u64;
        for sm in &rm.scope_metrics {
            for metric in &sm.metrics {
                let refusal = match &metric.data {
                    Some(Data::Sum(s)) if s.aggregation_temporality != cumulative => Some(format!(
                        "sum `{}` has {} temporality; Prometheus takes cumulative sums only",
                        metric.name,
                        temporality_name(s.aggregation_temporality)
                    )),
                    Some(Data::Histogram(h)) if h.aggregation_temporality != cumulative => {
                        Some(format!(
                            "histogram `{}` has {} temporality; Prometheus takes cumulative histograms only",
                            metric.name,
                            temporality_name(h.aggregation_temporality)
                        ))
                    }
                    Some(Data::ExponentialHistogram(_)) => Some(format!(
                        "exponential histogram `{}`: not translated (it would need Prometheus' native histograms)",
                        metric.name
                    )),
                    _ => None,
                };
                if let Some(reason) = refusal {
                    refuse(&mut out.refused, rm, sm, metric);
                    out.reasons.push(reason);
                    continue;
                }
                let (kind, ty) = match &metric.data {
                    None | Some(Data::ExponentialHistogram(_)) => continue,
                    Some(Data::Gauge(_)) => (Kind::Gauge, MetricType::Gauge),
                    Some(Data::Sum(s)) if s.is_monotonic => (Kind::Counter, MetricType::Counter),
                    Some(Data::Sum(_)) => (Kind::Other, MetricType::Gauge),
                    Some(Data::Histogram(_)) => (Kind::Other, MetricType::Histogram),
                    Some(Data::Summary(_)) => (Kind::Other, MetricType::Summary),
                };
                let name = metric_name(
                    &metric.name,
                    &metric.unit,
                    kind,
                    &t.namespace,
                    t.add_metric_suffixes,
                );
                if t.send_metadata {
                    metadata
                        .entry(name.clone())
                        .or_insert_with(|| MetricMetadata {
                            r#type: ty as i32,
                            metric_family_name: name.clone(),
                            help: metric.description.clone(),
                            unit: metric.unit.clone(),
                        });
                }
                add_points(
                    &ctx,
                    metric,
                    &name,
                    &mut builder,
                    &mut latest,
                    &mut out.no_timestamp,
                );
            }
        }
        if t.target_info && latest != 0 {
            let others: Vec<(&str, String)> = attributes
                .iter()
                .filter(|kv| {
                    !matches!(
                        kv.key.as_str(),
                        "service.name" | "service.namespace" | "service.instance.id"
                    )
                })
                .map(|kv| (kv.key.as_str(), as_string(kv.value.as_ref()).into_owned()))
                .collect();
            if !others.is_empty() {
                let name = if t.namespace.is_empty() {
                    "target_info".to_string()
                } else {
                    format!("{}_target_info", t.namespace)
                };
                let labels = make_labels(others, &resource, t, &name, None);
                builder.add(labels, 1.0, millis(latest));
            }
        }
    }
    for series in &mut builder.series {
        series.samples.sort_by_key(|s| s.timestamp);
    }
    out.series = builder.series;
    out.metadata = metadata.into_values().collect();
    out
}

fn add_points(
    ctx: &Ctx<'_>,
    metric: &Metric,
    name: &str,
    b: &mut Builder,
    latest: &mut u64,
    no_timestamp: &mut u64,
) {
    let mut time = |t: u64| {
        if t == 0 {
            *no_timestamp += 1;
            None
        } else {
            *latest = (*latest).max(t);
            Some(millis(t))
        }
    };
    let suffixed = |suffix: &str| format!("{name}{suffix}");
    match &metric.data {
        // A gauge's and a sum's points are written alike: one sample each.
        Some(Data::Gauge(Gauge { data_points })) | Some(Data::Sum(Sum { data_points, .. })) => {
            for p in data_points {
                let (Some(ts), Some(value)) = (time(p.time_unix_nano), number(&p.value)) else {
                    continue;
                };
                b.add(
                    ctx.labels(&p.attributes, name, None),
                    value_or_stale(p.flags, value),
                    ts,
                );
            }
        }
        Some(Data::Histogram(h)) => {
            for p in &h.data_points {
                let Some(ts) = time(p.time_unix_nano) else {
                    continue;
                };
                let v = |value: f64| value_or_stale(p.flags, value);
                if let Some(sum) = p.sum {
                    b.add(
                        ctx.labels(&p.attributes, &suffixed("_sum"), None),
                        v(sum),
                        ts,
                    );
                }
                b.add(
                    ctx.labels(&p.attributes, &suffixed("_count"), None),
                    v(p.count as f64),
                    ts,
                );
                let bucket = suffixed("_bucket");
                let mut total = 0u64;
                for (bound, count) in p.explicit_bounds.iter().zip(&p.bucket_counts) {
                    total = total.saturating_add(*count);
                    let le = float_text(*bound);
                    b.add(
                        ctx.labels(&p.attributes, &bucket, Some(("le", &le))),
                        v(total as f64),
                        ts,
                    );
                }
                b.add(
                    ctx.labels(&p.attributes, &bucket, Some(("le", "+Inf"))),
                    v(p.count as f64),
                    ts,
                );
            }
        }
        Some(Data::Summary(s)) => {
            for p in &s.data_points {
                let Some(ts) = time(p.time_unix_nano) else {
                    continue;
                };
                let v = |value: f64| value_or_stale(p.flags, value);
                b.add(
                    ctx.labels(&p.attributes, &suffixed("_sum"), None),
                    v(p.sum),
                    ts,
                );
                b.add(
                    ctx.labels(&p.attributes, &suffixed("_count"), None),
                    v(p.count as f64),
                    ts,
                );
                for q in &p.quantile_values {
                    let quantile = float_text(q.quantile);
                    b.add(
                        ctx.labels(&p.attributes, name, Some(("quantile", &quantile))),
                        v(q.value),
                        ts,
                    );
                }
            }
        }
        None | Some(Data::ExponentialHistogram(_)) => {}
    }
}

fn number(value: &Option<number_data_point::Value>) -> Option<f64> {
    match value.as_ref()? {
        number_data_point::Value::AsDouble(d) => Some(*d),
        number_data_point::Value::AsInt(i) => Some(*i as f64),
    }
}

/// Adds `metric`, with its resource and scope, to `refused`.
fn refuse(
    refused: &mut ExportMetricsServiceRequest,
    rm: &ResourceMetrics,
    sm: &ScopeMetrics,
    metric: &Metric,
) {
    refused.resource_metrics.push(ResourceMetrics {
        resource: rm.resource.clone(),
        scope_metrics: vec![ScopeMetrics {
            scope: sm.scope.clone(),
            metrics: vec![metric.clone()],
            schema_url: sm.schema_url.clone(),
        }],
        schema_url: rm.schema_url.clone(),
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exporter::influxdb::tests::{T, every_kind, kv};
    use crate::otlp::Payload;

    fn defaults() -> Translation {
        Translation {
            target_info: true,
            add_metric_suffixes: true,
            ..Default::default()
        }
    }

    /// `name{labels} value @ms` lines, sorted, for readable comparisons.
    fn render(series: &[TimeSeries]) -> Vec<String> {
        let mut lines: Vec<String> = series
            .iter()
            .flat_map(|s| {
                let labels: Vec<String> = s
                    .labels
                    .iter()
                    .map(|l| format!("{}={:?}", l.name, l.value))
                    .collect();
                s.samples
                    .iter()
                    .map(move |p| format!("{{{}}} {} @{}", labels.join(","), p.value, p.timestamp))
            })
            .collect();
        lines.sort();
        lines
    }

    fn request(batch: &crate::otlp::Batch) -> &ExportMetricsServiceRequest {
        match batch.payload() {
            Payload::Metrics(r) => r,
            _ => unreachable!(),
        }
    }

    #[test]
    fn every_kind_becomes_the_collectors_series() {
        let mut batch = every_kind();
        {
            let Payload::Metrics(r) = batch.payload_mut() else {
                unreachable!()
            };
            let metrics = &mut r.resource_metrics[0].scope_metrics[0].metrics;
            metrics[2].unit = "s".into();
            r.resource_metrics[0]
                .resource
                .as_mut()
                .unwrap()
                .attributes
                .extend([kv("service.instance.id", "i-1"), kv("host.name", "h")]);
        }
        let out = translate(request(&batch), &defaults());
        let ms = (T / 1_000_000) as i64;
        let expected: Vec<String> = [
            r#"__name__="cpu_temp",core="0",instance="i-1",job="shop""#.to_string() + " 87.5",
            r#"__name__="http_duration_seconds_bucket",instance="i-1",job="shop",le="+Inf""#
                .to_string()
                + " 10",
            r#"__name__="http_duration_seconds_bucket",instance="i-1",job="shop",le="0.1""#
                .to_string()
                + " 2",
            r#"__name__="http_duration_seconds_bucket",instance="i-1",job="shop",le="0.5""#
                .to_string()
                + " 7",
            r#"__name__="http_duration_seconds_count",instance="i-1",job="shop""#.to_string()
                + " 10",
            r#"__name__="http_duration_seconds_sum",instance="i-1",job="shop""#.to_string()
                + " 3.5",
            r#"__name__="http_requests_total",instance="i-1",job="shop",method="post""#.to_string()
                + " 1027",
            r#"__name__="rpc_duration",instance="i-1",job="shop",quantile="0.5""#.to_string()
                + " 0.25",
            r#"__name__="rpc_duration",instance="i-1",job="shop",quantile="0.99""#.to_string()
                + " 1.5",
            r#"__name__="rpc_duration_count",instance="i-1",job="shop""#.to_string() + " 4",
            r#"__name__="rpc_duration_sum",instance="i-1",job="shop""#.to_string() + " 2",
            r#"__name__="target_info",host_name="h",instance="i-1",job="shop""#.to_string() + " 1",
        ]
        .iter()
        .map(|l| {
            let (labels, value) = l.rsplit_once(' ').unwrap();
            format!("{{{labels}}} {value} @{ms}")
        })
        .collect();
        assert_eq!(render(&out.series), expected);
        assert!(out.reasons.is_empty());
    }

    #[test]
    fn labels_merge_and_external_labels_fill_gaps() {
        let batch = every_kind();
        let t = Translation {
            resource_to_telemetry: true,
            external_labels: [
                ("cluster".to_string(), "eu".to_string()),
                ("job".into(), "x".into()),
            ]
            .into_iter()
            .collect(),
            namespace: "weir".into(),
            ..defaults()
        };
        let out = translate(request(&batch), &t);
        let gauge = out
            .series
            .iter()
            .find(|s| s.labels.iter().any(|l| l.value == "weir_cpu_temp"))
            .unwrap();
        let names: Vec<(&str, &str)> = gauge
            .labels
            .iter()
            .map(|l| (l.name.as_str(), l.value.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                ("__name__", "weir_cpu_temp"),
                ("cluster", "eu"),
                ("core", "0"),
                ("job", "shop"),
                ("service_name", "shop"),
            ]
        );
        let attrs = [kv("a.b", "1"), kv("a-b", "2")];
        let resource = ResourceLabels::new(&[]);
        let labels = make_labels(
            attrs
                .iter()
                .map(|kv| (kv.key.as_str(), as_string(kv.value.as_ref()).into_owned()))
                .collect(),
            &resource,
            &defaults(),
            "m",
            None,
        );
        assert_eq!(
            labels[1],
            Label {
                name: "a_b".into(),
                value: "2;1".into()
            }
        );
    }

    #[test]
    fn delta_sums_and_exponential_histograms_are_refused_with_a_reason() {
        let mut batch = every_kind();
        {
            let Payload::Metrics(r) = batch.payload_mut() else {
                unreachable!()
            };
            let metrics = &mut r.resource_metrics[0].scope_metrics[0].metrics;
            let Some(Data::Sum(sum)) = &mut metrics[1].data else {
                unreachable!()
            };
            sum.aggregation_temporality = AggregationTemporality::Delta as i32;
            metrics.push(Metric {
                name: "exp".into(),
                data: Some(Data::ExponentialHistogram(Default::default())),
                ..Default::default()
            });
        }
        let out = translate(request(&batch), &defaults());
        assert_eq!(
            out.reasons,
            [
                "sum `http_requests` has delta temporality; Prometheus takes cumulative sums only",
                "exponential histogram `exp`: not translated (it would need Prometheus' native histograms)"
            ]
        );
        let refused: Vec<&str> = out
            .refused
            .resource_metrics
            .iter()
            .map(|rm| rm.scope_metrics[0].metrics[0].name.as_str())
            .collect();
        assert_eq!(refused, ["http_requests", "exp"]);
        assert!(
            !render(&out.series)
                .iter()
                .any(|l| l.contains("http_requests"))
        );
    }

    #[test]
    fn stale_points_are_prometheus_stale_markers() {
        assert_eq!(
            value_or_stale(DataPointFlags::NoRecordedValueMask as u32, 1.0).to_bits(),
            STALE_NAN
        );
        assert_eq!(value_or_stale(0, 1.0), 1.0);
    }
}
