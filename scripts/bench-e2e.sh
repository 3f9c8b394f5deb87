#!/usr/bin/env bash
# End-to-end benchmark: `weir gen` → `weir run` (the edge, the measured
# process) over OTLP/HTTP on loopback. Scenarios:
#
#   none             → `null` exporter: the baseline
#   noop             → the `noop` plugin → `null`
#   severity-filter  → `severity-filter` (min WARN) → `null`
#   redact-none      → `redact` reading every record's attributes, changing none → `null`
#   redact-all       → the same, masking every record's `tenant` → `null`
#   grpc-none        → as none, sent over OTLP/gRPC
#   grpc-filter      → as severity-filter, sent over OTLP/gRPC
#   fwd-otlp         → `otlp` exporter (gRPC, plaintext) → a second weir → `null`
#   fwd-otlphttp     → `otlphttp` exporter → a second weir → `null`
#   fwd-otlp-none, fwd-otlphttp-none → the same with `compression: none`
#                      (gzip, the exporters' default, is most of the
#                      export path's cost; on a LAN or loopback it buys
#                      nothing)
#   fwd-otlphttp-gzip1 → `otlphttp` with `compression_params: {level: 1}`
#   fwd-otlphttp-zstd  → `otlphttp` with `compression: zstd`
#
# Metrics (`weir gen --signal metrics`), each against its own baseline:
#   metrics-none     → `null` exporter: the metrics baseline
#   influxdb         → `influxdb` exporter (line protocol, gzip) → a discard server
#   influxdb-none    → the same with `compression: none`
#   remote-write     → `prometheusremotewrite` exporter (snappy protobuf) → a discard server
# The discard server (Python, not measured) answers 204 to every POST
# after reading the body, as a store that takes everything would.
#
# Every scenario's pipeline has the same processors apart from its plugin
# (none: `weir gen` already sends 1,000-record requests), so each ratio
# compares the baseline with exactly one change: the plugin, or the
# exporter. The exporters keep their defaults (gzip, 10 consumers). The
# second weir of the forwarding scenarios is started and stopped here but
# not measured; what it received is shown, to see that the edge forwarded
# what it acknowledged.
#
# Reports records per CPU-second of the edge's own process (user + sys,
# from /proc), and each scenario's ratio to the baseline measured in the
# same run — not wall-clock throughput, which on a shared machine says
# little. Issue 14's floor for the forwarding scenarios (the export path
# costs at most 30% over the baseline) is ratio >= 0.70; it is printed,
# not asserted.
#
# Issue 19's floors are printed too (not asserted): severity-filter at
# least 3,000,000 records per CPU-second and within 10% of none (ratio
# >= 0.91: at most 10% more CPU per record), and gRPC within 10% of HTTP.
#
#   bash scripts/bench-e2e.sh [--cores LIST] [SECONDS_PER_SCENARIO]   (default 10)
#
# --cores 1,2,4,8 pins weir to the first N CPUs with taskset (its worker
# count follows: weir sizes its pools by the CPUs it may run on) and the
# load generator and the far end to the others, and runs the scenarios
# once per N; it prints each scenario's scaling efficiency against one
# core: records per CPU-second at N over those at 1 (1.00 = no cost for
# spreading), and wall-clock rate at N over N times the rate at 1. N must
# leave at least one CPU for the generator, which must also keep N cores
# busy: measure 8 cores on a machine with 16 or more.
#
# ROUNDS=N runs the whole list N times, interleaved (none, the others,
# none, the others, ...), and reports each scenario's median, and its
# ratio to none as the median of the per-round ratios with their range:
# on a shared machine one round's ratio moves by +-0.1.
#
# WEIR_BIN=path reuses a release binary already built (a thin-LTO release
# build takes many minutes on a small machine), and the plugins already
# built; SCENARIOS="none grpc-none"
# runs only those (none always runs first: it is the baseline).
set -euo pipefail
cd "$(dirname "$0")/.."
cores_list=""
while [ $# -gt 0 ]; do
  case "$1" in
    --cores) cores_list="${2:?--cores needs a list such as 1,2,4}"; shift 2 ;;
    --cores=*) cores_list="${1#--cores=}"; shift ;;
    -*) echo "unknown option $1 (usage: bench-e2e.sh [--cores LIST] [SECONDS])" >&2; exit 2 ;;
    *) break ;;
  esac
done
seconds="${1:-10}"
cpus=$(nproc)
for n in ${cores_list//,/ }; do
  if ! [ "$n" -ge 1 ] 2> /dev/null || [ "$n" -ge "$cpus" ]; then
    echo "--cores $n: this machine has $cpus CPUs; weir may take 1 to $((cpus - 1)) of them (the load generator needs the rest)" >&2
    exit 2
  fi
done
command -v taskset > /dev/null || [ -z "$cores_list" ] || { echo "--cores needs taskset (util-linux)" >&2; exit 2; }
# The CPU pinning of the current core count: weir's and everything else's.
weir_pin=()
others_pin=()
. scripts/lib/bench.sh
bench_binaries
work=$(mktemp -d)
tck=$(getconf CLK_TCK)

cleanup() {
  stop_all_weir
  [ -n "${KEEP_BENCH:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

# Edge: OTLP/HTTP 24318, telemetry 28888. Far end: OTLP/gRPC 24327,
# OTLP/HTTP 24328, telemetry 28898.
edge_http=127.0.0.1:24318
edge_grpc=127.0.0.1:24317
edge_telemetry=127.0.0.1:28888
far_grpc=127.0.0.1:24327
far_http=127.0.0.1:24328
far_telemetry=127.0.0.1:28898
discard=127.0.0.1:24338

# Starts weir (the edge pinned to its cores, the far end to the others)
# on config file $2 (log $3), waits until $4/readyz answers; sets
# $started to its PID.
start_pinned() {
  local name=$1
  if [ "$name" = "the far end" ]; then
    start_weir "$@" "${others_pin[@]+"${others_pin[@]}"}"
  else
    start_weir "$@" "${weir_pin[@]+"${weir_pin[@]}"}"
  fi
}

# Records the weir at $1 accepted, from its /metrics.
accepted_records() {
  curl -sf "http://$1/metrics" |
    awk '/^weir_receiver_accepted_records_total/ {n += $NF} END {printf "%d\n", n}'
}

# The second weir of the forwarding scenarios: OTLP in, `null` out.
far_end() {
  cat > "$work/far.yaml" <<YAML
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: $far_grpc
      http:
        endpoint: $far_http
exporters:
  null:
service:
  telemetry:
    address: $far_telemetry
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [null]
YAML
  start_pinned "the far end" "$work/far.yaml" "$work/far.log" "$far_telemetry"
}

# The stores' stand-in for the metrics scenarios: reads each request's
# body and answers 204. Started once, stopped with the weirs.
discard_server() {
  python3 - "$discard" <<'PY' &
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
host, port = sys.argv[1].rsplit(":", 1)
class Discard(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *args):
        pass
ThreadingHTTPServer((host, int(port)), Discard).serve_forever()
PY
  running+=("$!")
  for _ in $(seq 50); do
    curl -s -o /dev/null -X POST "http://$discard/" && return 0
    sleep 0.1
  done
  echo "the discard server did not start" >&2
  return 1
}

# One scenario: name, processors block ("" for none), processor list,
# exporters block, exporter id, whether it forwards to the far end, the
# protocol `weir gen` sends with (http unless given) and the signal (logs
# unless given).
scenario() {
  local name=$1 processors=$2 chain=$3 exporters=$4 exporter=$5 forwards=$6
  local protocol=${7:-http} signal=${8:-logs} endpoint
  if [ -n "${SCENARIOS:-}" ] && [ "$name" != none ] &&
    ! [[ " $SCENARIOS " == *" $name "* ]]; then
    return 0
  fi
  local far="" edge before after summary far_records=null section="processors: {}"
  if [ -n "$processors" ]; then
    section="processors:
$processors"
  fi
  if [ "$forwards" = yes ]; then
    far_end
    far=$started
  fi
  cat > "$work/$name.yaml" <<YAML
receivers:
  otlp:
    protocols:
      http:
        endpoint: $edge_http
      grpc:
        endpoint: $edge_grpc
$section
exporters:
$exporters
service:
  telemetry:
    address: $edge_telemetry
  pipelines:
    $signal:
      receivers: [otlp]
      processors: [$chain]
      exporters: [$exporter]
YAML
  start_pinned "$name" "$work/$name.yaml" "$work/$name.log" "$edge_telemetry"
  edge=$started
  before=$(cpu_ticks "$edge")
  endpoint="http://$edge_http"
  [ "$protocol" = grpc ] && endpoint="http://$edge_grpc"
  summary=$("${others_pin[@]}" "$weir" gen --protocol "$protocol" --signal "$signal" --endpoint "$endpoint" --duration "$seconds" \
    --connections 8 --batch 1000 --json 2> /dev/null)
  after=$(cpu_ticks "$edge")
  stop_weir "$edge"
  if [ -n "$far" ]; then
    # The edge has delivered what it acknowledged before it exited.
    far_records=$(accepted_records "$far_telemetry")
    stop_weir "$far"
  fi
  python3 - "$name" "$before" "$after" "$tck" "$summary" "$far_records" "${cores:-}" "$round" <<'PY' | tee -a "$work/results.jsonl"
import json, sys
name, before, after, tck = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
summary, far = json.loads(sys.argv[5]), json.loads(sys.argv[6])
cores = int(sys.argv[7]) if sys.argv[7] else None
round_ = int(sys.argv[8])
records = summary["records"]
cpu = (after - before) / tck
print(json.dumps({"scenario": name, "cores": cores, "round": round_, "records": records, "weir_cpu_seconds": round(cpu, 2),
                  "records_per_cpu_second": round(records / cpu) if cpu else None,
                  "wall_records_per_second": round(summary["records_per_second"]),
                  "refused": summary["refused"], "far_end_records": far,
                  "latency_ms_p50": summary["latency_ms_p50"], "latency_ms_p99": summary["latency_ms_p99"]}))
PY
}

all_scenarios() {
  scenario none "" "" "  null:" null no
  scenario noop "  wasm/noop:
    path: $plugins/noop.wasm" "wasm/noop" "  null:" null no
  scenario severity-filter "  wasm/severity:
    path: $plugins/severity_filter.wasm
    config: {min_severity: WARN}" "wasm/severity" "  null:" null no
  # A mutation makes the batch decode once, whole (issue 19 allows that
  # where it is simpler, measured): redact-none reads every record's
  # attributes and changes nothing (the batch stays its bytes), redact-all
  # does the same and masks every record's tenant. The difference between
  # the two is what decoding for a mutation costs.
  scenario redact-none "  wasm/redact:
    path: $plugins/redact.wasm
    config: {keys: [no.such.key], patterns: [], bodies: false}" "wasm/redact" "  null:" null no
  scenario redact-all "  wasm/redact:
    path: $plugins/redact.wasm
    config: {keys: [tenant], patterns: [], bodies: false}" "wasm/redact" "  null:" null no
  scenario grpc-none "" "" "  null:" null no grpc
  scenario grpc-filter "  wasm/severity:
    path: $plugins/severity_filter.wasm
    config: {min_severity: WARN}" "wasm/severity" "  null:" null no grpc
  scenario fwd-otlp "" "" "  otlp/far:
    endpoint: $far_grpc
    tls: {insecure: true}" otlp/far yes
  scenario fwd-otlphttp "" "" "  otlphttp/far:
    endpoint: http://$far_http" otlphttp/far yes
  scenario fwd-otlp-none "" "" "  otlp/far:
    endpoint: $far_grpc
    compression: none
    tls: {insecure: true}" otlp/far yes
  scenario fwd-otlphttp-none "" "" "  otlphttp/far:
    endpoint: http://$far_http
    compression: none" otlphttp/far yes
  scenario fwd-otlphttp-gzip1 "" "" "  otlphttp/far:
    endpoint: http://$far_http
    compression_params: {level: 1}" otlphttp/far yes
  scenario fwd-otlphttp-zstd "" "" "  otlphttp/far:
    endpoint: http://$far_http
    compression: zstd" otlphttp/far yes
  scenario metrics-none "" "" "  null:" null no http metrics
  scenario influxdb "" "" "  influxdb/discard:
    endpoint: http://$discard
    v1_compatibility: {enabled: true, db: bench}" influxdb/discard no http metrics
  scenario influxdb-none "" "" "  influxdb/discard:
    endpoint: http://$discard
    v1_compatibility: {enabled: true, db: bench}
    compression: none" influxdb/discard no http metrics
  scenario remote-write "" "" "  prometheusremotewrite/discard:
    endpoint: http://$discard/api/v1/write" prometheusremotewrite/discard no http metrics
}

metrics_scenarios="metrics-none influxdb influxdb-none remote-write"
if [ -z "${SCENARIOS:-}" ] || [[ " $SCENARIOS " == *" influxdb"* ]] ||
  [[ " $SCENARIOS " == *" remote-write "* ]]; then
  discard_server
fi
rounds="${ROUNDS:-1}"
for round in $(seq "$rounds"); do
  if [ -z "$cores_list" ]; then
    all_scenarios
  else
    for cores in ${cores_list//,/ }; do
      weir_pin=(taskset -c "0-$((cores - 1))")
      others_pin=(taskset -c "$cores-$((cpus - 1))")
      all_scenarios
    done
  fi
done

python3 - "$work/results.jsonl" "$metrics_scenarios" <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
# Each scenario's ratio to none in the same round (and on as many CPUs).
none_of = {(r.get("cores"), r["round"]): r["records_per_cpu_second"]
           for r in runs if r["scenario"] == "none"}
for r in runs:
    r["vs_none"] = r["records_per_cpu_second"] / none_of[(r.get("cores"), r["round"])]
# One row per scenario and core count: the medians over the rounds.
all_rows = []
for r in runs:
    same = [x for x in runs if x["scenario"] == r["scenario"] and x.get("cores") == r.get("cores")]
    if same[0] is not r:
        continue
    row = dict(r)
    for key in ("records_per_cpu_second", "wall_records_per_second", "refused",
                "latency_ms_p50", "latency_ms_p99", "vs_none"):
        row[key] = statistics.median(x[key] for x in same)
    for key in ("records_per_cpu_second", "wall_records_per_second", "refused"):
        row[key] = round(row[key])
    row["vs_none_range"] = (min(x["vs_none"] for x in same), max(x["vs_none"] for x in same))
    row["rounds"] = len(same)
    all_rows.append(row)
groups = sorted({r.get("cores") for r in all_rows}, key=lambda c: c or 0)
several = any(r["rounds"] > 1 for r in all_rows)
if several:
    print(f"\nMedians of {all_rows[0]['rounds']} interleaved rounds; 'vs none' is the median of the"
          " per-round ratios, with their range.")
for cores in groups:
    rows = [r for r in all_rows if r.get("cores") == cores]
    title = f"weir on {cores} CPU(s)" if cores else "scenario"
    spread = f"{'range':>12}" if several else ""
    print(f"\n{title:<17}{'records/CPU-s':>14}{'vs none':>9}{spread}{'wall rec/s':>12}{'refused':>9}"
          f"{'p50 ms':>8}{'p99 ms':>8}{'far end got':>13}")
    for r in rows:
        far = "" if r["far_end_records"] is None else f"{r['far_end_records']:,}"
        lo, hi = r["vs_none_range"]
        spread = f"{f'{lo:.2f}-{hi:.2f}':>12}" if several else ""
        print(f"{r['scenario']:<17}{r['records_per_cpu_second']:>14,}{r['vs_none']:>9.2f}{spread}"
              f"{r['wall_records_per_second']:>12,}{r['refused']:>9,}{r['latency_ms_p50']:>8.1f}"
              f"{r['latency_ms_p99']:>8.1f}{far:>13}")
if len(groups) > 1:
    one = {r["scenario"]: r for r in all_rows if r.get("cores") == groups[0]}
    print(f"\nScaling against {groups[0]} CPU(s) (issue 19's floor: >= 0.80 at 8):")
    print(f"{'scenario':<17}{'CPUs':>5}{'per-CPU efficiency':>20}{'wall-clock scaling':>20}")
    for r in all_rows:
        first = one.get(r["scenario"])
        if not first or r.get("cores") == groups[0]:
            continue
        n = r["cores"] / groups[0]
        print(f"{r['scenario']:<17}{r['cores']:>5}"
              f"{r['records_per_cpu_second'] / first['records_per_cpu_second']:>20.2f}"
              f"{r['wall_records_per_second'] / (n * first['wall_records_per_second']):>20.2f}")
rows = [r for r in all_rows if r.get("cores") == groups[0]]
by = {r["scenario"]: r["records_per_cpu_second"] for r in rows}
vs = {r["scenario"]: r["vs_none"] for r in rows}
print("\nIssue 19's floors (one core): severity-filter >= 3,000,000 records/CPU-s and >= 0.91 of none;"
      " gRPC >= 0.91 of HTTP.")
if "severity-filter" in by:
    f = by["severity-filter"]
    print(f"  severity-filter: {f:,} records/CPU-s "
          f"({'meets' if f >= 3_000_000 else 'BELOW'} 3,000,000), {vs['severity-filter']:.2f} of none")
for grpc, http in (("grpc-none", "none"), ("grpc-filter", "severity-filter")):
    if grpc in by and http in by:
        # The quotient of the two median ratios to none (each taken per
        # round, over none of its round).
        print(f"  {grpc} / {http}: {vs[grpc] / vs[http]:.2f}")
print("\nIssue 14's floor for the forwarding scenarios: vs none >= 0.70 (the export path costs at most 30%).")
for r in rows:
    if r["scenario"].startswith("fwd-"):
        ratio = r["vs_none"]
        verdict = "meets the floor" if ratio >= 0.7 else "BELOW the floor"
        lost = "" if r["far_end_records"] == r["records"] else \
            f"; the far end got {r['far_end_records']:,} of {r['records']:,} records"
        print(f"  {r['scenario']}: {ratio:.2f} — {verdict}{lost}")
metrics = sys.argv[2].split()
if "metrics-none" in by:
    print("\nMetrics stores (issue 16), against the metrics baseline (metrics-none, `null`),"
          " the exporter's encoding included, the discard server not measured:")
    for name in metrics[1:]:
        if name in by:
            print(f"  {name}: {by[name]:,} records/CPU-s, {by[name] / by['metrics-none']:.2f} of metrics-none")
PY
