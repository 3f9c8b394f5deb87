//! Records as Parquet rows: the schema of each signal (documented in
//! [`parquet`](super)) built column by column from a batch.

use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Float64Builder, Int32Builder, Int64Builder, MapBuilder, StringBuilder,
    TimestampNanosecondBuilder, UInt32Builder, UInt64Builder,
};
use arrow_array::{ArrayRef, RecordBatch};

use crate::otlp::common::{AnyValue, InstrumentationScope, KeyValue, any_value};
use crate::otlp::metrics::{metric, number_data_point};
use crate::otlp::resource::Resource;
use crate::otlp::{Batch, Payload, Signal, any_value_to_json};

/// An attribute value as map text: strings as they are, scalars as
/// literals, the rest as OTLP/JSON.
fn value_text(value: Option<&AnyValue>) -> String {
    match value.and_then(|v| v.value.as_ref()) {
        Some(any_value::Value::StringValue(s)) => s.clone(),
        Some(any_value::Value::IntValue(i)) => i.to_string(),
        Some(any_value::Value::DoubleValue(d)) => d.to_string(),
        Some(any_value::Value::BoolValue(b)) => b.to_string(),
        None => String::new(),
        Some(_) => any_value_to_json(value.expect("matched Some")),
    }
}

fn hex_id(id: &[u8]) -> Option<String> {
    (!id.is_empty()).then(|| hex::encode(id))
}

/// The columns every signal has.
struct Common {
    service: StringBuilder,
    resource: MapBuilder<StringBuilder, StringBuilder>,
    scope_name: StringBuilder,
    scope_version: StringBuilder,
    attributes: MapBuilder<StringBuilder, StringBuilder>,
}

fn map_builder() -> MapBuilder<StringBuilder, StringBuilder> {
    MapBuilder::new(None, StringBuilder::new(), StringBuilder::new())
}

fn append_map(builder: &mut MapBuilder<StringBuilder, StringBuilder>, attrs: &[KeyValue]) {
    for kv in attrs {
        builder.keys().append_value(&kv.key);
        builder.values().append_value(value_text(kv.value.as_ref()));
    }
    // Appending to a builder of a fixed type cannot fail.
    let _ = builder.append(true);
}

impl Common {
    fn new() -> Common {
        Common {
            service: StringBuilder::new(),
            resource: map_builder(),
            scope_name: StringBuilder::new(),
            scope_version: StringBuilder::new(),
            attributes: map_builder(),
        }
    }

    fn row(
        &mut self,
        resource: Option<&Resource>,
        scope: Option<&InstrumentationScope>,
        attrs: &[KeyValue],
    ) {
        let rattrs = resource
            .map(|r| r.attributes.as_slice())
            .unwrap_or_default();
        let service = rattrs
            .iter()
            .find(|kv| kv.key == "service.name")
            .map(|kv| value_text(kv.value.as_ref()));
        self.service.append_option(service);
        append_map(&mut self.resource, rattrs);
        self.scope_name
            .append_option(scope.map(|s| s.name.as_str()));
        self.scope_version
            .append_option(scope.map(|s| s.version.as_str()));
        append_map(&mut self.attributes, attrs);
    }

    fn columns(mut self) -> Vec<(&'static str, ArrayRef)> {
        vec![
            ("service_name", Arc::new(self.service.finish())),
            ("resource_attributes", Arc::new(self.resource.finish())),
            ("scope_name", Arc::new(self.scope_name.finish())),
            ("scope_version", Arc::new(self.scope_version.finish())),
            ("attributes", Arc::new(self.attributes.finish())),
        ]
    }
}

fn timestamps() -> TimestampNanosecondBuilder {
    TimestampNanosecondBuilder::new().with_timezone("UTC")
}

fn nanos(t: u64) -> Option<i64> {
    (t != 0).then_some(t as i64)
}

/// `batch` as rows of `signal`'s schema.
pub(super) fn rows(signal: Signal, batch: &Batch) -> Result<RecordBatch, arrow_schema::ArrowError> {
    let mut columns: Vec<(&'static str, ArrayRef)> = Vec::new();
    let mut common = Common::new();
    match (signal, batch.payload()) {
        (Signal::Logs, Payload::Logs(req)) => {
            let (mut time, mut observed) = (timestamps(), timestamps());
            let mut sev = Int32Builder::new();
            let (mut sev_text, mut body) = (StringBuilder::new(), StringBuilder::new());
            let (mut trace, mut span) = (StringBuilder::new(), StringBuilder::new());
            let mut flags = UInt32Builder::new();
            let mut event = StringBuilder::new();
            for rl in &req.resource_logs {
                for sl in &rl.scope_logs {
                    for r in &sl.log_records {
                        common.row(rl.resource.as_ref(), sl.scope.as_ref(), &r.attributes);
                        time.append_option(nanos(r.time_unix_nano));
                        observed.append_option(nanos(r.observed_time_unix_nano));
                        sev.append_value(r.severity_number);
                        sev_text.append_value(&r.severity_text);
                        body.append_option(r.body.as_ref().map(|b| match &b.value {
                            Some(any_value::Value::StringValue(s)) => s.clone(),
                            _ => any_value_to_json(b),
                        }));
                        trace.append_option(hex_id(&r.trace_id));
                        span.append_option(hex_id(&r.span_id));
                        flags.append_value(r.flags);
                        event.append_value(&r.event_name);
                    }
                }
            }
            columns.push(("time", Arc::new(time.finish())));
            columns.push(("observed_time", Arc::new(observed.finish())));
            columns.push(("severity_number", Arc::new(sev.finish())));
            columns.push(("severity_text", Arc::new(sev_text.finish())));
            columns.push(("body", Arc::new(body.finish())));
            columns.push(("trace_id", Arc::new(trace.finish())));
            columns.push(("span_id", Arc::new(span.finish())));
            columns.push(("flags", Arc::new(flags.finish())));
            columns.push(("event_name", Arc::new(event.finish())));
        }
        (Signal::Traces, Payload::Traces(req)) => {
            let [mut trace, mut span, mut parent, mut state, mut name] =
                std::array::from_fn(|_| StringBuilder::new());
            let mut kind = Int32Builder::new();
            let (mut start, mut end) = (timestamps(), timestamps());
            let mut duration = Int64Builder::new();
            let mut code = Int32Builder::new();
            let [mut message, mut events, mut links] =
                std::array::from_fn(|_| StringBuilder::new());
            let mut flags = UInt32Builder::new();
            for rs in &req.resource_spans {
                for ss in &rs.scope_spans {
                    for s in &ss.spans {
                        common.row(rs.resource.as_ref(), ss.scope.as_ref(), &s.attributes);
                        trace.append_option(hex_id(&s.trace_id));
                        span.append_option(hex_id(&s.span_id));
                        parent.append_option(hex_id(&s.parent_span_id));
                        state.append_value(&s.trace_state);
                        name.append_value(&s.name);
                        kind.append_value(s.kind);
                        start.append_option(nanos(s.start_time_unix_nano));
                        end.append_option(nanos(s.end_time_unix_nano));
                        duration.append_value(
                            s.end_time_unix_nano.saturating_sub(s.start_time_unix_nano) as i64,
                        );
                        let status = s.status.clone().unwrap_or_default();
                        code.append_value(status.code);
                        message.append_value(&status.message);
                        events.append_value(
                            serde_json::to_string(&s.events).expect("OTLP types serialise"),
                        );
                        links.append_value(
                            serde_json::to_string(&s.links).expect("OTLP types serialise"),
                        );
                        flags.append_value(s.flags);
                    }
                }
            }
            columns.push(("trace_id", Arc::new(trace.finish())));
            columns.push(("span_id", Arc::new(span.finish())));
            columns.push(("parent_span_id", Arc::new(parent.finish())));
            columns.push(("trace_state", Arc::new(state.finish())));
            columns.push(("name", Arc::new(name.finish())));
            columns.push(("kind", Arc::new(kind.finish())));
            columns.push(("start_time", Arc::new(start.finish())));
            columns.push(("end_time", Arc::new(end.finish())));
            columns.push(("duration_ns", Arc::new(duration.finish())));
            columns.push(("status_code", Arc::new(code.finish())));
            columns.push(("status_message", Arc::new(message.finish())));
            columns.push(("events", Arc::new(events.finish())));
            columns.push(("links", Arc::new(links.finish())));
            columns.push(("flags", Arc::new(flags.finish())));
        }
        (Signal::Metrics, Payload::Metrics(req)) => {
            let (mut time, mut start) = (timestamps(), timestamps());
            let [mut name, mut desc, mut unit, mut kind, mut point] =
                std::array::from_fn(|_| StringBuilder::new());
            let mut double = Float64Builder::new();
            let mut int = Int64Builder::new();
            let mut count = UInt64Builder::new();
            let mut sum = Float64Builder::new();
            let mut monotonic = BooleanBuilder::new();
            let mut temporality = Int32Builder::new();
            for rm in &req.resource_metrics {
                for sm in &rm.scope_metrics {
                    for m in &sm.metrics {
                        let mut row = |attrs: &[KeyValue],
                                       t: u64,
                                       st: u64,
                                       kind_name: &str,
                                       value: (Option<f64>, Option<i64>),
                                       cs: (Option<u64>, Option<f64>),
                                       mt: (Option<bool>, Option<i32>),
                                       json: String| {
                            common.row(rm.resource.as_ref(), sm.scope.as_ref(), attrs);
                            time.append_option(nanos(t));
                            start.append_option(nanos(st));
                            name.append_value(&m.name);
                            desc.append_value(&m.description);
                            unit.append_value(&m.unit);
                            kind.append_value(kind_name);
                            double.append_option(value.0);
                            int.append_option(value.1);
                            count.append_option(cs.0);
                            sum.append_option(cs.1);
                            monotonic.append_option(mt.0);
                            temporality.append_option(mt.1);
                            point.append_value(json);
                        };
                        let json = |p: &dyn erased::Json| p.json();
                        let number = |v: &Option<number_data_point::Value>| match v {
                            Some(number_data_point::Value::AsDouble(d)) => (Some(*d), None),
                            Some(number_data_point::Value::AsInt(i)) => (None, Some(*i)),
                            None => (None, None),
                        };
                        match &m.data {
                            Some(metric::Data::Gauge(g)) => {
                                for p in &g.data_points {
                                    row(
                                        &p.attributes,
                                        p.time_unix_nano,
                                        p.start_time_unix_nano,
                                        "gauge",
                                        number(&p.value),
                                        (None, None),
                                        (None, None),
                                        json(p),
                                    );
                                }
                            }
                            Some(metric::Data::Sum(s)) => {
                                for p in &s.data_points {
                                    row(
                                        &p.attributes,
                                        p.time_unix_nano,
                                        p.start_time_unix_nano,
                                        "sum",
                                        number(&p.value),
                                        (None, None),
                                        (Some(s.is_monotonic), Some(s.aggregation_temporality)),
                                        json(p),
                                    );
                                }
                            }
                            Some(metric::Data::Histogram(h)) => {
                                for p in &h.data_points {
                                    row(
                                        &p.attributes,
                                        p.time_unix_nano,
                                        p.start_time_unix_nano,
                                        "histogram",
                                        (None, None),
                                        (Some(p.count), p.sum),
                                        (None, Some(h.aggregation_temporality)),
                                        json(p),
                                    );
                                }
                            }
                            Some(metric::Data::ExponentialHistogram(h)) => {
                                for p in &h.data_points {
                                    row(
                                        &p.attributes,
                                        p.time_unix_nano,
                                        p.start_time_unix_nano,
                                        "exponential_histogram",
                                        (None, None),
                                        (Some(p.count), p.sum),
                                        (None, Some(h.aggregation_temporality)),
                                        json(p),
                                    );
                                }
                            }
                            Some(metric::Data::Summary(s)) => {
                                for p in &s.data_points {
                                    row(
                                        &p.attributes,
                                        p.time_unix_nano,
                                        p.start_time_unix_nano,
                                        "summary",
                                        (None, None),
                                        (Some(p.count), Some(p.sum)),
                                        (None, None),
                                        json(p),
                                    );
                                }
                            }
                            None => {}
                        }
                    }
                }
            }
            columns.push(("time", Arc::new(time.finish())));
            columns.push(("start_time", Arc::new(start.finish())));
            columns.push(("metric_name", Arc::new(name.finish())));
            columns.push(("metric_description", Arc::new(desc.finish())));
            columns.push(("metric_unit", Arc::new(unit.finish())));
            columns.push(("metric_type", Arc::new(kind.finish())));
            columns.push(("value_double", Arc::new(double.finish())));
            columns.push(("value_int", Arc::new(int.finish())));
            columns.push(("count", Arc::new(count.finish())));
            columns.push(("sum", Arc::new(sum.finish())));
            columns.push(("is_monotonic", Arc::new(monotonic.finish())));
            columns.push(("aggregation_temporality", Arc::new(temporality.finish())));
            columns.push(("point", Arc::new(point.finish())));
        }
        _ => unreachable!("a batch's payload is of its signal"),
    }
    columns.extend(common.columns());
    RecordBatch::try_from_iter(columns)
}

/// Serialising any data point to OTLP/JSON through one closure.
mod erased {
    pub trait Json {
        fn json(&self) -> String;
    }
    impl<T: serde::Serialize> Json for T {
        fn json(&self) -> String {
            serde_json::to_string(self).expect("OTLP types serialise")
        }
    }
}
