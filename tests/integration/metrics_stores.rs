//! The metrics exporters against the real stores (issue 16): weir
//! receives OTLP/HTTP from the test, exports to InfluxDB 1.6, Prometheus
//! 2.42 or VictoriaMetrics 1.79, and the test reads the data back with the
//! store's own query API. VictoriaMetrics' OTLP path and cluster URLs are
//! checked against their documented format in the exporter's unit tests
//! (no packaged version has them).

use serde_json::{Value, json};
use weir::otlp::metrics::{metric::Data, number_data_point};

use crate::stores_support::{
    Names, every_kind, influx_create, influx_row, influx_series, influxdb, now_nanos, prometheus,
    prometheus_query, send, unique, victoriametrics, victoriametrics_export, weir_exporting,
};

fn influx_exporter(endpoint: &str, db: &str) -> String {
    format!("    endpoint: {endpoint}\n    v1_compatibility: {{enabled: true, db: {db}}}")
}

#[test]
fn influxdb_reads_back_every_kind_with_values_tags_and_nanosecond_times() {
    let db = unique("weir");
    influx_create(&db);
    let names = Names::new(&unique("m"));
    // Not a whole millisecond: InfluxDB keeps nanoseconds.
    let t = now_nanos() + 123;
    let mut weir = weir_exporting("influxdb", &influx_exporter(&influxdb(), &db));
    send(&weir, &every_kind(&names, t));

    let row = |name: &str| {
        let series = influx_series(&db, &format!("SELECT * FROM \"{name}\""));
        assert_eq!(series["values"].as_array().unwrap().len(), 1, "{series}");
        influx_row(&series, 0)
    };
    let gauge = row(&names.gauge);
    assert_eq!(gauge["time"], json!(t));
    assert_eq!(gauge["gauge"], json!(21.5));
    assert_eq!(gauge["start_time_unix_nano"], json!(t - 60_000_000_000));
    for (tag, value) in [
        ("room", "lab"),
        ("service.name", "shop"),
        ("service.instance.id", "i-1"),
        ("host.name", "h1"),
        ("otel.library.name", "weir-tests"),
    ] {
        assert_eq!(gauge[tag], json!(value), "tag {tag}");
    }
    let sum = row(&names.sum);
    assert_eq!(sum["counter"], json!(1027));
    assert_eq!(sum["method"], json!("post"));
    assert_eq!(sum["time"], json!(t));
    let histogram = row(&names.histogram);
    assert_eq!(histogram["count"], json!(10));
    assert_eq!(histogram["sum"], json!(3.5));
    assert_eq!(histogram["0.1"], json!(2), "cumulative count up to 0.1");
    assert_eq!(histogram["0.5"], json!(7), "cumulative count up to 0.5");
    let summary = row(&names.summary);
    assert_eq!(summary["count"], json!(4));
    assert_eq!(summary["sum"], json!(2));
    assert_eq!(summary["0.5"], json!(0.25));
    assert_eq!(summary["0.99"], json!(1.5));
    // The integer stayed an integer: InfluxDB types the field by it.
    let types = influx_series(&db, &format!("SHOW FIELD KEYS FROM \"{}\"", names.sum));
    assert!(
        types["values"]
            .as_array()
            .unwrap()
            .contains(&json!(["counter", "integer"])),
        "{types}"
    );
    assert!(weir.stop().success());
}

#[test]
fn an_influxdb_field_type_conflict_is_dead_lettered_with_its_message_and_the_rest_is_written() {
    let db = unique("weir");
    influx_create(&db);
    let names = Names::new(&unique("m"));
    let t = now_nanos();
    let mut weir = weir_exporting("influxdb", &influx_exporter(&influxdb(), &db));
    send(&weir, &every_kind(&names, t));
    // The same counter as a float: InfluxDB has it as an integer field.
    let mut conflicting = every_kind(&names, t + 1_000_000);
    let metrics = &mut conflicting.resource_metrics[0].scope_metrics[0].metrics;
    let Some(Data::Sum(sum)) = &mut metrics[1].data else {
        unreachable!("every_kind's second metric is the sum")
    };
    sum.data_points[0].value = Some(number_data_point::Value::AsDouble(1.5));
    send(&weir, &conflicting);

    let failed = weir.metric(
        "weir_exporter_send_failed_records_total{exporter=\"influxdb\",signal=\"metrics\",kind=\"permanent\"}",
    );
    let log = weir.log();
    assert!(weir.stop().success());
    assert_eq!(
        failed,
        Some(4.0),
        "the second request's 4 points (a point is a record); log:\n{log}"
    );
    assert!(
        log.contains("400") && log.contains("field type conflict"),
        "the store's reason:\n{log}"
    );
    let dead = std::fs::read_to_string(weir.dir().join("dead/metrics/metrics.jsonl"))
        .expect("dead letters");
    assert_eq!(dead.lines().count(), 1);
    assert!(dead.contains(&names.sum), "{dead}");
    // InfluxDB wrote the points without a conflict (a partial write).
    let gauge = influx_series(&db, &format!("SELECT gauge FROM \"{}\"", names.gauge));
    assert_eq!(gauge["values"].as_array().unwrap().len(), 2, "{gauge}");
}

/// `[labels, value]` of a Prometheus instant-vector element.
fn labels_and_value(element: &Value) -> (&serde_json::Map<String, Value>, f64) {
    let labels = element["metric"].as_object().expect("labels");
    let value = element["value"][1]
        .as_str()
        .expect("value")
        .parse()
        .unwrap();
    (labels, value)
}

#[test]
fn prometheus_reads_back_remote_written_series_with_suffixes_labels_and_buckets() {
    let names = Names::new(&unique("weir"));
    let t = now_nanos();
    let mut weir = weir_exporting(
        "prometheusremotewrite",
        &format!("    endpoint: {}/api/v1/write", prometheus()),
    );
    send(&weir, &every_kind(&names, t));

    let gauge = prometheus_query(&format!("{}_celsius", names.gauge));
    let (labels, value) = labels_and_value(&gauge[0]);
    assert_eq!(value, 21.5);
    assert_eq!(labels["job"], "shop");
    assert_eq!(labels["instance"], "i-1");
    assert_eq!(labels["room"], "lab");
    assert!(
        !labels.contains_key("host_name"),
        "resource attributes only in target_info"
    );

    let total = prometheus_query(&format!("{}_total", names.sum));
    let (labels, value) = labels_and_value(&total[0]);
    assert_eq!((labels["method"].as_str(), value), (Some("post"), 1027.0));

    let mut buckets: Vec<(String, f64)> =
        prometheus_query(&format!("{}_seconds_bucket", names.histogram))
            .iter()
            .map(|e| {
                let (labels, value) = labels_and_value(e);
                (labels["le"].as_str().unwrap().to_string(), value)
            })
            .collect();
    buckets.sort_by(|a, b| a.1.total_cmp(&b.1));
    assert_eq!(
        buckets,
        [
            ("0.1".into(), 2.0),
            ("0.5".into(), 7.0),
            ("+Inf".into(), 10.0)
        ]
    );
    let count = prometheus_query(&format!("{}_seconds_count", names.histogram));
    assert_eq!(labels_and_value(&count[0]).1, 10.0);
    let sum = prometheus_query(&format!("{}_seconds_sum", names.histogram));
    assert_eq!(labels_and_value(&sum[0]).1, 3.5);

    let quantiles = prometheus_query(&format!("{}{{quantile=\"0.99\"}}", names.summary));
    assert_eq!(labels_and_value(&quantiles[0]).1, 1.5);
    let target = prometheus_query("target_info{job=\"shop\",instance=\"i-1\"}");
    assert_eq!(labels_and_value(&target[0]).0["host_name"], "h1");
    // The sample's time is the point's, in milliseconds.
    let at = prometheus_query(&format!("timestamp({}_celsius)", names.gauge));
    let at = labels_and_value(&at[0]).1;
    assert_eq!((at * 1000.0).round() as u64, t / 1_000_000);
    assert!(weir.stop().success());
}

/// The exported series of `name` among `series`.
fn vm_series<'a>(series: &'a [Value], name: &str) -> &'a Value {
    series
        .iter()
        .find(|s| s["metric"]["__name__"] == name)
        .unwrap_or_else(|| panic!("no {name} in {series:?}"))
}

#[test]
fn victoriametrics_reads_back_remote_written_series() {
    let prefix = unique("weir");
    let names = Names::new(&prefix);
    let t = now_nanos();
    let mut weir = weir_exporting(
        "victoriametrics",
        &format!(
            "    endpoint: {}\n    mode: remote_write\n    remote_write: {{target_info: {{enabled: false}}}}",
            victoriametrics()
        ),
    );
    send(&weir, &every_kind(&names, t));
    // gauge, counter, 3 buckets + _sum + _count, 2 quantiles + _sum + _count.
    let series = victoriametrics_export(&format!("{{__name__=~\"{prefix}_.*\"}}"), 11);
    assert_eq!(series.len(), 11);
    let gauge = vm_series(&series, &format!("{}_celsius", names.gauge));
    assert_eq!(gauge["values"], json!([21.5]));
    assert_eq!(gauge["timestamps"], json!([t / 1_000_000]));
    assert_eq!(gauge["metric"]["job"], "shop");
    assert_eq!(gauge["metric"]["room"], "lab");
    let inf = series
        .iter()
        .find(|s| {
            s["metric"]["__name__"] == format!("{}_seconds_bucket", names.histogram)
                && s["metric"]["le"] == "+Inf"
        })
        .expect("+Inf bucket");
    assert_eq!(inf["values"], json!([10]));
    assert_eq!(
        vm_series(&series, &format!("{}_total", names.sum))["values"],
        json!([1027])
    );
    assert!(weir.stop().success());
}

#[test]
fn victoriametrics_reads_back_influx_line_protocol_from_the_influxdb_exporter() {
    let prefix = unique("weir");
    let names = Names::new(&prefix);
    let t = now_nanos();
    let db = unique("db");
    let mut weir = weir_exporting("influxdb", &influx_exporter(&victoriametrics(), &db));
    send(&weir, &every_kind(&names, t));
    // VictoriaMetrics names a series <measurement>_<field>, tags become
    // labels and `db` one more. Fields: gauge + start time, counter +
    // start time, count/sum/0.1/0.5 + start time, count/sum/0.5/0.99 +
    // start time: 14 series.
    let series = victoriametrics_export(&format!("{{__name__=~\"{prefix}_.*\"}}"), 14);
    assert_eq!(series.len(), 14);
    let gauge = vm_series(&series, &format!("{}_gauge", names.gauge));
    assert_eq!(gauge["values"], json!([21.5]));
    assert_eq!(gauge["timestamps"], json!([t / 1_000_000]));
    assert_eq!(gauge["metric"]["db"], json!(db));
    assert_eq!(gauge["metric"]["room"], "lab");
    assert_eq!(gauge["metric"]["service.name"], "shop");
    assert_eq!(
        vm_series(&series, &format!("{}_0.5", names.histogram))["values"],
        json!([7])
    );
    assert_eq!(
        vm_series(&series, &format!("{}_0.99", names.summary))["values"],
        json!([1.5])
    );
    assert_eq!(
        vm_series(&series, &format!("{}_counter", names.sum))["values"],
        json!([1027])
    );
    assert!(weir.stop().success());
}
