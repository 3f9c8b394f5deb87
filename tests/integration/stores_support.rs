//! What the metrics-store tests share: the stores' addresses (real
//! servers from Debian's packages, started by `scripts/stores.sh`), names
//! unique per test so tests run side by side on one server, a metrics
//! request with one metric of each kind, a weir that exports metrics to a
//! store, and read-back helpers that poll until the data shows.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use prost::Message;
use serde_json::Value;
use weir::otlp::ExportMetricsServiceRequest;
use weir::otlp::common::{AnyValue, InstrumentationScope, KeyValue, any_value};
use weir::otlp::metrics::{
    Gauge, Histogram, HistogramDataPoint, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics,
    Sum, Summary, SummaryDataPoint, metric::Data, number_data_point,
    summary_data_point::ValueAtQuantile,
};
use weir::otlp::resource::Resource;

use crate::daemon_support::Daemon;

fn store(var: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| {
        panic!(
            "the metrics-store tests need the real stores: run `bash scripts/stores.sh start` \
             and set {var} (and the other WEIR_*_URL it prints; scripts/test.sh does both)"
        )
    })
}

/// InfluxDB 1.6, from `WEIR_INFLUXDB_URL`.
pub fn influxdb() -> String {
    store("WEIR_INFLUXDB_URL")
}

/// Prometheus 2.42 with the remote-write receiver, from `WEIR_PROMETHEUS_URL`.
pub fn prometheus() -> String {
    store("WEIR_PROMETHEUS_URL")
}

/// VictoriaMetrics 1.79, from `WEIR_VICTORIAMETRICS_URL`.
pub fn victoriametrics() -> String {
    store("WEIR_VICTORIAMETRICS_URL")
}

/// A name no other test (or earlier run on the same server) uses:
/// letters, digits and `_` only.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{prefix}_{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        nanos % 1_000_000_000
    )
}

/// Now in nanoseconds, rounded to whole milliseconds (what Prometheus
/// keeps), so that every store reads back the time sent.
pub fn now_nanos() -> u64 {
    let ns = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    ns - ns % 1_000_000
}

fn kv(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.into())),
        }),
        ..Default::default()
    }
}

/// The metric names of [`every_kind`], from a unique prefix.
pub struct Names {
    pub gauge: String,
    pub sum: String,
    pub histogram: String,
    pub summary: String,
}

impl Names {
    pub fn new(prefix: &str) -> Names {
        Names {
            gauge: format!("{prefix}_temp"),
            sum: format!("{prefix}_requests"),
            histogram: format!("{prefix}_latency"),
            summary: format!("{prefix}_rpc"),
        }
    }
}

/// One metric of each kind at time `t` (ns), resource `service.name:
/// shop`, `service.instance.id: i-1`, `host.name: h1`:
/// - gauge `{gauge}` (unit `Cel`) = 21.5, attribute `room: lab`;
/// - monotonic cumulative sum `{sum}` = 1027 (an integer), `method: post`;
/// - cumulative histogram `{histogram}` (unit `s`): count 10, sum 3.5,
///   bounds [0.1, 0.5], counts [2, 5, 3];
/// - summary `{summary}`: count 4, sum 2, 0.5 → 0.25, 0.99 → 1.5.
pub fn every_kind(names: &Names, t: u64) -> ExportMetricsServiceRequest {
    let number = |value, attrs| NumberDataPoint {
        attributes: attrs,
        start_time_unix_nano: t - 60_000_000_000,
        time_unix_nano: t,
        value: Some(value),
        ..Default::default()
    };
    let metrics = vec![
        Metric {
            name: names.gauge.clone(),
            unit: "Cel".into(),
            data: Some(Data::Gauge(Gauge {
                data_points: vec![number(
                    number_data_point::Value::AsDouble(21.5),
                    vec![kv("room", "lab")],
                )],
            })),
            ..Default::default()
        },
        Metric {
            name: names.sum.clone(),
            data: Some(Data::Sum(Sum {
                data_points: vec![number(
                    number_data_point::Value::AsInt(1027),
                    vec![kv("method", "post")],
                )],
                aggregation_temporality: 2,
                is_monotonic: true,
            })),
            ..Default::default()
        },
        Metric {
            name: names.histogram.clone(),
            unit: "s".into(),
            data: Some(Data::Histogram(Histogram {
                data_points: vec![HistogramDataPoint {
                    start_time_unix_nano: t - 60_000_000_000,
                    time_unix_nano: t,
                    count: 10,
                    sum: Some(3.5),
                    bucket_counts: vec![2, 5, 3],
                    explicit_bounds: vec![0.1, 0.5],
                    ..Default::default()
                }],
                aggregation_temporality: 2,
            })),
            ..Default::default()
        },
        Metric {
            name: names.summary.clone(),
            data: Some(Data::Summary(Summary {
                data_points: vec![SummaryDataPoint {
                    start_time_unix_nano: t - 60_000_000_000,
                    time_unix_nano: t,
                    count: 4,
                    sum: 2.0,
                    quantile_values: vec![
                        ValueAtQuantile {
                            quantile: 0.5,
                            value: 0.25,
                        },
                        ValueAtQuantile {
                            quantile: 0.99,
                            value: 1.5,
                        },
                    ],
                    ..Default::default()
                }],
            })),
            ..Default::default()
        },
    ];
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: Some(Resource {
                attributes: vec![
                    kv("service.name", "shop"),
                    kv("service.instance.id", "i-1"),
                    kv("host.name", "h1"),
                ],
                ..Default::default()
            }),
            scope_metrics: vec![ScopeMetrics {
                scope: Some(InstrumentationScope {
                    name: "weir-tests".into(),
                    ..Default::default()
                }),
                metrics,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

/// A weir receiving OTLP/HTTP and exporting metrics with `exporter` (its
/// YAML under `exporters:`, id first), dead letters to files under
/// `{dir}/dead`.
pub fn weir_exporting(exporter_id: &str, exporter: &str) -> Daemon {
    let config = format!(
        "receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:{{http_port}}
exporters:
  {exporter_id}:
{exporter}
    retry_on_failure:
      initial_interval: 200ms
      max_interval: 1s
  file/dead:
    path: {{dir}}/dead
service:
  telemetry:
    address: 127.0.0.1:{{telemetry_port}}
  pipelines:
    metrics:
      receivers: [otlp]
      exporters: [{exporter_id}]
      dead_letter: [file/dead]
"
    );
    Daemon::from_config(tempfile::tempdir().expect("temp dir"), &config)
}

/// Sends `request` to `weir` over OTLP/HTTP; weir answers once the
/// exporter is done with it.
pub fn send(weir: &Daemon, request: &ExportMetricsServiceRequest) {
    let answer = client()
        .post(format!("{}/v1/metrics", weir.http))
        .header("Content-Type", "application/x-protobuf")
        .timeout(Duration::from_secs(60))
        .body(request.encode_to_vec())
        .send()
        .expect("weir answers");
    assert_eq!(answer.status(), 200, "weir log:\n{}", weir.log());
}

/// Calls `read` until it returns `Some`, for at most 30 s.
pub fn eventually<T>(what: &str, mut read: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(value) = read() {
            return value;
        }
        assert!(Instant::now() < deadline, "{what}: nothing after 30 s");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A client for the tests' own requests. reqwest is built without a
/// crypto provider of its own, so one is installed first (an error only
/// means it is already).
fn client() -> reqwest::blocking::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::blocking::Client::new()
}

/// `url` with `query` encoded into it (reqwest is built without its
/// `query` feature).
fn with_query(url: &str, query: &[(&str, &str)]) -> reqwest::Url {
    reqwest::Url::parse_with_params(url, query).unwrap_or_else(|e| panic!("{url}: {e}"))
}

fn get_json(url: &str, query: &[(&str, &str)]) -> Value {
    let answer = client()
        .get(with_query(url, query))
        .timeout(Duration::from_secs(10))
        .send()
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    let status = answer.status();
    let text = answer.text().unwrap_or_default();
    assert!(status.is_success(), "{url} answered {status}: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{url}: {e}: {text}"))
}

/// Creates InfluxDB database `db`.
pub fn influx_create(db: &str) {
    let answer = client()
        .post(with_query(
            &format!("{}/query", influxdb()),
            &[("q", &format!("CREATE DATABASE \"{db}\""))],
        ))
        .send()
        .expect("influxdb answers");
    assert!(answer.status().is_success(), "{:?}", answer.text());
}

/// The first series of InfluxQL `query` in `db` (times in ns), once it
/// has one: `{"name", "tags", "columns", "values"}`.
pub fn influx_series(db: &str, query: &str) -> Value {
    eventually(query, || {
        let result = get_json(
            &format!("{}/query", influxdb()),
            &[("db", db), ("q", query), ("epoch", "ns")],
        );
        result["results"][0]["series"].get(0).cloned()
    })
}

/// One row of an InfluxDB series as column → value.
pub fn influx_row(series: &Value, row: usize) -> serde_json::Map<String, Value> {
    let columns = series["columns"].as_array().expect("columns");
    let values = series["values"][row].as_array().expect("row");
    columns
        .iter()
        .zip(values)
        .map(|(c, v)| (c.as_str().unwrap().to_string(), v.clone()))
        .collect()
}

/// The result vector of PromQL `query`, once it is not empty.
pub fn prometheus_query(query: &str) -> Vec<Value> {
    eventually(query, || {
        let result = get_json(
            &format!("{}/api/v1/query", prometheus()),
            &[("query", query)],
        );
        let vector = result["data"]["result"].as_array()?.clone();
        (!vector.is_empty()).then_some(vector)
    })
}

/// The series VictoriaMetrics exports for `selector`, once there are
/// `count` of them: `{"metric", "values", "timestamps"}` each.
pub fn victoriametrics_export(selector: &str, count: usize) -> Vec<Value> {
    let vm = victoriametrics();
    eventually(selector, || {
        // Recent rows sit in memory until flushed; ask for it rather
        // than wait for the periodic flush.
        let _ = client().get(format!("{vm}/internal/force_flush")).send();
        let text = client()
            .get(with_query(
                &format!("{vm}/api/v1/export"),
                &[("match[]", selector)],
            ))
            .send()
            .ok()?
            .text()
            .ok()?;
        let series: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("export lines are JSON"))
            .collect();
        (series.len() >= count).then_some(series)
    })
}
