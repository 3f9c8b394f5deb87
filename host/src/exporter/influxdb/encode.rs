//! A batch as line protocol payloads: the signal's mapping
//! ([`metrics`](super::metrics), [`records`](super::records)) writes the
//! lines into one buffer, cut into payloads of at most
//! `payload_max_lines` lines / about `payload_max_bytes` bytes; each
//! payload is then compressed on its own. Pure functions, so what goes on
//! the wire is tested without a server.

use std::io::Write;

use super::config::{Compression, InfluxDbExporter};
use super::line::{Lines, Skipped};
use super::metrics::{self, Limits};
use super::records;
use crate::otlp::{Batch, Payload};

/// Writes `batch` into `out` (cleared first) as lines, cut into payloads.
pub(crate) fn encode(batch: &Batch, settings: &InfluxDbExporter, out: &mut Lines) -> Skipped {
    out.clear();
    let mut skipped = Skipped::default();
    let limits = Limits {
        max_lines: settings.payload_max_lines,
        max_bytes: settings.payload_max_bytes,
    };
    match batch.payload() {
        Payload::Metrics(request) => {
            metrics::write(request, settings.metrics_schema, limits, out, &mut skipped)
        }
        Payload::Logs(request) => records::logs(
            request,
            &settings.log_record_dimensions,
            limits,
            out,
            &mut skipped,
        ),
        Payload::Traces(request) => records::spans(
            request,
            &settings.span_dimensions,
            limits,
            out,
            &mut skipped,
        ),
    }
    out.cut();
    skipped
}

/// One payload as a request body, with its `Content-Encoding`.
pub(crate) fn body(
    payload: &[u8],
    compression: Compression,
) -> std::io::Result<(bytes::Bytes, Option<&'static str>)> {
    match compression {
        Compression::None => Ok((bytes::Bytes::copy_from_slice(payload), None)),
        Compression::Gzip => {
            let out = Vec::with_capacity(payload.len() / 4);
            // Level 1: line protocol is repetitive text that compresses
            // well at any level, and this is the exporter's own CPU.
            let mut gz = flate2::write::GzEncoder::new(out, flate2::Compression::fast());
            gz.write_all(payload)?;
            Ok((gz.finish()?.into(), Some("gzip")))
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::exporter::influxdb::config::MetricsSchema;
    use crate::otlp::ExportMetricsServiceRequest;
    use crate::otlp::common::{AnyValue, InstrumentationScope, KeyValue, any_value};
    use crate::otlp::metrics::{
        AggregationTemporality, Gauge, Histogram, HistogramDataPoint, Metric, NumberDataPoint,
        ResourceMetrics, ScopeMetrics, Sum, Summary, SummaryDataPoint, metric::Data,
        number_data_point, summary_data_point::ValueAtQuantile,
    };
    use crate::otlp::resource::Resource;

    pub(crate) const T: u64 = 1_700_000_000_000_000_000;

    pub(crate) fn kv(key: &str, value: &str) -> KeyValue {
        KeyValue {
            key: key.into(),
            value: Some(AnyValue {
                value: Some(any_value::Value::StringValue(value.into())),
            }),
            ..Default::default()
        }
    }

    fn number(value: number_data_point::Value, attrs: Vec<KeyValue>) -> NumberDataPoint {
        NumberDataPoint {
            attributes: attrs,
            time_unix_nano: T,
            value: Some(value),
            ..Default::default()
        }
    }

    /// One metric of each kind, as README's mapping examples show them.
    pub(crate) fn every_kind() -> Batch {
        let metrics = vec![
            Metric {
                name: "cpu_temp".into(),
                data: Some(Data::Gauge(Gauge {
                    data_points: vec![number(
                        number_data_point::Value::AsDouble(87.5),
                        vec![kv("core", "0")],
                    )],
                })),
                ..Default::default()
            },
            Metric {
                name: "http_requests".into(),
                data: Some(Data::Sum(Sum {
                    data_points: vec![number(
                        number_data_point::Value::AsInt(1027),
                        vec![kv("method", "post")],
                    )],
                    aggregation_temporality: AggregationTemporality::Cumulative as i32,
                    is_monotonic: true,
                })),
                ..Default::default()
            },
            Metric {
                name: "http_duration".into(),
                data: Some(Data::Histogram(Histogram {
                    data_points: vec![HistogramDataPoint {
                        time_unix_nano: T,
                        count: 10,
                        sum: Some(3.5),
                        bucket_counts: vec![2, 5, 3],
                        explicit_bounds: vec![0.1, 0.5],
                        ..Default::default()
                    }],
                    aggregation_temporality: AggregationTemporality::Cumulative as i32,
                })),
                ..Default::default()
            },
            Metric {
                name: "rpc_duration".into(),
                data: Some(Data::Summary(Summary {
                    data_points: vec![SummaryDataPoint {
                        time_unix_nano: T,
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
                    attributes: vec![kv("service.name", "shop")],
                    ..Default::default()
                }),
                scope_metrics: vec![ScopeMetrics {
                    scope: Some(InstrumentationScope {
                        name: "meter".into(),
                        ..Default::default()
                    }),
                    metrics,
                    ..Default::default()
                }],
                ..Default::default()
            }],
        }
        .into()
    }

    fn text(batch: &Batch, settings: &InfluxDbExporter) -> (String, Skipped) {
        let mut lines = Lines::default();
        let skipped = encode(batch, settings, &mut lines);
        (String::from_utf8(lines.buf.clone()).unwrap(), skipped)
    }

    #[test]
    fn telegraf_prometheus_v1_has_a_measurement_per_metric() {
        let (text, skipped) = text(&every_kind(), &InfluxDbExporter::default());
        assert_eq!(skipped, Skipped::default());
        assert_eq!(
            crate::exporter::influxdb::line::tests::parse(&text).len(),
            4
        );
        assert_eq!(
            text,
            "cpu_temp,core=0,otel.library.name=meter,service.name=shop gauge=87.5 1700000000000000000\n\
             http_requests,method=post,otel.library.name=meter,service.name=shop counter=1027i 1700000000000000000\n\
             http_duration,otel.library.name=meter,service.name=shop count=10,sum=3.5,0.1=2,0.5=7 1700000000000000000\n\
             rpc_duration,otel.library.name=meter,service.name=shop count=4,sum=2,0.5=0.25,0.99=1.5 1700000000000000000\n"
        );
    }

    #[test]
    fn telegraf_prometheus_v2_has_one_measurement_and_le_and_quantile_tags() {
        let settings = InfluxDbExporter {
            metrics_schema: MetricsSchema::TelegrafPrometheusV2,
            ..Default::default()
        };
        let (text, _) = text(&every_kind(), &settings);
        assert_eq!(
            text,
            "prometheus,core=0,otel.library.name=meter,service.name=shop cpu_temp=87.5 1700000000000000000\n\
             prometheus,method=post,otel.library.name=meter,service.name=shop http_requests=1027i 1700000000000000000\n\
             prometheus,otel.library.name=meter,service.name=shop http_duration_count=10,http_duration_sum=3.5 1700000000000000000\n\
             prometheus,le=0.1,otel.library.name=meter,service.name=shop http_duration_bucket=2 1700000000000000000\n\
             prometheus,le=0.5,otel.library.name=meter,service.name=shop http_duration_bucket=7 1700000000000000000\n\
             prometheus,otel.library.name=meter,service.name=shop rpc_duration_count=4,rpc_duration_sum=2 1700000000000000000\n\
             prometheus,otel.library.name=meter,quantile=0.5,service.name=shop rpc_duration=0.25 1700000000000000000\n\
             prometheus,otel.library.name=meter,quantile=0.99,service.name=shop rpc_duration=1.5 1700000000000000000\n"
        );
    }

    #[test]
    fn resource_attributes_win_and_nan_points_and_timeless_points_are_counted() {
        let mut batch = every_kind();
        let Payload::Metrics(request) = batch.payload_mut() else {
            unreachable!()
        };
        let metrics = &mut request.resource_metrics[0].scope_metrics[0].metrics;
        let Some(Data::Gauge(gauge)) = &mut metrics[0].data else {
            unreachable!()
        };
        gauge.data_points[0]
            .attributes
            .push(kv("service.name", "mine"));
        gauge.data_points[0].start_time_unix_nano = 5;
        let mut nan = gauge.data_points[0].clone();
        nan.value = Some(number_data_point::Value::AsDouble(f64::NAN));
        let mut timeless = gauge.data_points[0].clone();
        timeless.time_unix_nano = 0;
        gauge.data_points.extend([nan, timeless]);
        metrics.truncate(1);
        let (text, skipped) = text(&batch, &InfluxDbExporter::default());
        assert_eq!(
            text,
            "cpu_temp,core=0,otel.library.name=meter,service.name=shop \
             gauge=87.5,start_time_unix_nano=5i 1700000000000000000\n"
        );
        assert_eq!(
            skipped,
            Skipped {
                non_finite_fields: 1,
                empty_lines: 1,
                no_timestamp: 1,
                ..Default::default()
            }
        );
    }

    #[test]
    fn payloads_are_cut_and_gzip_round_trips() {
        let settings = InfluxDbExporter {
            payload_max_lines: 3,
            ..Default::default()
        };
        let mut lines = Lines::default();
        encode(&every_kind(), &settings, &mut lines);
        let payloads: Vec<&[u8]> = lines.payloads().collect();
        assert_eq!(payloads.len(), 2);
        assert_eq!(payloads.concat(), lines.buf);
        let (body, encoding) = super::body(payloads[0], Compression::Gzip).unwrap();
        assert_eq!(encoding, Some("gzip"));
        let mut plain = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&body[..]), &mut plain)
            .unwrap();
        assert_eq!(plain, payloads[0]);
    }
}
