//! Per-batch cost of the plugin stage: `noop` (the fixed cost of crossing
//! into a plugin and back) and `severity-filter` at 1 – 10,000 log
//! records, beside the same filter written natively in Rust on the same
//! batches; and, at 1,000 records, the three ways a WASM severity filter
//! can read the batch (one host call per record, one column call, or the
//! whole batch as OTLP bytes) — the measurement behind the WIT design.
//!
//! Run: `cargo bench -p weir-tests --bench plugin_batch`. Each result is per
//! batch; criterion's "thrpt" line is records per second.

use std::sync::Arc;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use weir::otlp::Batch;
use weir::plugin::{Instance, InstanceOptions, Runtime, RuntimeOptions};
use weir_tests::{batches, guests};

const SIZES: [usize; 4] = [1, 100, 1_000, 10_000];
/// WARN: with the builders' severity cycle, half the records are kept.
const MIN_SEVERITY: u8 = 13;

fn instance(runtime: &Runtime, path: &str, config: &str) -> Instance {
    Arc::new(runtime.load(path.as_ref()).expect("load plugin"))
        .instantiate(InstanceOptions {
            config: config.to_string(),
            ..InstanceOptions::default()
        })
        .expect("instantiate plugin")
}

fn run(instance: &mut Instance, batch: Batch) -> Batch {
    let processed = instance.process(batch);
    assert!(processed.failure.is_none(), "{:?}", processed.failure);
    processed
        .routed
        .keep
        .unwrap_or_else(|| Batch::empty(weir::otlp::Signal::Logs))
}

/// The same filter in native Rust: read severities, keep the records at
/// or above the threshold, in place — what the host does for the plugin.
fn native_severity_filter(mut batch: Batch) -> Batch {
    let keep: Vec<bool> = batch
        .severity_numbers()
        .into_iter()
        .map(|s| s == 0 || s >= MIN_SEVERITY)
        .collect();
    if keep.iter().any(|k| !k) {
        batch.retain(&keep);
    }
    batch
}

fn plugin_stage(c: &mut Criterion) {
    let runtime = Runtime::new(RuntimeOptions::default()).expect("runtime");
    let mut noop = instance(&runtime, guests::NOOP, "{}");
    let mut filter = instance(
        &runtime,
        guests::SEVERITY_FILTER,
        &format!(r#"{{"min_severity": {MIN_SEVERITY}}}"#),
    );

    let mut group = c.benchmark_group("plugin_stage");
    for size in SIZES {
        let batch = batches::logs_batch(size);
        group.throughput(Throughput::Elements(size as u64));
        group.bench_with_input(BenchmarkId::new("noop_wasm", size), &batch, |b, batch| {
            b.iter_batched(
                || batch.clone(),
                |x| run(&mut noop, x),
                BatchSize::LargeInput,
            )
        });
        group.bench_with_input(
            BenchmarkId::new("severity_filter_wasm", size),
            &batch,
            |b, batch| {
                b.iter_batched(
                    || batch.clone(),
                    |x| run(&mut filter, x),
                    BatchSize::LargeInput,
                )
            },
        );
        group.bench_with_input(
            BenchmarkId::new("severity_filter_native", size),
            &batch,
            |b, batch| {
                b.iter_batched(
                    || batch.clone(),
                    native_severity_filter,
                    BatchSize::LargeInput,
                )
            },
        );
    }
    group.finish();
}

fn boundary_designs(c: &mut Criterion) {
    let runtime = Runtime::new(RuntimeOptions::default()).expect("runtime");
    let size = 1_000;
    let batch = batches::logs_batch(size);
    let mut group = c.benchmark_group("severity_filter_designs");
    group.throughput(Throughput::Elements(size as u64));
    for strategy in ["per-record", "column", "otlp-bytes"] {
        let config = format!(r#"{{"min_severity": {MIN_SEVERITY}, "strategy": "{strategy}"}}"#);
        let mut variant = instance(&runtime, guests::SEVERITY_VARIANTS, &config);
        // All three must agree before their speed means anything.
        assert_eq!(
            run(&mut variant, batch.clone()),
            native_severity_filter(batch.clone()),
            "{strategy} filters differently"
        );
        group.bench_with_input(BenchmarkId::new(strategy, size), &batch, |b, batch| {
            b.iter_batched(
                || batch.clone(),
                |x| run(&mut variant, x),
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(3));
    targets = plugin_stage, boundary_designs
}
criterion_main!(benches);
