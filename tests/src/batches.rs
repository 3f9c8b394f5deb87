//! Builders of realistic OTLP batches for tests and benchmarks, so that no
//! test repeats literals: log records of about 260 bytes with four
//! attributes, severities cycling through TRACE..FATAL, two services.

use weir::otlp::common::{AnyValue, InstrumentationScope, KeyValue, any_value::Value};
use weir::otlp::logs::{LogRecord, ResourceLogs, ScopeLogs};
use weir::otlp::metrics::{
    Gauge, Histogram, HistogramDataPoint, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics,
    metric::Data, number_data_point,
};
use weir::otlp::resource::Resource;
use weir::otlp::trace::{ResourceSpans, ScopeSpans, Span, Status};
use weir::otlp::{
    Batch, ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest,
};

/// Severity numbers the builders cycle through: TRACE, DEBUG, INFO, WARN,
/// ERROR, FATAL (the first of each range).
pub const SEVERITY_CYCLE: [i32; 6] = [1, 5, 9, 13, 17, 21];
const SEVERITY_TEXT: [&str; 6] = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"];

/// A string attribute.
pub fn attr(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.to_string(),
        value: Some(string_value(value)),
        ..Default::default()
    }
}

/// An int attribute.
pub fn int_attr(key: &str, value: i64) -> KeyValue {
    KeyValue {
        key: key.to_string(),
        value: Some(AnyValue {
            value: Some(Value::IntValue(value)),
        }),
        ..Default::default()
    }
}

/// A string `AnyValue`.
pub fn string_value(s: &str) -> AnyValue {
    AnyValue {
        value: Some(Value::StringValue(s.to_string())),
    }
}

fn resource(service: &str) -> Option<Resource> {
    Some(Resource {
        attributes: vec![
            attr("service.name", service),
            attr("deployment.environment", "production"),
        ],
        ..Default::default()
    })
}

fn scope() -> Option<InstrumentationScope> {
    Some(InstrumentationScope {
        name: "weir-tests".to_string(),
        version: "1.0.0".to_string(),
        ..Default::default()
    })
}

/// Log record `i`: severity from [`SEVERITY_CYCLE`], four attributes, a
/// body like an access log line, trace and span ids.
pub fn log_record(i: usize) -> LogRecord {
    let s = i % SEVERITY_CYCLE.len();
    let mut trace_id = [0u8; 16];
    trace_id[..8].copy_from_slice(&(i as u64 + 1).to_be_bytes());
    LogRecord {
        time_unix_nano: 1_700_000_000_000_000_000 + i as u64,
        observed_time_unix_nano: 1_700_000_000_000_000_000 + i as u64 + 1_000,
        severity_number: SEVERITY_CYCLE[s],
        severity_text: SEVERITY_TEXT[s].to_string(),
        body: Some(string_value(&format!(
            "GET /api/v1/orders/{i} HTTP/1.1 200 1532 \"-\" \"Mozilla/5.0 (X11; Linux x86_64)\" rt=0.0{}",
            i % 97
        ))),
        attributes: vec![
            attr("http.request.method", "GET"),
            attr("url.path", &format!("/api/v1/orders/{i}")),
            int_attr("http.response.status_code", 200),
            attr(
                "tenant",
                if i.is_multiple_of(3) {
                    "acme"
                } else {
                    "globex"
                },
            ),
        ],
        trace_id: trace_id.to_vec(),
        span_id: (i as u64 + 1).to_be_bytes().to_vec(),
        ..Default::default()
    }
}

/// A logs request of `n` records, split over two services.
pub fn logs(n: usize) -> ExportLogsServiceRequest {
    logs_from((0..n).map(log_record).collect())
}

/// A logs request holding `records`: the first half under service
/// `checkout`, the rest under `payments`.
pub fn logs_from(records: Vec<LogRecord>) -> ExportLogsServiceRequest {
    let half = records.len().div_ceil(2);
    let mut records = records;
    let second = records.split_off(half);
    let resource_logs = [("checkout", records), ("payments", second)]
        .into_iter()
        .filter(|(_, r)| !r.is_empty())
        .map(|(service, log_records)| ResourceLogs {
            resource: resource(service),
            scope_logs: vec![ScopeLogs {
                scope: scope(),
                log_records,
                ..Default::default()
            }],
            ..Default::default()
        })
        .collect();
    ExportLogsServiceRequest { resource_logs }
}

/// A logs batch of `n` records.
pub fn logs_batch(n: usize) -> Batch {
    logs(n).into()
}

/// Span `i`: a server span with HTTP attributes; every fifth has an
/// error status.
pub fn span(i: usize) -> Span {
    let mut trace_id = [0u8; 16];
    trace_id[8..].copy_from_slice(&(i as u64 / 4 + 1).to_be_bytes());
    Span {
        trace_id: trace_id.to_vec(),
        span_id: (i as u64 + 1).to_be_bytes().to_vec(),
        name: format!("GET /api/v1/orders/{{id}} #{i}"),
        kind: 2,
        start_time_unix_nano: 1_700_000_000_000_000_000 + i as u64,
        end_time_unix_nano: 1_700_000_000_000_500_000 + i as u64,
        attributes: vec![
            attr("http.request.method", "GET"),
            int_attr(
                "http.response.status_code",
                if i.is_multiple_of(5) { 500 } else { 200 },
            ),
            attr(
                "tenant",
                if i.is_multiple_of(3) {
                    "acme"
                } else {
                    "globex"
                },
            ),
        ],
        status: Some(Status {
            code: if i.is_multiple_of(5) { 2 } else { 0 },
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// A traces request of `n` spans, one service.
pub fn spans(n: usize) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: resource("checkout"),
            scope_spans: vec![ScopeSpans {
                scope: scope(),
                spans: (0..n).map(span).collect(),
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

/// A metrics request: a gauge with `points` points (attribute `tenant`
/// alternating) and a histogram with two points.
pub fn metrics(points: usize) -> ExportMetricsServiceRequest {
    let gauge_points = (0..points)
        .map(|i| NumberDataPoint {
            attributes: vec![attr(
                "tenant",
                if i.is_multiple_of(2) {
                    "acme"
                } else {
                    "globex"
                },
            )],
            time_unix_nano: 1_700_000_000_000_000_000 + i as u64,
            value: Some(number_data_point::Value::AsDouble(i as f64 * 1.5)),
            ..Default::default()
        })
        .collect();
    let histogram_points = (0..2)
        .map(|i| HistogramDataPoint {
            attributes: vec![attr("tenant", "acme")],
            count: 10 + i,
            sum: Some(12.5),
            bucket_counts: vec![5, 5 + i],
            explicit_bounds: vec![1.0],
            ..Default::default()
        })
        .collect();
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: resource("checkout"),
            scope_metrics: vec![ScopeMetrics {
                scope: scope(),
                metrics: vec![
                    Metric {
                        name: "queue.depth".to_string(),
                        unit: "{item}".to_string(),
                        data: Some(Data::Gauge(Gauge {
                            data_points: gauge_points,
                        })),
                        ..Default::default()
                    },
                    Metric {
                        name: "http.server.request.duration".to_string(),
                        unit: "s".to_string(),
                        data: Some(Data::Histogram(Histogram {
                            data_points: histogram_points,
                            aggregation_temporality: 2,
                        })),
                        ..Default::default()
                    },
                ],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

/// Every log record of a logs batch, in record order.
pub fn log_records(batch: &Batch) -> Vec<LogRecord> {
    match batch.payload() {
        weir::otlp::Payload::Logs(req) => req
            .resource_logs
            .iter()
            .flat_map(|rl| &rl.scope_logs)
            .flat_map(|sl| sl.log_records.iter().cloned())
            .collect(),
        _ => panic!("not a logs batch"),
    }
}

/// Every span of a traces batch, in record order.
pub fn span_records(batch: &Batch) -> Vec<Span> {
    match batch.payload() {
        weir::otlp::Payload::Traces(req) => req
            .resource_spans
            .iter()
            .flat_map(|rs| &rs.scope_spans)
            .flat_map(|ss| ss.spans.iter().cloned())
            .collect(),
        _ => panic!("not a traces batch"),
    }
}

/// The string value of attribute `key` in `attributes`, if it is a string.
pub fn string_attr<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a str> {
    match weir::otlp::find_attribute(attributes, key)?
        .value
        .as_ref()?
    {
        Value::StringValue(s) => Some(s),
        _ => None,
    }
}
