//! Random valid OTLP requests for the property tests: every signal, with
//! nested attribute values, repeated keys, empty scopes and resources,
//! out-of-range severities and every metric type, so that the byte path
//! meets what senders send.

use proptest::collection::vec;
use proptest::prelude::*;

use crate::otlp::common::{
    AnyValue, ArrayValue, EntityRef, InstrumentationScope, KeyValue, KeyValueList, any_value,
};
use crate::otlp::logs::{LogRecord, ResourceLogs, ScopeLogs};
use crate::otlp::metrics::{
    self, ExponentialHistogram, ExponentialHistogramDataPoint, Gauge, Histogram,
    HistogramDataPoint, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum, Summary,
    SummaryDataPoint, exponential_histogram_data_point::Buckets, metric::Data,
    summary_data_point::ValueAtQuantile,
};
use crate::otlp::resource::Resource;
use crate::otlp::trace::{ResourceSpans, ScopeSpans, Span, Status, span};
use crate::otlp::{
    ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest,
};

/// The keys attributes are drawn from: few, so lookups hit and repeat.
pub(super) const KEYS: [&str; 4] = ["a", "b", "service.name", "é"];

fn text() -> impl Strategy<Value = String> {
    vec(
        prop_oneof![Just('x'), Just('é'), Just('😀'), any::<char>()],
        0..6,
    )
    .prop_map(String::from_iter)
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(&KEYS[..]).prop_map(String::from),
        1 => text(),
    ]
}

fn float() -> impl Strategy<Value = f64> {
    // Finite, so that decoded requests compare equal to themselves.
    -1e9f64..1e9
}

pub(super) fn any_value() -> impl Strategy<Value = AnyValue> {
    use any_value::Value;
    let leaf = prop_oneof![
        Just(None),
        text().prop_map(|s| Some(Value::StringValue(s))),
        any::<bool>().prop_map(|b| Some(Value::BoolValue(b))),
        any::<i64>().prop_map(|i| Some(Value::IntValue(i))),
        float().prop_map(|f| Some(Value::DoubleValue(f))),
        vec(any::<u8>(), 0..4).prop_map(|b| Some(Value::BytesValue(b))),
    ]
    .prop_map(|value| AnyValue { value });
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..3).prop_map(|values| AnyValue {
                value: Some(any_value::Value::ArrayValue(ArrayValue { values })),
            }),
            vec((key(), proptest::option::of(inner)), 0..3).prop_map(|kvs| AnyValue {
                value: Some(any_value::Value::KvlistValue(KeyValueList {
                    values: kvs
                        .into_iter()
                        .map(|(key, value)| KeyValue {
                            key,
                            value,
                            ..Default::default()
                        })
                        .collect(),
                })),
            }),
        ]
    })
}

pub(super) fn attributes() -> impl Strategy<Value = Vec<KeyValue>> {
    vec(
        (key(), proptest::option::of(any_value())).prop_map(|(key, value)| KeyValue {
            key,
            value,
            ..Default::default()
        }),
        0..4,
    )
}

fn id() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![Just(Vec::new()), vec(any::<u8>(), 8), vec(any::<u8>(), 16)]
}

fn resource() -> impl Strategy<Value = Option<Resource>> {
    let entity =
        (text(), text(), vec(text(), 0..2)).prop_map(|(schema_url, r#type, id_keys)| EntityRef {
            schema_url,
            r#type,
            id_keys,
            description_keys: Vec::new(),
        });
    proptest::option::of((attributes(), any::<u32>(), vec(entity, 0..2)).prop_map(
        |(attributes, dropped_attributes_count, entity_refs)| Resource {
            attributes,
            dropped_attributes_count,
            entity_refs,
        },
    ))
}

fn scope() -> impl Strategy<Value = Option<InstrumentationScope>> {
    proptest::option::of((text(), text(), attributes(), any::<u32>()).prop_map(
        |(name, version, attributes, dropped_attributes_count)| InstrumentationScope {
            name,
            version,
            attributes,
            dropped_attributes_count,
        },
    ))
}

fn severity() -> impl Strategy<Value = i32> {
    prop_oneof![8 => 0..25i32, 1 => Just(300), 1 => Just(-3), 1 => any::<i32>()]
}

fn log_record() -> impl Strategy<Value = LogRecord> {
    (
        (any::<u64>(), any::<u64>(), severity(), text()),
        (
            proptest::option::of(any_value()),
            attributes(),
            any::<u32>(),
        ),
        (any::<u32>(), id(), id(), text()),
    )
        .prop_map(
            |(
                (time_unix_nano, observed_time_unix_nano, severity_number, severity_text),
                (body, attributes, dropped_attributes_count),
                (flags, trace_id, span_id, event_name),
            )| LogRecord {
                time_unix_nano,
                observed_time_unix_nano,
                severity_number,
                severity_text,
                body,
                attributes,
                dropped_attributes_count,
                flags,
                trace_id,
                span_id,
                event_name,
            },
        )
}

/// Resources of scopes of items, with empty lists allowed at every level.
pub(super) fn logs() -> impl Strategy<Value = ExportLogsServiceRequest> {
    let scope_logs =
        (scope(), vec(log_record(), 0..4), text()).prop_map(|(scope, log_records, schema_url)| {
            ScopeLogs {
                scope,
                log_records,
                schema_url,
            }
        });
    let resource_logs = (resource(), vec(scope_logs, 0..3), text()).prop_map(
        |(resource, scope_logs, schema_url)| ResourceLogs {
            resource,
            scope_logs,
            schema_url,
        },
    );
    vec(resource_logs, 0..3).prop_map(|resource_logs| ExportLogsServiceRequest { resource_logs })
}

fn span() -> impl Strategy<Value = Span> {
    let event =
        (any::<u64>(), text(), attributes()).prop_map(|(time_unix_nano, name, attributes)| {
            span::Event {
                time_unix_nano,
                name,
                attributes,
                dropped_attributes_count: 0,
            }
        });
    let link = (id(), id(), text(), attributes(), any::<u32>()).prop_map(
        |(trace_id, span_id, trace_state, attributes, flags)| span::Link {
            trace_id,
            span_id,
            trace_state,
            attributes,
            dropped_attributes_count: 1,
            flags,
        },
    );
    let status = (text(), 0..3i32).prop_map(|(message, code)| Status { message, code });
    (
        (id(), id(), text(), id(), any::<u32>(), text(), 0..6i32),
        (any::<u64>(), any::<u64>(), attributes(), vec(event, 0..2)),
        (vec(link, 0..2), proptest::option::of(status)),
    )
        .prop_map(
            |(
                (trace_id, span_id, trace_state, parent_span_id, flags, name, kind),
                (start_time_unix_nano, end_time_unix_nano, attributes, events),
                (links, status),
            )| Span {
                trace_id,
                span_id,
                trace_state,
                parent_span_id,
                flags,
                name,
                kind,
                start_time_unix_nano,
                end_time_unix_nano,
                attributes,
                dropped_attributes_count: 2,
                events,
                dropped_events_count: 0,
                links,
                dropped_links_count: 0,
                status,
            },
        )
}

pub(super) fn traces() -> impl Strategy<Value = ExportTraceServiceRequest> {
    let scope_spans =
        (scope(), vec(span(), 0..4), text()).prop_map(|(scope, spans, schema_url)| ScopeSpans {
            scope,
            spans,
            schema_url,
        });
    let resource_spans = (resource(), vec(scope_spans, 0..3), text()).prop_map(
        |(resource, scope_spans, schema_url)| ResourceSpans {
            resource,
            scope_spans,
            schema_url,
        },
    );
    vec(resource_spans, 0..3)
        .prop_map(|resource_spans| ExportTraceServiceRequest { resource_spans })
}

fn exemplars() -> impl Strategy<Value = Vec<metrics::Exemplar>> {
    vec(
        (attributes(), any::<u64>(), float(), id()).prop_map(
            |(filtered_attributes, time_unix_nano, v, span_id)| metrics::Exemplar {
                filtered_attributes,
                time_unix_nano,
                value: Some(metrics::exemplar::Value::AsDouble(v)),
                span_id,
                trace_id: Vec::new(),
            },
        ),
        0..2,
    )
}

fn number_point() -> impl Strategy<Value = NumberDataPoint> {
    use metrics::number_data_point::Value;
    let value = prop_oneof![
        Just(None),
        float().prop_map(|f| Some(Value::AsDouble(f))),
        any::<i64>().prop_map(|i| Some(Value::AsInt(i))),
    ];
    (
        attributes(),
        any::<u64>(),
        any::<u64>(),
        exemplars(),
        any::<u32>(),
        value,
    )
        .prop_map(
            |(attributes, start_time_unix_nano, time_unix_nano, exemplars, flags, value)| {
                NumberDataPoint {
                    attributes,
                    start_time_unix_nano,
                    time_unix_nano,
                    exemplars,
                    flags,
                    value,
                }
            },
        )
}

fn histogram_point() -> impl Strategy<Value = HistogramDataPoint> {
    (
        (attributes(), any::<u64>(), any::<u64>(), any::<u64>()),
        (
            proptest::option::of(float()),
            vec(any::<u64>(), 0..4),
            vec(float(), 0..3),
        ),
        (exemplars(), proptest::option::of(float())),
    )
        .prop_map(
            |(
                (attributes, start_time_unix_nano, time_unix_nano, count),
                (sum, bucket_counts, explicit_bounds),
                (exemplars, min),
            )| {
                HistogramDataPoint {
                    attributes,
                    start_time_unix_nano,
                    time_unix_nano,
                    count,
                    sum,
                    bucket_counts,
                    explicit_bounds,
                    exemplars,
                    flags: 0,
                    min,
                    max: min.map(|m| m + 1.0),
                }
            },
        )
}

fn exponential_point() -> impl Strategy<Value = ExponentialHistogramDataPoint> {
    let buckets = proptest::option::of((any::<i32>(), vec(any::<u64>(), 0..4)).prop_map(
        |(offset, bucket_counts)| Buckets {
            offset,
            bucket_counts,
        },
    ));
    (
        (attributes(), any::<u64>(), any::<u64>(), any::<i32>()),
        (buckets.clone(), buckets, exemplars(), float()),
    )
        .prop_map(
            |(
                (attributes, start_time_unix_nano, time_unix_nano, scale),
                (positive, negative, exemplars, zero_threshold),
            )| {
                ExponentialHistogramDataPoint {
                    attributes,
                    start_time_unix_nano,
                    time_unix_nano,
                    count: 3,
                    sum: Some(1.5),
                    scale,
                    zero_count: 1,
                    positive,
                    negative,
                    flags: 1,
                    exemplars,
                    min: None,
                    max: Some(2.0),
                    zero_threshold,
                }
            },
        )
}

fn summary_point() -> impl Strategy<Value = SummaryDataPoint> {
    let quantile =
        (float(), float()).prop_map(|(quantile, value)| ValueAtQuantile { quantile, value });
    (
        attributes(),
        any::<u64>(),
        any::<u64>(),
        vec(quantile, 0..3),
    )
        .prop_map(
            |(attributes, start_time_unix_nano, time_unix_nano, quantile_values)| {
                SummaryDataPoint {
                    attributes,
                    start_time_unix_nano,
                    time_unix_nano,
                    count: 7,
                    sum: 3.5,
                    quantile_values,
                    flags: 0,
                }
            },
        )
}

fn data() -> impl Strategy<Value = Option<Data>> {
    prop_oneof![
        1 => Just(None),
        3 => vec(number_point(), 0..3).prop_map(|data_points| Some(Data::Gauge(Gauge { data_points }))),
        3 => (vec(number_point(), 0..3), 0..3i32, any::<bool>()).prop_map(|(data_points, aggregation_temporality, is_monotonic)| {
            Some(Data::Sum(Sum { data_points, aggregation_temporality, is_monotonic }))
        }),
        2 => vec(histogram_point(), 0..3).prop_map(|data_points| Some(Data::Histogram(Histogram { data_points, aggregation_temporality: 1 }))),
        2 => vec(exponential_point(), 0..3).prop_map(|data_points| Some(Data::ExponentialHistogram(ExponentialHistogram { data_points, aggregation_temporality: 2 }))),
        2 => vec(summary_point(), 0..3).prop_map(|data_points| Some(Data::Summary(Summary { data_points }))),
    ]
}

fn metric() -> impl Strategy<Value = Metric> {
    (text(), text(), text(), attributes(), data()).prop_map(
        |(name, description, unit, metadata, data)| Metric {
            name,
            description,
            unit,
            metadata,
            data,
        },
    )
}

pub(super) fn metrics() -> impl Strategy<Value = ExportMetricsServiceRequest> {
    let scope_metrics =
        (scope(), vec(metric(), 0..4), text()).prop_map(|(scope, metrics, schema_url)| {
            ScopeMetrics {
                scope,
                metrics,
                schema_url,
            }
        });
    let resource_metrics = (resource(), vec(scope_metrics, 0..3), text()).prop_map(
        |(resource, scope_metrics, schema_url)| ResourceMetrics {
            resource,
            scope_metrics,
            schema_url,
        },
    );
    vec(resource_metrics, 0..3)
        .prop_map(|resource_metrics| ExportMetricsServiceRequest { resource_metrics })
}
