#!/usr/bin/env bash
# Archive benchmark: `weir gen` → `weir run` (the measured process) over
# OTLP/HTTP on loopback, into the `s3` exporter writing to a real S3 server
# (moto, `scripts/s3-server.sh`) in each format, beside the `null`
# exporter as the baseline of the same run. Scenarios:
#
#   none           → `null` exporter: the baseline
#   proto-none     → `s3`, otlp_proto uncompressed: the raw OTLP protobuf size
#   proto-zstd     → `s3`, otlp_proto + zstd (the default)
#   proto-gzip     → `s3`, otlp_proto + gzip (what the Collector writes)
#   json-zstd      → `s3`, otlp_json + zstd
#   parquet-zstd   → `s3`, parquet, zstd column chunks
#
# Reports records per CPU-second of weir's own process (user + sys, from
# /proc) and its ratio to the baseline, and bytes per record as stored
# (the objects' total size over the records acknowledged).
#
# A request is answered only once the object holding it is uploaded, so
# an object fills only from requests in flight at once: `weir gen` runs
# 64 connections of 1,000-record requests, and objects close at 1 MiB or
# after 2 s, whichever comes first.
#
#   bash scripts/bench-s3.sh [SECONDS_PER_SCENARIO]   (default 10)
#
# WEIR_BIN=path reuses a release binary already built; SCENARIOS="proto-zstd"
# runs only those (and the baseline). WEIR_S3_ENDPOINT=url uses a running
# S3 server instead of starting one.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
. scripts/lib/bench.sh
bench_binaries --no-plugins
python=$(bash scripts/python-env.sh | tail -1)
work=$(mktemp -d)
tck=$(getconf CLK_TCK)
http=127.0.0.1:24418
telemetry=127.0.0.1:28988

started_s3=""
if [ -z "${WEIR_S3_ENDPOINT:-}" ]; then
  export "$(bash scripts/s3-server.sh start | tail -1)"
  started_s3=yes
fi
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench-secret AWS_REGION=us-east-1
bucket="bench-$(date +%s)"
curl -sf -X PUT "$WEIR_S3_ENDPOINT/$bucket" > /dev/null

cleanup() {
  stop_all_weir
  if [ -n "$started_s3" ]; then bash scripts/s3-server.sh stop; fi
  [ -n "${KEEP_BENCH:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

# Total size of the objects under prefix $1.
stored_bytes() {
  "$python" - "$WEIR_S3_ENDPOINT" "$bucket" "$1" <<'PY'
import sys, boto3
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1")
total = 0
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=sys.argv[2], Prefix=sys.argv[3] + "/"):
    total += sum(o["Size"] for o in page.get("Contents", []))
print(total)
PY
}

# One scenario: name, exporter id, exporter block.
scenario() {
  local name=$1 id=$2 exporter=$3
  if [ -n "${SCENARIOS:-}" ] && [ "$name" != none ] &&
    ! [[ " $SCENARIOS " == *" $name "* ]]; then
    return 0
  fi
  cat > "$work/$name.yaml" <<YAML
receivers:
  otlp:
    protocols:
      http:
        endpoint: $http
exporters:
$exporter
service:
  telemetry:
    address: $telemetry
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [$id]
YAML
  start_weir "$name" "$work/$name.yaml" "$work/$name.log" "$telemetry"
  local weir_pid=$started
  local before after summary bytes
  before=$(cpu_ticks "$weir_pid")
  summary=$("$weir" gen --protocol http --endpoint "http://$http" --duration "$seconds" \
    --connections 64 --batch 1000 --json 2> /dev/null)
  # Measured when the load ends; SIGTERM then uploads what is still open
  # (at most 2 s of data), uncounted, before the objects are sized.
  after=$(cpu_ticks "$weir_pid")
  stop_weir "$weir_pid"
  bytes=0
  [ "$name" = none ] || bytes=$(stored_bytes "$name")
  python3 - "$name" "$before" "$after" "$tck" "$summary" "$bytes" <<'PY' | tee -a "$work/results.jsonl"
import json, sys
name, before, after, tck = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
summary, stored = json.loads(sys.argv[5]), int(sys.argv[6])
records, cpu = summary["records"], (after - before) / tck
print(json.dumps({"scenario": name, "records": records, "weir_cpu_seconds": round(cpu, 2),
                  "records_per_cpu_second": round(records / cpu) if cpu else None,
                  "wall_records_per_second": round(summary["records_per_second"]),
                  "refused": summary["refused"], "stored_bytes": stored,
                  "bytes_per_record": round(stored / records, 1) if records else None}))
PY
}

s3() {
  printf '  s3/out:\n    s3uploader:\n      endpoint: %s\n      s3_bucket: %s\n      s3_prefix: %s\n      s3_force_path_style: true\n      compression: %s\n    marshaler: %s\n    rollover:\n      max_size_mib: 1\n      max_age: 2s\n' \
    "$WEIR_S3_ENDPOINT" "$bucket" "$1" "$2" "$3"
}
scenario none null/out "  null/out:"
for spec in "proto-none none otlp_proto" "proto-zstd zstd otlp_proto" "proto-gzip gzip otlp_proto" \
  "json-zstd zstd otlp_json" "parquet-zstd zstd parquet"; do
  set -- $spec
  scenario "$1" s3/out "$(s3 "$1" "$2" "$3")"
done

python3 - "$work/results.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
base = rows[0]["records_per_cpu_second"]
raw = next((r["bytes_per_record"] for r in rows if r["scenario"] == "proto-none"), None)
print(f"\n{'scenario':<14}{'records/CPU-s':>14}{'vs none':>9}{'wall rec/s':>12}{'bytes/record':>14}{'vs raw':>8}")
for r in rows:
    bpr = r["bytes_per_record"] if r["scenario"] != "none" else None
    print(f"{r['scenario']:<14}{r['records_per_cpu_second']:>14,}{r['records_per_cpu_second']/base:>9.2f}"
          f"{r['wall_records_per_second']:>12,}{'' if bpr is None else bpr:>14}"
          f"{'' if bpr is None or not raw else f'{bpr/raw:.2f}':>8}")
PY
