#!/usr/bin/env bash
# Acknowledgement benchmark (issue 21): `weir gen` → `weir run` over
# OTLP/HTTP on loopback, on a configuration like the embedded default
# (`batch` 8192 records / 200 ms, `file` exporter into a temp dir), at
#   idle        one client, 100-record requests, 2,000 records/s: single
#               requests at light load (the issue's <= 10 ms p99 floor);
#   light       one sequential client (`--connections 1`), 512-record
#               requests, no rate limit — what an SDK's batch processor does;
#   saturation  8 connections, 1,000-record requests, as fast as weir answers;
# each with the exporter's in-memory queue and with a durable queue
# (`+durable`: file_storage, fsync per group of batches), the latter as a
# ratio to the former.
# Reports, per scenario: records per CPU-second of weir's own process (user +
# sys, from /proc), wall records/s, and acknowledgement latency p50/p99 (from
# `weir gen`'s JSON summary).
#
#   bash scripts/bench-ack.sh [SECONDS_PER_SCENARIO]   (default 10)
#   WEIR_BASELINE_BIN=/path/to/older/weir bash scripts/bench-ack.sh
#   WEIR_BIN=/path/to/weir ...     measure a prebuilt binary instead of building
#
# With WEIR_BASELINE_BIN set, every scenario also runs against that binary
# (e.g. a release build of the commit before a change), so before and after
# come out of one run; the load generator is always this tree's `weir gen`.
# KEEP_BENCH=1 keeps the work directory (configs, weir logs, results).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
. scripts/lib/bench.sh
bench_binaries --no-plugins
work=$(mktemp -d)
tck=$(getconf CLK_TCK)
daemon_pid=""

cleanup() {
  # Only the daemon this script started, by its PID.
  if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2> /dev/null; then
    kill -KILL "$daemon_pid" 2> /dev/null || true
  fi
  [ -n "${KEEP_BENCH:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

# Scenarios, one per element: NAME|`weir gen` ARGUMENTS|QUEUE|RATIO TO
#   QUEUE     empty: the exporter's in-memory queue; `durable`: a durable
#             queue (file_storage, fsync per group of batches) in the
#             scenario's work directory.
#   RATIO TO  another scenario's NAME: the table shows this one's
#             records/CPU-s as a ratio to it (same binary).
scenarios=(
  "idle|--connections 1 --batch 100 --rate 2000||"
  "light|--connections 1 --batch 512||"
  "saturation|--connections 8 --batch 1000||"
  "idle+durable|--connections 1 --batch 100 --rate 2000|durable|idle"
  "light+durable|--connections 1 --batch 512|durable|light"
  "saturation+durable|--connections 8 --batch 1000|durable|saturation"
)

binaries=("current=$weir")
if [ -n "${WEIR_BASELINE_BIN:-}" ]; then
  [ -x "$WEIR_BASELINE_BIN" ] || { echo "WEIR_BASELINE_BIN=$WEIR_BASELINE_BIN is not an executable" >&2; exit 1; }
  binaries=("baseline=$(realpath "$WEIR_BASELINE_BIN")" "${binaries[@]}")
fi

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

run_scenario() { # binary label, binary path, scenario spec
  local label=$1 bin=$2 spec=$3
  local name gen_args queue ratio_to
  IFS='|' read -r name gen_args queue ratio_to <<< "$spec"
  if [ -n "$queue" ] && [ "$label" = baseline ]; then
    return # the baseline predates the durable queue
  fi
  local dir="$work/$label-$name"
  mkdir -p "$dir"
  local http grpc telemetry
  http=$(free_port); grpc=$(free_port); telemetry=$(free_port)
  {
    cat << YAML
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:$grpc
      http:
        endpoint: 127.0.0.1:$http
processors:
  batch:
    send_batch_size: 8192
    timeout: 200ms
exporters:
  file:
    path: $dir/data
    max_megabytes: 100
YAML
    if [ "$queue" = durable ]; then
      cat << YAML
    sending_queue:
      storage: file_storage
extensions:
  file_storage:
    directory: $dir/queue
service:
  extensions: [file_storage]
YAML
    else
      echo "service:"
    fi
    cat << YAML
  telemetry:
    address: 127.0.0.1:$telemetry
  pipelines:
    logs:
      receivers: [otlp]
      processors: [batch]
      exporters: [file]
YAML
  } > "$dir/weir.yaml"

  WEIR_LOG=warn WEIR_CACHE_DIR="$work/cache" "$bin" run --config "$dir/weir.yaml" 2> "$dir/weir.log" &
  daemon_pid=$!
  local ready=""
  for _ in $(seq 200); do
    if curl -sf "http://127.0.0.1:$telemetry/readyz" > /dev/null; then ready=1; break; fi
    kill -0 "$daemon_pid" 2> /dev/null || break
    sleep 0.1
  done
  if [ -z "$ready" ]; then
    echo "$label/$name: weir did not become ready; its log:" >&2
    cat "$dir/weir.log" >&2
    exit 1
  fi

  local before after summary
  before=$(cpu_ticks "$daemon_pid")
  # shellcheck disable=SC2086 # gen_args is a list of arguments
  summary=$(timeout $((seconds + 60)) "$weir" gen --endpoint "http://127.0.0.1:$http" \
    --duration "$seconds" $gen_args --json 2> "$dir/gen.log" | tail -n 1)
  after=$(cpu_ticks "$daemon_pid")

  kill -TERM "$daemon_pid"
  for _ in $(seq 300); do kill -0 "$daemon_pid" 2> /dev/null || break; sleep 0.1; done
  if kill -0 "$daemon_pid" 2> /dev/null; then
    echo "$label/$name: weir did not stop within 30 s of SIGTERM; killed" >&2
    kill -KILL "$daemon_pid"
  fi
  wait "$daemon_pid" || true
  daemon_pid=""
  local written
  written=$(du -sb "$dir/data" 2> /dev/null | cut -f1)
  rm -rf "$dir/data"

  python3 - "$label" "$name" "$ratio_to" "$before" "$after" "$tck" "${written:-0}" "$summary" << 'PY' | tee -a "$work/results.jsonl"
import json, sys
label, name, ratio_to = sys.argv[1:4]
before, after, tck, written = map(int, sys.argv[4:8])
summary = json.loads(sys.argv[8])
cpu = (after - before) / tck
print(json.dumps({
    "binary": label, "scenario": name, "ratio_to": ratio_to or None,
    "records": summary["records"], "requests": summary["requests"],
    "refused": summary["refused"], "errors": summary["errors"],
    "weir_cpu_seconds": round(cpu, 2),
    "records_per_cpu_second": round(summary["records"] / cpu) if cpu else None,
    "wall_records_per_second": round(summary["records_per_second"]),
    "latency_ms_p50": summary["latency_ms_p50"], "latency_ms_p99": summary["latency_ms_p99"],
    "written_mib": round(written / 2**20, 1),
}))
PY
}

echo "weir gen: $weir; ${#scenarios[@]} scenarios x ${#binaries[@]} binaries, ${seconds}s each" >&2
for entry in "${binaries[@]}"; do
  for spec in "${scenarios[@]}"; do
    # Not in a pipeline: the EXIT trap must see the daemon's PID.
    run_scenario "${entry%%=*}" "${entry#*=}" "$spec"
  done
done

python3 - "$work/results.jsonl" << 'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
by = {(r["binary"], r["scenario"]): r for r in rows}
def num(v, spec):
    return format(v, spec) if v is not None else "-"
print(f"\n{'binary':<10}{'scenario':<22}{'records/CPU-s':>15}{'ratio':>7}{'wall rec/s':>12}"
      f"{'p50 ms':>9}{'p99 ms':>9}{'refused':>9}{'errors':>8}")
for r in rows:
    base = by.get((r["binary"], r["ratio_to"])) if r["ratio_to"] else None
    ratio = (r["records_per_cpu_second"] / base["records_per_cpu_second"]
             if base and base["records_per_cpu_second"] and r["records_per_cpu_second"] else None)
    print(f"{r['binary']:<10}{r['scenario']:<22}{num(r['records_per_cpu_second'], ',d'):>15}"
          f"{num(ratio, '.2f'):>7}{r['wall_records_per_second']:>12,}"
          f"{r['latency_ms_p50']:>9.1f}{r['latency_ms_p99']:>9.1f}{r['refused']:>9}{r['errors']:>8}")
if any(r["binary"] == "baseline" for r in rows):
    print(f"\n{'after / before':<32}{'records/CPU-s':>15}{'wall rec/s':>12}{'p50 ms':>16}{'p99 ms':>16}")
    for r in rows:
        b = by.get(("baseline", r["scenario"]))
        if r["binary"] != "current" or not b:
            continue
        cpu = (r["records_per_cpu_second"] / b["records_per_cpu_second"]
               if r["records_per_cpu_second"] and b["records_per_cpu_second"] else None)
        wall = r["wall_records_per_second"] / b["wall_records_per_second"] if b["wall_records_per_second"] else None
        print(f"{r['scenario']:<32}{num(cpu, '.2f'):>15}{num(wall, '.2f'):>12}"
              f"{b['latency_ms_p50']:>7.1f} → {r['latency_ms_p50']:<6.1f}{b['latency_ms_p99']:>7.1f} → {r['latency_ms_p99']:<6.1f}")
PY
