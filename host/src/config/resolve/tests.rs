//! The resolver held to what users write: the embedded default, each
//! component type, and every refusal with the key and message it names.

use super::super::{DEFAULT_YAML, parse};
use super::*;

fn resolve_text(text: &str) -> Result<Config> {
    resolve(parse(text)?, Path::new("/etc/weir"))
}

fn error(text: &str) -> String {
    resolve_text(text).unwrap_err().to_string()
}

#[test]
fn the_embedded_default_resolves() {
    let config = resolve_text(DEFAULT_YAML).unwrap();
    let signals: Vec<_> = config.pipelines.iter().map(|p| p.signal).collect();
    assert_eq!(signals, [Signal::Logs, Signal::Metrics, Signal::Traces]);
    let Receiver::Otlp(otlp) = &config.receivers["otlp"] else {
        panic!("an otlp receiver")
    };
    assert_eq!(
        otlp.protocols.grpc.as_ref().unwrap().endpoint,
        "localhost:4317"
    );
    assert_eq!(
        otlp.protocols.http.as_ref().unwrap().max_request_body_size,
        20 << 20
    );
}

#[test]
fn auth_names_a_listed_bearertokenauth_extension() {
    let config = |auth: &str, listed: &str| {
        format!(
            "extensions:\n  bearertokenauth:\n    token: t\n\
                 receivers:\n  otlp:\n    protocols:\n      http:\n        auth: {{authenticator: {auth}}}\n\
                 exporters:\n  null:\n\
                 service:\n  extensions: [{listed}]\n  pipelines:\n    logs:\n      receivers: [otlp]\n      exporters: [null]\n"
        )
    };
    let resolved = resolve_text(&config("bearertokenauth", "bearertokenauth")).unwrap();
    let Receiver::Otlp(otlp) = &resolved.receivers["otlp"] else {
        panic!("an otlp receiver")
    };
    let auth = otlp.protocols.http.as_ref().unwrap().auth.as_ref().unwrap();
    assert_eq!(auth.resolved.as_ref().unwrap().token.as_deref(), Some("t"));
    assert!(
        error(&config("bearertokenauth/other", "bearertokenauth")).starts_with(
            "receivers.otlp.protocols.http.auth.authenticator: `bearertokenauth/other` is not"
        ),
        "{}",
        error(&config("bearertokenauth/other", "bearertokenauth"))
    );
    let empty = "extensions:\n  bearertokenauth:\n    token: \"\"\n\
                     receivers:\n  otlp:\n    protocols:\n      http:\n\
                     exporters:\n  null:\n\
                     service:\n  extensions: [bearertokenauth]\n  pipelines:\n    logs:\n      receivers: [otlp]\n      exporters: [null]\n";
    assert!(
        error(empty).starts_with("extensions.bearertokenauth.token: "),
        "{}",
        error(empty)
    );
}

#[test]
fn a_receiver_tls_block_needs_readable_files() {
    let text = "receivers:\n  otlp:\n    protocols:\n      grpc:\n        tls: {cert_file: /nonexistent/c.pem, key_file: /nonexistent/k.pem}\n\
                    exporters:\n  null:\n\
                    service:\n  pipelines:\n    logs:\n      receivers: [otlp]\n      exporters: [null]\n";
    assert!(
        error(text).starts_with("receivers.otlp.protocols.grpc.tls.cert_file: cannot read"),
        "{}",
        error(text)
    );
}

const MINIMAL: &str = "
receivers:
  otlp:
    protocols:
      grpc:
processors:
  wasm/filter:
    path: plugins/severity_filter.wasm
    config: {min_severity: WARN}
    timeout: 2s
exporters:
  null:
service:
  pipelines:
    logs:
      receivers: [otlp]
      processors: [wasm/filter]
      exporters: [null]
";

#[test]
fn metrics_only_exporters_are_refused_other_signals_naming_the_exporter() {
    let with = |exporter: &str, settings: &str| {
        MINIMAL
            .replace("  null:\n", &format!("  null:\n  {exporter}:\n{settings}"))
            .replace(
                "exporters: [null]",
                &format!("exporters: [null, {exporter}]"),
            )
    };
    assert_eq!(
        error(&with("victoriametrics", "    endpoint: http://vm:8428\n")),
        "exporters.victoriametrics: pipeline `logs` sends it logs, but a victoriametrics \
             exporter takes metrics only: use it in metrics pipelines"
    );
    assert_eq!(
        error(&with(
            "prometheusremotewrite/p",
            "    endpoint: http://p:9090/api/v1/write\n"
        )),
        "exporters.prometheusremotewrite/p: pipeline `logs` sends it logs, but a \
             prometheusremotewrite exporter takes metrics only: use it in metrics pipelines"
    );
    // influxdb takes every signal.
    let config = resolve_text(&with(
        "influxdb",
        "    endpoint: http://i:8086\n    v1_compatibility: {enabled: true, db: d}\n",
    ))
    .unwrap();
    assert!(matches!(
        config.exporters["influxdb"].kind,
        Exporter::InfluxDb(_)
    ));
    assert_eq!(
        error(&with("influxdb", "    endpoint: http://i:8086\n")),
        "exporters.influxdb.bucket: required (or set `v1_compatibility.enabled` and `db` for InfluxDB 1.x)"
    );
}

#[test]
fn a_bare_protocol_key_means_its_defaults_and_plugins_resolve() {
    let config = resolve_text(MINIMAL).unwrap();
    let Receiver::Otlp(otlp) = &config.receivers["otlp"] else {
        panic!("an otlp receiver")
    };
    assert_eq!(
        otlp.protocols.grpc.as_ref().unwrap().max_recv_msg_size_mib,
        4
    );
    assert!(otlp.protocols.http.is_none());
    let plugin = &config.pipelines[0].plugins[0];
    assert_eq!(
        plugin.settings.path,
        Path::new("/etc/weir/plugins/severity_filter.wasm")
    );
    assert_eq!(plugin.config_json, r#"{"min_severity":"WARN"}"#);
    assert_eq!(plugin.settings.timeout, std::time::Duration::from_secs(2));
}

#[test]
fn errors_name_the_field() {
    let typo = MINIMAL.replace("timeout: 2s", "timeout: soon");
    let err = error(&typo);
    assert!(err.starts_with("processors.wasm/filter.timeout:"), "{err}");

    let unknown = MINIMAL.replace("      grpc:", "      grpc:\n        endpont: x");
    let err = error(&unknown);
    assert!(
        err.contains("receivers.otlp.protocols.grpc") && err.contains("endpont"),
        "{err}"
    );

    let missing = MINIMAL.replace("exporters: [null]", "exporters: [file]");
    let err = error(&missing);
    assert_eq!(
        err,
        "service.pipelines.logs.exporters[0]: exporter `file` is not defined under `exporters`"
    );

    let bad_signal = MINIMAL.replace("    logs:\n", "    spans:\n");
    assert!(error(&bad_signal).contains("unknown signal `spans`"));

    let bad_type = MINIMAL.replace("  null:", "  nosuchsink:");
    assert!(error(&bad_type).contains("unknown exporter type `nosuchsink`"));

    let top = format!("{MINIMAL}\nconnectors: {{}}\n");
    assert!(error(&top).contains("connectors"), "{}", error(&top));
}

#[test]
fn otlp_exporters_resolve_and_their_errors_name_the_field() {
    let with = |settings: &str| {
        MINIMAL
            .replace("  null:", &format!("  otlp/b:\n{settings}"))
            .replace("exporters: [null]", "exporters: [otlp/b]")
    };
    let config = resolve_text(&with(
        "    endpoint: collector:4317\n    tls: {insecure: true}\n    compression: zstd",
    ))
    .unwrap();
    let Exporter::Otlp(settings) = &config.exporters["otlp/b"].kind else {
        panic!("{:?}", config.exporters["otlp/b"]);
    };
    assert_eq!(settings.uri().as_deref(), Some("http://collector:4317"));

    assert!(
        error(&with("    endpoint: http://collector:4317")).starts_with(
            "exporters.otlp/b.tls.insecure: `http://collector:4317` asks for plaintext"
        )
    );
    assert_eq!(
        error(&with(
            "    endpoint: collector:4317\n    tls: {insecure: true, key_file: k.pem}"
        )),
        "exporters.otlp/b.tls.key_file: has no effect with `tls.insecure: true` \
             (plaintext); remove one of them"
    );
    // TLS files are read when the configuration is resolved, not on the
    // first export.
    assert!(
        error(&with(
            "    endpoint: collector:4317\n    tls: {ca_file: /nonexistent/ca.pem}"
        ))
        .starts_with("exporters.otlp/b.tls.ca_file: cannot read `/nonexistent/ca.pem`: "),
    );
    assert_eq!(
        error(&with("    tls: {insecure: true}")),
        "exporters.otlp/b.endpoint: set `endpoint`, e.g. `collector:4317` or \
             `http://collector:4317`"
    );
    assert!(
        error(&with(
            "    endpoint: c:4317\n    tls: {insecure: true}\n    timeout: soon"
        ))
        .starts_with("exporters.otlp/b.timeout:")
    );
    assert!(error(&MINIMAL.replace("  null:", "  otlpgrpc:")).contains(
        "unknown exporter type `otlpgrpc` (known: file, debug, null, otlp, otlphttp, kafka, \
             influxdb, prometheusremotewrite, victoriametrics, victorialogs, jaeger, s3)"
    ));
}

#[test]
fn kafka_components_resolve_with_collector_keys_and_name_the_field_at_fault() {
    let yaml = "
receivers:
  kafka:
    brokers: [k1:9092, k2:9092]
    group_id: phase2
    logs: {topics: [tenant_a_logs, tenant_b_logs]}
    header_extraction: {extract_headers: true, headers: [tenant]}
exporters:
  kafka/out:
    brokers: [k1:9092]
    partition_traces_by_id: true
    traces: {topic: spans, encoding: otlp_json}
    producer: {compression: zstd, max_message_bytes: 500000}
    auth:
      sasl: {username: u, password: p, mechanism: SCRAM-SHA-256}
service:
  pipelines:
    logs:
      receivers: [kafka]
      exporters: [kafka/out]
";
    let config = resolve_text(yaml).unwrap();
    let Receiver::Kafka(receiver) = &config.receivers["kafka"] else {
        panic!("a kafka receiver")
    };
    assert_eq!(
        receiver.topics(Signal::Logs),
        ["tenant_a_logs", "tenant_b_logs"]
    );
    assert_eq!(receiver.topics(Signal::Traces), ["otlp_spans"]);
    let Exporter::Kafka(exporter) = &config.exporters["kafka/out"].kind else {
        panic!("a kafka exporter")
    };
    assert_eq!(exporter.topic(Signal::Logs), "otlp_logs");
    assert_eq!(exporter.topic(Signal::Traces), "spans");
    let client = exporter.client_config().unwrap();
    assert_eq!(client.get("compression.codec"), Some("zstd"));
    assert_eq!(client.get("acks"), Some("-1"));
    assert_eq!(client.get("enable.idempotence"), Some("true"));
    assert_eq!(client.get("security.protocol"), Some("sasl_plaintext"));

    let error = |from: &str, to: &str| {
        resolve_text(&yaml.replace(from, to))
            .unwrap_err()
            .to_string()
    };
    assert!(
        error("compression: zstd", "compression: brotli")
            .starts_with("exporters.kafka/out.producer.compression: unknown variant `brotli`"),
    );
    assert_eq!(
        error("mechanism: SCRAM-SHA-256", "mechanism: GSSAPI"),
        "exporters.kafka/out.auth.sasl.mechanism: `GSSAPI` is not supported \
             (supported: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512)"
    );
    assert_eq!(
        error(
            "group_id: phase2",
            "group_id: phase2\n    librdkafka: {enable.auto.commit: \"true\"}"
        ),
        "receivers.kafka.librdkafka.enable.auto.commit: weir commits offsets itself, \
             only once records are exported; this property cannot be changed"
    );
    assert_eq!(
        error(
            "logs: {topics: [tenant_a_logs, tenant_b_logs]}",
            "logs: {topics: [shared]}\n    traces: {topics: [shared]}"
        ),
        "receivers.kafka.traces.topics: topic `shared` is also a logs topic: one signal per topic"
    );
    assert!(
        error(
            "group_id: phase2",
            "group_id: phase2\n    message_marking: {after: true}"
        )
        .contains("unknown field `message_marking`")
    );
}

#[test]
fn otlphttp_exporters_resolve_and_their_errors_name_the_field() {
    let with = |settings: &str| {
        MINIMAL
            .replace("  null:", &format!("  otlphttp/b:\n{settings}"))
            .replace("exporters: [null]", "exporters: [otlphttp/b]")
    };
    let config = resolve_text(&with(
        "    endpoint: http://collector:4318\n    encoding: json",
    ))
    .unwrap();
    let Exporter::OtlpHttp(settings) = &config.exporters["otlphttp/b"].kind else {
        panic!("{:?}", config.exporters["otlphttp/b"]);
    };
    assert_eq!(settings.endpoint.as_deref(), Some("http://collector:4318"));
    assert_eq!(
        settings.signal_url(Signal::Logs).as_deref(),
        Some("http://collector:4318/v1/logs")
    );

    assert_eq!(
        error(&with("    endpoint: collector:4318")),
        "exporters.otlphttp/b.endpoint: `collector:4318`: scheme `collector` is not http or https"
    );
    assert_eq!(
        error(&with(
            "    endpoint: http://c\n    headers: {Content-Encoding: br}"
        )),
        "exporters.otlphttp/b.headers.Content-Encoding: \
             set by the exporter from `encoding` and `compression`"
    );
    assert!(
        error(&with("    endpoint: http://c\n    compression: lz4"))
            .starts_with("exporters.otlphttp/b.compression: unknown variant `lz4`")
    );
    assert_eq!(
        error(&with("    traces_endpoint: http://jaeger:4318/v1/traces")),
        "exporters.otlphttp/b: pipeline `logs` sends it logs, but it has no endpoint \
             for them: set `endpoint` or `logs_endpoint`"
    );
    resolve_text(&with(
        "    logs_endpoint: http://vl:9428/insert/opentelemetry/v1/logs",
    ))
    .unwrap();
    assert!(
        error(&with(
            "    endpoint: https://c:4318\n    tls: {ca_file: /nonexistent/ca.pem}"
        ))
        .starts_with("exporters.otlphttp/b.tls.ca_file: cannot read `/nonexistent/ca.pem`: "),
    );
}

#[test]
fn victorialogs_takes_logs_only_and_its_errors_name_the_field() {
    let with = |settings: &str| {
        MINIMAL
            .replace("  null:", &format!("  victorialogs/vl:\n{settings}"))
            .replace("exporters: [null]", "exporters: [victorialogs/vl]")
    };
    let config = resolve_text(&with(
        "    endpoint: http://vl:9428\n    mode: jsonline\n    account_id: 5",
    ))
    .unwrap();
    let Exporter::VictoriaLogs(settings) = &config.exporters["victorialogs/vl"].kind else {
        panic!("{:?}", config.exporters["victorialogs/vl"]);
    };
    assert_eq!(settings.account_id, Some(5));
    assert_eq!(
        settings.url().as_deref(),
        Some("http://vl:9428/insert/jsonline")
    );

    assert_eq!(
        error(&with("    mode: otlp")),
        "exporters.victorialogs/vl.endpoint: set the VictoriaLogs URL, \
             e.g. `http://victorialogs:9428`"
    );
    let traces = with("    endpoint: http://vl:9428").replace("    logs:", "    traces:");
    assert_eq!(
        error(&traces),
        "exporters.victorialogs/vl: pipeline `traces` sends it traces, \
             but a victorialogs exporter takes logs only: use it in logs pipelines"
    );
    let dead_letter = MINIMAL
        .replace(
            "  null:",
            "  null:\n  victorialogs:\n    endpoint: http://vl:9428",
        )
        .replace(
            "      exporters: [null]",
            "      exporters: [null]\n    metrics:\n      receivers: [otlp]\n      \
                 exporters: [null]\n      dead_letter: [victorialogs]",
        );
    assert_eq!(
        error(&dead_letter),
        "exporters.victorialogs: pipeline `metrics` sends it metrics, \
             but a victorialogs exporter takes logs only: use it in logs pipelines"
    );
}

#[test]
fn jaeger_is_the_otlp_exporter_for_traces_only() {
    let with = |settings: &str, pipeline: &str| {
        MINIMAL
            .replace("  null:", &format!("  jaeger:\n{settings}"))
            .replace("exporters: [null]", "exporters: [jaeger]")
            .replace("    logs:", &format!("    {pipeline}:"))
            .replace("      processors: [wasm/filter]\n", "")
    };
    let config = resolve_text(&with(
        "    endpoint: jaeger-collector:4317\n    tls: {insecure: true}\n    compression: none",
        "traces",
    ))
    .unwrap();
    let Exporter::Jaeger(settings) = &config.exporters["jaeger"].kind else {
        panic!("{:?}", config.exporters["jaeger"]);
    };
    let otlp: OtlpExporter = serde_norway::from_str(
        "endpoint: jaeger-collector:4317\ntls: {insecure: true}\ncompression: none",
    )
    .unwrap();
    assert_eq!(settings, &otlp, "the otlp exporter's keys and meaning");

    assert_eq!(
        error(&with("    endpoint: jaeger:4317", "logs")),
        "exporters.jaeger: pipeline `logs` sends it logs, \
             but a jaeger exporter takes traces only: use it in traces pipelines"
    );
    assert_eq!(
        error(&with(
            "    endpoint: jaeger:4317\n    tls: {insecure: true}",
            "metrics/app"
        )),
        "exporters.jaeger: pipeline `metrics/app` sends it metrics, \
             but a jaeger exporter takes traces only: use it in traces pipelines"
    );
    assert!(
        error(&with("    tls: {insecure: true}", "traces"))
            .starts_with("exporters.jaeger.endpoint:"),
    );
}

#[test]
fn s3_exporters_resolve_with_collector_keys_and_name_the_field_at_fault() {
    // Fed by Kafka: the default five-minute rollover is allowed.
    let config = |exporter: &str| {
        format!(
            "receivers:\n  kafka:\n    brokers: [k:9092]\n\
                 extensions:\n  file_storage: {{}}\n\
                 exporters:\n  s3/archive:\n{exporter}\n\
                 service:\n  extensions: [file_storage]\n  pipelines:\n    logs:\n      \
                 receivers: [kafka]\n      exporters: [s3/archive]\n"
        )
    };
    let resolved = resolve_text(&config(
            "    s3uploader:\n      s3_bucket: archive\n      compression: gzip\n    marshaler: parquet",
        ))
        .unwrap();
    let Exporter::S3(s3) = &resolved.exporters["s3/archive"].kind else {
        panic!("an s3 exporter")
    };
    assert_eq!(s3.s3uploader.s3_bucket, "archive");
    assert_eq!(s3.rollover.max_age, std::time::Duration::from_secs(300));
    assert_eq!(
        s3.s3uploader.request_checksum_calculation,
        crate::exporter::s3::ChecksumWhen::WhenRequired
    );

    let refused = |exporter: &str| error(&config(exporter));
    assert_eq!(
        refused("    s3uploader:\n      s3_bucket: ab"),
        "exporters.s3/archive.s3uploader.s3_bucket: required: the bucket's name (at least 3 characters)"
    );
    assert!(
        refused("    s3uploader:\n      s3_bucket: archive\n      s3_partition_format: \"%Y/%Q\"")
            .starts_with(
                "exporters.s3/archive.s3uploader.s3_partition_format: `%Q` is not supported"
            )
    );
    assert!(
            refused("    s3uploader:\n      s3_bucket: archive\n    sending_queue:\n      storage: file_storage")
                .starts_with("exporters.s3/archive.sending_queue.storage: the s3 exporter acknowledges")
        );
    assert!(
        refused("    s3uploader:\n      s3_bucket: archive\n    bucket: x")
            .contains("unknown field `bucket`")
    );
}
