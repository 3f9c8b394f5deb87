#!/usr/bin/env bash
# Kafka benchmark (issue 15), one run, against a tansu broker this script
# starts on 127.0.0.1:29092 (and stops):
#
#   (a) limit   a raw librdkafka producer sending pre-encoded OTLP logs
#               requests (tests/tools/kafka_produce_bench.rs)
#   (b) phase 1 `weir gen` → weir (OTLP/HTTP → severity-filter → kafka)
#   (c) phase 2 weir (kafka receiver → null), draining what (b) produced
#
# Reports records per CPU-second of each measured process (user + sys,
# from /proc) and (b) as a ratio to (a) — not wall-clock rates, which on a
# shared machine say little. Issue 15's floors: (b) >= 1,000,000 and
# >= 0.60 of (a); (c) >= 700,000. Printed, not asserted.
#
#   bash scripts/bench-kafka.sh [SECONDS]   (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
. scripts/lib/bench.sh
bench_binaries
cargo build --release -p weir-tests --bin kafka-produce-bench --quiet
producer=$(realpath "${CARGO_TARGET_DIR:-target}/release/kafka-produce-bench")
work=$(mktemp -d)
tck=$(getconf CLK_TCK)
port=29092
brokers=127.0.0.1:$port
edge_http=127.0.0.1:24318
edge_telemetry=127.0.0.1:28888
far_telemetry=127.0.0.1:28898
tansu="${WEIR_CACHE_ROOT:-$HOME/.cache/weir}/tansu/bin/tansu"

export WEIR_KAFKA_PORT=$port WEIR_KAFKA_RUN_DIR="$work/broker"
cleanup() {
  stop_all_weir
  bash scripts/kafka-broker.sh stop
  [ -n "${KEEP_BENCH:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
bash scripts/kafka-broker.sh start > /dev/null
for topic in bench_limit bench_logs; do
  "$tansu" topic create "$topic" --partitions 3 --broker "tcp://$brokers" > /dev/null
done

metric() {
  curl -sf "http://$1/metrics" | awk -v m="$2" 'index($0, m) == 1 {n += $NF} END {printf "%d\n", n}'
}
echo "(a) raw producer, ${seconds}s" >&2
limit=$("$producer" "$brokers" bench_limit "$seconds" 1000)

echo "(b) phase 1: weir gen → OTLP/HTTP → severity-filter → kafka, ${seconds}s" >&2
cat > "$work/phase1.yaml" <<YAML
receivers:
  otlp:
    protocols:
      http:
        endpoint: $edge_http
processors:
  wasm/severity:
    path: $plugins/severity_filter.wasm
    config: {min_severity: WARN}
exporters:
  kafka:
    brokers: [$brokers]
    logs: {topic: bench_logs}
service:
  telemetry:
    address: $edge_telemetry
  pipelines:
    logs:
      receivers: [otlp]
      processors: [wasm/severity]
      exporters: [kafka]
YAML
start_weir phase1 "$work/phase1.yaml" "$work/phase1.log" "$edge_telemetry"
edge=$started
before=$(cpu_ticks "$edge")
summary=$("$weir" gen --endpoint "http://$edge_http" --duration "$seconds" \
  --connections 8 --batch 1000 --json 2> /dev/null)
after=$(cpu_ticks "$edge")
into_kafka=$(metric "$edge_telemetry" weir_exporter_sent_records_total)
stop_weir "$edge"
phase1=$(python3 -c 'import json,sys; s=json.loads(sys.argv[1]); print(json.dumps({"records": s["records"], "cpu_seconds": (int(sys.argv[3])-int(sys.argv[2]))/int(sys.argv[4]), "refused": s["refused"]}))' \
  "$summary" "$before" "$after" "$tck")

echo "(c) phase 2: kafka → null, draining $into_kafka records" >&2
cat > "$work/phase2.yaml" <<YAML
receivers:
  kafka:
    brokers: [$brokers]
    group_id: bench
    logs: {topics: [bench_logs]}
    dead_letter_topic: ""
exporters:
  null:
service:
  telemetry:
    address: $far_telemetry
  pipelines:
    logs:
      receivers: [kafka]
      exporters: [null]
YAML
start_weir phase2 "$work/phase2.yaml" "$work/phase2.log" "$far_telemetry"
far=$started
before=$(cpu_ticks "$far")
deadline=$((SECONDS + 300))
consumed=0
while [ "$consumed" -lt "$into_kafka" ] && [ $SECONDS -lt $deadline ]; do
  sleep 0.2
  consumed=$(metric "$far_telemetry" weir_receiver_accepted_records_total)
done
after=$(cpu_ticks "$far")
stop_weir "$far"
phase2=$(python3 -c 'import json,sys; print(json.dumps({"records": int(sys.argv[1]), "cpu_seconds": (int(sys.argv[3])-int(sys.argv[2]))/int(sys.argv[4])}))' \
  "$consumed" "$before" "$after" "$tck")

python3 - "$limit" "$phase1" "$phase2" "$into_kafka" <<'PY'
import json, sys
limit, p1, p2 = (json.loads(a) for a in sys.argv[1:4])
into_kafka = int(sys.argv[4])
rate = lambda r: r["records"] / r["cpu_seconds"] if r["cpu_seconds"] else 0
a, b, c = rate(limit), rate(p1), rate(p2)
print(f"\n{'scenario':<44}{'records':>12}{'CPU s':>8}{'records/CPU-s':>15}")
print(f"{'(a) raw producer (the limit)':<44}{limit['records']:>12,}{limit['cpu_seconds']:>8.2f}{a:>15,.0f}")
print(f"{'(b) phase 1: OTLP/HTTP → filter → kafka':<44}{p1['records']:>12,}{p1['cpu_seconds']:>8.2f}{b:>15,.0f}")
print(f"{'(c) phase 2: kafka → null':<44}{p2['records']:>12,}{p2['cpu_seconds']:>8.2f}{c:>15,.0f}")
print(f"\n(b) / (a) = {b / a:.2f}   (phase 1 received {p1['records']:,}, kept and produced {into_kafka:,}; refused {p1['refused']:,})")
print("Issue 15's floors: (b) >= 1,000,000 records/CPU-s and >= 0.60 of (a); (c) >= 700,000.")
for name, value, floor in [("(b)", b, 1_000_000), ("(b)/(a)", b / a, 0.6), ("(c)", c, 700_000)]:
    print(f"  {name}: {'meets' if value >= floor else 'BELOW'} the floor")
if p2["records"] < into_kafka:
    print(f"  phase 2 drained only {p2['records']:,} of {into_kafka:,} records within 300 s")
PY
