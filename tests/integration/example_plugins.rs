//! The example plugins in `plugins/`, loaded by the host and run on
//! realistic batches; each test checks the records that come out.

use weir::otlp::common::any_value::Value;
use weir::otlp::logs::LogRecord;
use weir::otlp::{Batch, Signal};
use weir::plugin::Error;
use weir_tests::batches::{self, attr, log_record, log_records, span_records, string_attr};
use weir_tests::guests;

use crate::support::{instance, load, run_ok};

#[test]
fn noop_passes_the_batch_through_unchanged() {
    let mut noop = instance(guests::NOOP, "{}");
    let input = batches::logs_batch(100);
    let routed = run_ok(&mut noop, input.clone());
    assert_eq!(routed.keep, Some(input));
    assert!(routed.routes.is_empty());
    assert_eq!(routed.dropped, 0);
    let stats = noop.plugin().stats().snapshot();
    assert_eq!(
        (stats.batches, stats.records_in, stats.records_kept),
        (1, 100, 100)
    );
}

#[test]
fn severity_filter_keeps_records_at_or_above_the_threshold() {
    let mut filter = instance(guests::SEVERITY_FILTER, r#"{"min_severity": "WARN"}"#);
    let input = batches::logs_batch(60);
    let expected: Vec<LogRecord> = log_records(&input)
        .into_iter()
        .filter(|r| r.severity_number >= 13)
        .collect();
    assert_eq!(expected.len(), 30);

    let routed = run_ok(&mut filter, input);
    let kept = routed.keep.expect("some records kept");
    assert_eq!(
        log_records(&kept),
        expected,
        "kept records, in order, intact"
    );
    assert_eq!(routed.dropped, 30);
    // Both services still present, each with its own resource.
    let services: Vec<_> = match kept.payload() {
        weir::otlp::Payload::Logs(req) => req
            .resource_logs
            .iter()
            .map(|rl| string_attr(&rl.resource.as_ref().unwrap().attributes, "service.name"))
            .collect(),
        _ => unreachable!(),
    };
    assert_eq!(services, [Some("checkout"), Some("payments")]);
}

#[test]
fn severity_filter_accepts_numbers_and_names_of_any_case() {
    let input = batches::logs_batch(12);
    for config in [r#"{"min_severity": 17}"#, r#"{"min_severity": "error"}"#] {
        let mut filter = instance(guests::SEVERITY_FILTER, config);
        let kept = run_ok(&mut filter, input.clone()).keep.unwrap();
        let severities: Vec<i32> = log_records(&kept)
            .iter()
            .map(|r| r.severity_number)
            .collect();
        assert_eq!(severities, [17, 21, 17, 21], "config {config}");
    }
}

#[test]
fn severity_filter_passes_a_batch_with_nothing_to_drop_untouched() {
    let records = (0..50)
        .map(|i| LogRecord {
            severity_number: 17,
            ..log_record(i)
        })
        .collect();
    let input: Batch = batches::logs_from(records).into();
    let mut filter = instance(guests::SEVERITY_FILTER, r#"{"min_severity": "WARN"}"#);
    let routed = run_ok(&mut filter, input.clone());
    assert_eq!(routed.keep, Some(input));
}

#[test]
fn severity_filter_keeps_unspecified_severity_unless_told_not_to() {
    let records = vec![
        LogRecord {
            severity_number: 0,
            ..log_record(0)
        },
        LogRecord {
            severity_number: 1,
            ..log_record(1)
        },
    ];
    let input: Batch = batches::logs_from(records).into();

    let mut default = instance(guests::SEVERITY_FILTER, r#"{"min_severity": "INFO"}"#);
    let kept = run_ok(&mut default, input.clone()).keep.unwrap();
    assert_eq!(log_records(&kept).len(), 1);
    assert_eq!(log_records(&kept)[0].severity_number, 0);

    let mut strict = instance(
        guests::SEVERITY_FILTER,
        r#"{"min_severity": "INFO", "keep_unspecified": false}"#,
    );
    let routed = run_ok(&mut strict, input);
    assert_eq!(routed.keep, None);
    assert_eq!(routed.dropped, 2);
}

#[test]
fn severity_filter_refuses_an_unknown_severity_name() {
    let plugin = load(guests::SEVERITY_FILTER);
    let err = plugin
        .instantiate(weir::plugin::InstanceOptions {
            config: r#"{"min_severity": "LOUD"}"#.to_string(),
            ..Default::default()
        })
        .err()
        .expect("init refuses the config");
    assert!(matches!(err, Error::Init { .. }), "{err}");
    assert!(err.to_string().contains("LOUD"), "{err}");
}

#[test]
fn severity_filter_is_not_called_for_spans() {
    let mut filter = instance(guests::SEVERITY_FILTER, r#"{"min_severity": "WARN"}"#);
    let input: Batch = batches::spans(10).into();
    let routed = run_ok(&mut filter, input.clone());
    assert_eq!(routed.keep, Some(input));
    assert_eq!(filter.plugin().stats().snapshot().batches, 0);
    assert_eq!(filter.plugin().info().signals, [Signal::Logs]);
}

const REDACT_CONFIG: &str = r#"{
    "keys": ["password", "Authorization"],
    "patterns": ["email", "bearer", "card"],
    "replacement": "[REDACTED]"
}"#;

fn log_with(attributes: Vec<weir::otlp::common::KeyValue>, body: &str) -> LogRecord {
    LogRecord {
        attributes,
        body: Some(batches::string_value(body)),
        ..log_record(0)
    }
}

fn body_text(record: &LogRecord) -> &str {
    match record.body.as_ref().and_then(|b| b.value.as_ref()) {
        Some(Value::StringValue(s)) => s,
        other => panic!("body is not a string: {other:?}"),
    }
}

#[test]
fn redact_masks_keys_and_patterns_in_logs() {
    let sensitive = log_with(
        vec![
            attr("user.email", "jane.doe@example.com"),
            attr("password", "hunter2"),
            attr("authorization", "Basic dXNlcjpwYXNz"),
            attr("note", "retry with Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc123"),
            attr("payment.card", "4111 1111 1111 1111"),
            attr("order.id", "4111 1111 1111 1112"),
        ],
        "login by jane.doe@example.com paying with 4111-1111-1111-1111",
    );
    let harmless = log_record(7);
    let input: Batch = batches::logs_from(vec![sensitive, harmless.clone()]).into();

    let mut redact = instance(guests::REDACT, REDACT_CONFIG);
    let kept = run_ok(&mut redact, input)
        .keep
        .expect("redact keeps records");
    let records = log_records(&kept);
    let a = &records[0].attributes;
    assert_eq!(string_attr(a, "user.email"), Some("[REDACTED]"));
    assert_eq!(string_attr(a, "password"), Some("[REDACTED]"));
    assert_eq!(
        string_attr(a, "authorization"),
        Some("[REDACTED]"),
        "keys match any case"
    );
    let note = string_attr(a, "note").unwrap();
    assert!(
        note.starts_with("retry with ") && note.contains("[REDACTED]"),
        "{note}"
    );
    assert!(!note.contains("eyJhbGciOiJIUzI1NiJ9"), "{note}");
    assert_eq!(string_attr(a, "payment.card"), Some("[REDACTED]"));
    assert_eq!(
        string_attr(a, "order.id"),
        Some("4111 1111 1111 1112"),
        "a number failing the Luhn check is not a card"
    );
    assert_eq!(
        body_text(&records[0]),
        "login by [REDACTED] paying with [REDACTED]"
    );
    assert_eq!(
        records[1], harmless,
        "a record with nothing to redact is untouched"
    );
}

#[test]
fn redact_masks_span_attributes() {
    let mut input = batches::spans(3);
    input.resource_spans[0].scope_spans[0].spans[1]
        .attributes
        .push(attr("enduser.email", "ops@example.org"));
    let mut redact = instance(guests::REDACT, REDACT_CONFIG);
    let kept = run_ok(&mut redact, input.clone().into()).keep.unwrap();
    let spans = span_records(&kept);
    assert_eq!(
        string_attr(&spans[1].attributes, "enduser.email"),
        Some("[REDACTED]")
    );
    let original = &input.resource_spans[0].scope_spans[0].spans;
    assert_eq!(spans[0], original[0]);
    assert_eq!(spans[2], original[2]);
}

#[test]
fn redact_refuses_an_unknown_pattern_name() {
    let err = load(guests::REDACT)
        .instantiate(weir::plugin::InstanceOptions {
            config: r#"{"patterns": ["passport"]}"#.to_string(),
            ..Default::default()
        })
        .err()
        .expect("init refuses the config");
    assert!(err.to_string().contains("passport"), "{err}");
}

fn route_names(routed: &weir::plugin::Routed) -> Vec<(&str, usize)> {
    routed
        .routes
        .iter()
        .map(|(name, b)| (name.as_str(), b.len()))
        .collect()
}

#[test]
fn route_by_attribute_sends_records_to_mapped_routes_and_the_default() {
    let mut router = instance(
        guests::ROUTE_BY_ATTRIBUTE,
        r#"{"attribute": "tenant", "routes": {"acme": "tenant-acme"}, "default": "other"}"#,
    );
    let input = batches::logs_batch(30);
    let routed = run_ok(&mut router, input.clone());
    assert_eq!(routed.keep, None);
    assert_eq!(routed.dropped, 0);
    let mut names = route_names(&routed);
    names.sort();
    assert_eq!(names, [("other", 20), ("tenant-acme", 10)]);
    let (_, acme) = routed
        .routes
        .iter()
        .find(|(n, _)| n == "tenant-acme")
        .unwrap();
    for record in log_records(acme) {
        assert_eq!(string_attr(&record.attributes, "tenant"), Some("acme"));
    }
}

#[test]
fn route_by_attribute_without_a_default_keeps_unmatched_records() {
    let mut router = instance(
        guests::ROUTE_BY_ATTRIBUTE,
        r#"{"attribute": "tenant", "routes": {"acme": "tenant-acme"}}"#,
    );
    let routed = run_ok(&mut router, batches::logs_batch(30));
    assert_eq!(route_names(&routed), [("tenant-acme", 10)]);
    assert_eq!(routed.kept(), 20);
}

#[test]
fn route_by_attribute_can_name_routes_after_resource_values() {
    let mut router = instance(
        guests::ROUTE_BY_ATTRIBUTE,
        r#"{"attribute": "service.name", "of": "resource", "prefix": "svc-"}"#,
    );
    let routed = run_ok(&mut router, batches::logs_batch(30));
    let mut names = route_names(&routed);
    names.sort();
    assert_eq!(names, [("svc-checkout", 15), ("svc-payments", 15)]);
}

#[test]
fn route_by_attribute_routes_metric_data_points() {
    let mut router = instance(
        guests::ROUTE_BY_ATTRIBUTE,
        r#"{"attribute": "tenant", "prefix": "tenant-"}"#,
    );
    // 4 gauge points (acme, globex, acme, globex) and 2 histogram points (acme).
    let routed = run_ok(&mut router, batches::metrics(4).into());
    let mut names = route_names(&routed);
    names.sort();
    assert_eq!(names, [("tenant-acme", 4), ("tenant-globex", 2)]);
    let (_, globex) = routed
        .routes
        .iter()
        .find(|(n, _)| n == "tenant-globex")
        .unwrap();
    match globex.payload() {
        weir::otlp::Payload::Metrics(req) => {
            let metrics = &req.resource_metrics[0].scope_metrics[0].metrics;
            assert_eq!(metrics.len(), 1, "the histogram had no globex points");
            assert_eq!(metrics[0].name, "queue.depth");
        }
        _ => unreachable!(),
    }
}
