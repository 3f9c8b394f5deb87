//! The byte path beside prost, per 1,000-record logs request of ~260-byte
//! records (DESIGN.md §7's measurement): the validating walk that builds
//! the index, the severity column read from the bytes, the splice that
//! keeps the WARN-and-above half, and all three as a severity filter —
//! next to prost's decode, encode, and decode → filter → encode.
//!
//! Run: `cargo bench -p weir-tests --bench wire`. Criterion's "thrpt"
//! line is records per second; its time per iteration divided by 1,000 is
//! the cost per record.

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use prost::Message;
use weir::otlp::wire;
use weir::otlp::{ExportLogsServiceRequest, Signal};
use weir_tests::batches;

const RECORDS: usize = 1_000;
/// WARN: with the builders' severity cycle, half the records are kept.
const MIN_SEVERITY: u8 = 13;

fn keep(severities: &[u8]) -> Vec<bool> {
    severities
        .iter()
        .map(|&s| s == 0 || s >= MIN_SEVERITY)
        .collect()
}

fn wire_vs_prost(c: &mut Criterion) {
    let request = batches::logs(RECORDS);
    let bytes = Bytes::from(request.encode_to_vec());
    let (_, index) = wire::parse(Signal::Logs, bytes.clone()).expect("valid request");

    let mut group = c.benchmark_group("logs_1000");
    group.throughput(Throughput::Elements(RECORDS as u64));
    group.bench_function("wire_index", |b| {
        b.iter(|| wire::parse(Signal::Logs, bytes.clone()).unwrap())
    });
    group.bench_function("wire_severity_column", |b| {
        b.iter(|| index.severity_numbers(&bytes))
    });
    let flags = keep(&index.severity_numbers(&bytes));
    group.bench_function("wire_splice_half", |b| {
        b.iter(|| index.select(&bytes, &flags).expect("half dropped"))
    });
    group.bench_function("wire_filter", |b| {
        b.iter(|| {
            let (bytes, index) = wire::parse(Signal::Logs, bytes.clone()).unwrap();
            let flags = keep(&index.severity_numbers(&bytes));
            index.select(&bytes, &flags)
        })
    });
    group.bench_function("prost_decode", |b| {
        b.iter(|| ExportLogsServiceRequest::decode(&bytes[..]).unwrap())
    });
    group.bench_function("prost_encode", |b| b.iter(|| request.encode_to_vec()));
    group.bench_function("prost_filter", |b| {
        b.iter(|| {
            let mut req = ExportLogsServiceRequest::decode(&bytes[..]).unwrap();
            for rl in &mut req.resource_logs {
                for sl in &mut rl.scope_logs {
                    sl.log_records.retain(|r| {
                        let s = r.severity_number.clamp(0, 255) as u8;
                        s == 0 || s >= MIN_SEVERITY
                    });
                }
            }
            req.encode_to_vec()
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(3));
    targets = wire_vs_prost
}
criterion_main!(benches);
