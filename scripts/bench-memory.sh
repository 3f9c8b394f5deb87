#!/usr/bin/env bash
# Resident memory of `weir run` (OTLP/HTTP → `severity-filter` → `null`):
# at a steady 10,000 records/s, then saturated by 32 connections sending
# as fast as weir answers. Samples /proc every half second and reports the
# steady-state resident set (median of the second half of the steady
# phase), split into anonymous memory (heap, stacks, plugin instances:
# weir's own) and file-backed pages (its code, shared with the page cache),
# and the peak of each phase. Issue 19's floor: <= 20 MiB resident at
# 10,000 records/s with a plugin.
#
#   bash scripts/bench-memory.sh [SECONDS_PER_PHASE]   (default 20)
#
# WEIR_BIN=path reuses a release binary (and the plugins already built).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-20}"
. scripts/lib/bench.sh
bench_binaries
# How much of host/hot-functions.txt the linker could place (names carry
# hashes that change as the code does; see scripts/hot-functions.sh).
if command -v nm > /dev/null; then
  found=$(nm --defined-only "$weir" | awk '{print $3}' | sort -u |
    comm -12 - <(grep -v '^#' host/hot-functions.txt | sort -u) | wc -l)
  listed=$(grep -cv '^#' host/hot-functions.txt)
  echo "hot functions placed together: $found of the $listed listed in host/hot-functions.txt"
fi
work=$(mktemp -d)
cleanup() {
  stop_all_weir
  rm -rf "$work"
}
trap cleanup EXIT

cat > "$work/weir.yaml" <<YAML
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:24418
processors:
  wasm/severity:
    path: $plugins/severity_filter.wasm
    config: {min_severity: WARN}
exporters:
  null:
service:
  telemetry:
    address: 127.0.0.1:28988
  pipelines:
    logs:
      receivers: [otlp]
      processors: [wasm/severity]
      exporters: [null]
YAML
# Starts weir; sets $pid once it is ready.
start() {
  start_weir weir "$work/weir.yaml" "$work/weir.log" 127.0.0.1:28988
  pid=$started
}
# The first start compiles the plugin into the cache (the compiler's
# memory is not all handed back); what is measured is a restart, as a
# daemon runs once its plugins are cached.
start
first=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")
stop_weir "$pid"
start

# Samples "anon_kib file_kib" of weir every half second into $1 until
# the file $1.stop exists.
sample() {
  while [ ! -e "$1.stop" ]; do
    awk '/^RssAnon:/ {a = $2} /^RssFile:/ {f = $2} /^RssShmem:/ {s = $2}
         END {print a, f + s}' "/proc/$pid/status" >> "$1"
    sleep 0.5
  done
}

phase() {
  local name=$1
  shift
  sample "$work/$name.samples" &
  local sampler=$!
  "$weir" gen --endpoint http://127.0.0.1:24418 --duration "$seconds" --batch 1000 "$@" --json \
    > "$work/$name.json" 2> /dev/null
  touch "$work/$name.samples.stop"
  wait "$sampler"
}

idle=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")
echo "idle after the first start (plugin compiled): $((first / 1024)) MiB resident"
phase steady --rate 10000 --connections 2
phase saturated --rate 0 --connections 32

python3 - "$work" "$idle" <<'PY'
import json, statistics, sys
work, idle = sys.argv[1], int(sys.argv[2])
print(f"idle after a restart (plugin from the cache): {idle / 1024:.1f} MiB resident")
for name in ("steady", "saturated"):
    rows = [tuple(map(int, l.split())) for l in open(f"{work}/{name}.samples") if l.strip()]
    gen = json.load(open(f"{work}/{name}.json"))
    late = rows[len(rows) // 2:]
    anon = statistics.median(a for a, _ in late) / 1024
    file = statistics.median(f for _, f in late) / 1024
    peak = max(a + f for a, f in rows) / 1024
    print(json.dumps({"phase": name, "records_per_second": round(gen["records_per_second"]),
                      "resident_mib": round(anon + file, 1), "anon_mib": round(anon, 1),
                      "file_mib": round(file, 1), "peak_resident_mib": round(peak, 1)}))
    print(f"{name:>10}: {gen['records_per_second']:>10,.0f} records/s  resident {anon + file:5.1f} MiB "
          f"(anonymous {anon:4.1f}, code and other file pages {file:4.1f})  peak {peak:5.1f} MiB")
print("Issue 19's floor: <= 20 MiB resident at 10,000 records/s with a plugin (steady).")
PY
