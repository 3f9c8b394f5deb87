//! Realistic OTLP requests for the load generator: log records of about
//! 260 bytes with a handful of attributes (HTTP method, route, status,
//! tenant), severities mostly INFO with some DEBUG/WARN/ERROR, spans with
//! parent/child ids, gauge and histogram points — varied by a seeded random
//! generator, so runs are repeatable.

use prost::Message;

use crate::otlp::common::{AnyValue, InstrumentationScope, KeyValue, any_value::Value};
use crate::otlp::logs::{LogRecord, ResourceLogs, ScopeLogs};
use crate::otlp::metrics::{
    Gauge, Histogram, HistogramDataPoint, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics,
    metric::Data, number_data_point,
};
use crate::otlp::resource::Resource;
use crate::otlp::trace::{ResourceSpans, ScopeSpans, Span};
use crate::otlp::{
    ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest, Signal,
};

const SERVICES: [&str; 4] = ["checkout", "payments", "catalog", "frontend"];
const ROUTES: [&str; 5] = [
    "/api/v1/orders/{id}",
    "/api/v1/cart",
    "/api/v1/products/{id}",
    "/healthz",
    "/api/v1/payments",
];
const TENANTS: [&str; 3] = ["acme", "globex", "initech"];
/// Severity numbers weighted like a real service: mostly INFO.
const SEVERITIES: [i32; 10] = [9, 9, 9, 9, 9, 9, 5, 5, 13, 17];

fn s(v: &str) -> Option<AnyValue> {
    Some(AnyValue {
        value: Some(Value::StringValue(v.to_string())),
    })
}

fn kv(key: &str, value: Option<AnyValue>) -> KeyValue {
    KeyValue {
        key: key.to_string(),
        value,
        ..Default::default()
    }
}

fn int(v: i64) -> Option<AnyValue> {
    Some(AnyValue {
        value: Some(Value::IntValue(v)),
    })
}

fn resource(rng: &mut fastrand::Rng) -> Option<Resource> {
    Some(Resource {
        attributes: vec![
            kv("service.name", s(SERVICES[rng.usize(..SERVICES.len())])),
            kv("deployment.environment", s("production")),
            kv("host.name", s(&format!("node-{:02}", rng.u8(..32)))),
        ],
        ..Default::default()
    })
}

fn scope() -> Option<InstrumentationScope> {
    Some(InstrumentationScope {
        name: "weir-gen".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        ..Default::default()
    })
}

/// One encoded export request of `records` records of `signal`.
pub fn request(signal: Signal, records: usize, rng: &mut fastrand::Rng, now_nanos: u64) -> Vec<u8> {
    match signal {
        Signal::Logs => logs(records, rng, now_nanos).encode_to_vec(),
        Signal::Traces => spans(records, rng, now_nanos).encode_to_vec(),
        Signal::Metrics => metrics(records, rng, now_nanos).encode_to_vec(),
    }
}

fn logs(n: usize, rng: &mut fastrand::Rng, now: u64) -> ExportLogsServiceRequest {
    let log_records = (0..n)
        .map(|i| {
            let severity = SEVERITIES[rng.usize(..SEVERITIES.len())];
            let route = ROUTES[rng.usize(..ROUTES.len())];
            let status = if severity >= 17 { 500 } else { 200 };
            LogRecord {
                time_unix_nano: now + i as u64,
                observed_time_unix_nano: now + i as u64 + 1_000,
                severity_number: severity,
                severity_text: match severity {
                    5 => "DEBUG",
                    13 => "WARN",
                    17 => "ERROR",
                    _ => "INFO",
                }
                .into(),
                body: s(&format!(
                    "GET {route} HTTP/1.1 {status} {} \"-\" \"Mozilla/5.0 (X11; Linux x86_64)\" rt=0.{:03}",
                    rng.u32(200..20_000),
                    rng.u32(..1000)
                )),
                attributes: vec![
                    kv("http.request.method", s("GET")),
                    kv("http.route", s(route)),
                    kv("http.response.status_code", int(status)),
                    kv("tenant", s(TENANTS[rng.usize(..TENANTS.len())])),
                ],
                trace_id: rng.u128(..).to_be_bytes().to_vec(),
                span_id: rng.u64(..).to_be_bytes().to_vec(),
                ..Default::default()
            }
        })
        .collect();
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: resource(rng),
            scope_logs: vec![ScopeLogs {
                scope: scope(),
                log_records,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

fn spans(n: usize, rng: &mut fastrand::Rng, now: u64) -> ExportTraceServiceRequest {
    let trace_id = rng.u128(..).to_be_bytes().to_vec();
    let root = rng.u64(..).to_be_bytes().to_vec();
    let spans = (0..n)
        .map(|i| {
            let route = ROUTES[rng.usize(..ROUTES.len())];
            let duration = rng.u64(100_000..50_000_000);
            Span {
                trace_id: trace_id.clone(),
                span_id: if i == 0 {
                    root.clone()
                } else {
                    rng.u64(..).to_be_bytes().to_vec()
                },
                parent_span_id: if i == 0 { Vec::new() } else { root.clone() },
                name: format!("GET {route}"),
                kind: if i == 0 { 2 } else { 3 },
                start_time_unix_nano: now,
                end_time_unix_nano: now + duration,
                attributes: vec![
                    kv("http.request.method", s("GET")),
                    kv("http.route", s(route)),
                    kv("http.response.status_code", int(200)),
                ],
                ..Default::default()
            }
        })
        .collect();
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: resource(rng),
            scope_spans: vec![ScopeSpans {
                scope: scope(),
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

fn metrics(n: usize, rng: &mut fastrand::Rng, now: u64) -> ExportMetricsServiceRequest {
    let gauge_points = (0..n.saturating_sub(1).max(1))
        .map(|i| NumberDataPoint {
            attributes: vec![kv("tenant", s(TENANTS[i % TENANTS.len()]))],
            time_unix_nano: now,
            value: Some(number_data_point::Value::AsDouble(rng.f64() * 100.0)),
            ..Default::default()
        })
        .collect();
    let histogram = HistogramDataPoint {
        count: 100,
        sum: Some(rng.f64() * 10.0),
        bucket_counts: vec![50, 30, 20],
        explicit_bounds: vec![0.1, 1.0],
        time_unix_nano: now,
        ..Default::default()
    };
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: resource(rng),
            scope_metrics: vec![ScopeMetrics {
                scope: scope(),
                metrics: vec![
                    Metric {
                        name: "queue.depth".into(),
                        unit: "{item}".into(),
                        data: Some(Data::Gauge(Gauge {
                            data_points: gauge_points,
                        })),
                        ..Default::default()
                    },
                    Metric {
                        name: "http.server.request.duration".into(),
                        unit: "s".into(),
                        data: Some(Data::Histogram(Histogram {
                            data_points: vec![histogram],
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
