#!/usr/bin/env bash
# End-to-end benchmark: `weir gen` → `weir run` over OTLP/HTTP on loopback,
# into a `null` exporter, with no plugin, with `noop`, and with
# `severity-filter` (min WARN) in the path. Reports records per CPU-second
# of weir's own process (user + sys, from /proc), and each scenario's ratio
# to the no-plugin baseline measured in the same run — not wall-clock
# throughput, which on a shared machine says little.
#
#   bash scripts/bench-e2e.sh [SECONDS_PER_SCENARIO]   (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
target="${CARGO_TARGET_DIR:-target}"
rustup target list --installed | grep -qx wasm32-wasip2 || rustup target add wasm32-wasip2
cargo build --release -p weir --quiet
cargo plugins --quiet
weir=$(realpath "$target/release/weir")
plugins=$(realpath "$target/wasm32-wasip2/plugin")
work=$(mktemp -d)
trap '[ -n "${KEEP_BENCH:-}" ] || rm -rf "$work"' EXIT
tck=$(getconf CLK_TCK)

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

scenario() { # name, processors block, processor list
  local name=$1 processors=$2 chain=$3
  cat > "$work/$name.yaml" <<YAML
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:24318
processors:
$processors
exporters:
  null:
service:
  telemetry:
    address: 127.0.0.1:28888
  pipelines:
    logs:
      receivers: [otlp]
      processors: [$chain]
      exporters: [null]
YAML
  WEIR_LOG=warn WEIR_CACHE_DIR="$work/cache" "$weir" run --config "$work/$name.yaml" 2> "$work/$name.log" &
  local pid=$!
  for _ in $(seq 100); do
    curl -sf http://127.0.0.1:28888/readyz > /dev/null && break
    sleep 0.1
  done
  local before after summary records
  before=$(cpu_ticks "$pid")
  summary=$("$weir" gen --endpoint http://127.0.0.1:24318 --duration "$seconds" \
    --connections 8 --batch 1000 --json 2> /dev/null)
  after=$(cpu_ticks "$pid")
  kill -TERM "$pid"; wait "$pid" || true
  records=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["records"])' "$summary")
  python3 - "$name" "$records" "$before" "$after" "$tck" "$summary" <<'PY'
import json, sys
name, records, before, after, tck, summary = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), json.loads(sys.argv[6])
cpu = (after - before) / tck
print(json.dumps({"scenario": name, "records": records, "weir_cpu_seconds": round(cpu, 2),
                  "records_per_cpu_second": round(records / cpu) if cpu else None,
                  "wall_records_per_second": round(summary["records_per_second"]),
                  "latency_ms_p50": summary["latency_ms_p50"], "latency_ms_p99": summary["latency_ms_p99"]}))
PY
}

{
  scenario none "  batch:" ""
  scenario noop "  wasm/noop:
    path: $plugins/noop.wasm" "wasm/noop"
  scenario severity-filter "  wasm/severity:
    path: $plugins/severity_filter.wasm
    config: {min_severity: WARN}" "wasm/severity"
} | tee "$work/results.jsonl"

python3 - "$work/results.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
base = rows[0]["records_per_cpu_second"]
print(f"\n{'scenario':<18}{'records/CPU-s':>15}{'vs none':>9}{'wall rec/s':>12}{'p50 ms':>8}{'p99 ms':>8}")
for r in rows:
    print(f"{r['scenario']:<18}{r['records_per_cpu_second']:>15,}{r['records_per_cpu_second']/base:>9.2f}"
          f"{r['wall_records_per_second']:>12,}{r['latency_ms_p50']:>8.1f}{r['latency_ms_p99']:>8.1f}")
PY
