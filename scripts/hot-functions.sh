#!/usr/bin/env bash
# Regenerates host/hot-functions.txt: the functions of the weir executable
# that run while the daemon carries load, hottest first. host/build.rs hands
# the list to the linker (lld's --symbol-ordering-file), which places those
# functions together at the start of the code instead of scattered over its
# 38 MB.
#
# Why: the kernel maps code 64 KiB at a time around each page that faults
# in (fault-around), so ~900 hot functions (0.7 MB) spread over 520 pages
# kept ~7 MiB of code resident; placed together they take under 1 MiB.
# The list is exact, not sampled: weir runs under valgrind's callgrind,
# which counts every function executed, including the ones that run once a
# second (timers, metrics), which a sampling profiler misses.
#
# Run it after changes that move the hot path (a new receiver, a rewrite of
# the byte walk, a dependency update): symbol names carry hashes, and a name
# the linker no longer finds is skipped silently, that function left where
# it was. `bash scripts/bench-memory.sh` prints how many are still found.
#
#   bash scripts/hot-functions.sh          (about 5 minutes)
#
# WEIR_BIN=path uses that release binary instead of building one.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind > /dev/null || {
  echo "valgrind is needed: apt-get install valgrind" >&2
  exit 1
}
. scripts/lib/bench.sh
bench_binaries
work=$(mktemp -d)
pid=""
cleanup() {
  [ -z "$pid" ] || { kill -KILL "$pid" 2> /dev/null; wait "$pid" 2> /dev/null || true; }
  rm -rf "$work"
}
trap cleanup EXIT

# Every signal over both transports, logs through a plugin: the paths a
# daemon carrying load runs.
cat > "$work/weir.yaml" <<YAML
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:24418
      grpc:
        endpoint: 127.0.0.1:24417
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
    traces:
      receivers: [otlp]
      exporters: [null]
    metrics:
      receivers: [otlp]
      exporters: [null]
YAML
# Compile the plugin into the cache first, as a daemon that restarts runs
# it from there.
WEIR_LOG=warn WEIR_CACHE_DIR="$work/cache" "$weir" validate --config "$work/weir.yaml" > /dev/null
WEIR_LOG=warn WEIR_CACHE_DIR="$work/cache" valgrind --tool=callgrind \
  --callgrind-out-file="$work/callgrind.out" --dump-instr=no --compress-strings=no \
  --compress-pos=no --demangle=no --smc-check=all-non-file \
  "$weir" run --config "$work/weir.yaml" > /dev/null 2> "$work/valgrind.log" &
pid=$!
for _ in $(seq 600); do
  curl -sf http://127.0.0.1:28988/readyz > /dev/null && break
  kill -0 "$pid" 2> /dev/null || { cat "$work/valgrind.log" >&2; exit 1; }
  sleep 0.5
done
gen() { "$weir" gen --batch 1000 --connections 2 "$@" > /dev/null 2>&1; }
# Count from ready on: weir drops its code pages once running and every
# 10 s after (allocator::drop_code_pages), so what start-up ran does not
# stay resident, but everything after does until the next drop — idle
# work (timers, the drops themselves) as much as the requests.
callgrind_control --zero "$pid" > /dev/null 2>&1
sleep 12
gen --endpoint http://127.0.0.1:24418 --duration 40 --rate 2000
gen --protocol grpc --endpoint http://127.0.0.1:24417 --duration 25 --rate 2000
gen --signal traces --endpoint http://127.0.0.1:24418 --duration 15 --rate 1000
gen --signal metrics --endpoint http://127.0.0.1:24418 --duration 15 --rate 1000
callgrind_control --dump "$pid" > /dev/null 2>&1
kill -KILL "$pid"
wait "$pid" 2> /dev/null || true
pid=""

nm --defined-only "$weir" | awk '{print $3}' > "$work/symbols"
python3 - "$work" "$weir" host/hot-functions.txt <<'PY'
import collections, glob, re, sys
work, weir, out = sys.argv[1:]
# callgrind's format: `ob=` / `fn=` name the object and function that the
# following cost lines belong to; after a `calls=` line, the next line is
# the inclusive cost of that call, not the function's own.
own = collections.Counter()
ob = fn = None
after_call = False
for path in glob.glob(f"{work}/callgrind.out.*"):
    for line in open(path, errors="replace"):
        line = line.rstrip("\n")
        if after_call:
            after_call = False
            continue
        if line.startswith("ob="):
            ob = line[3:]
        elif line.startswith("fn="):
            # callgrind marks recursion depth with a 'N suffix.
            fn = re.sub(r"'\d+$", "", line[3:])
        elif line.startswith("calls="):
            after_call = True
        elif line[:1].isdigit() and ob == weir and fn:
            parts = line.split()
            if len(parts) > 1:
                own[fn] += int(parts[1])
symbols = set(open(f"{work}/symbols").read().split())
names = [name for name, _ in own.most_common() if name in symbols]
with open(out, "w") as f:
    f.write("# Functions weir runs under load, hottest first: generated by\n"
            "# scripts/hot-functions.sh, read by host/build.rs. Do not edit.\n")
    f.write("\n".join(names) + "\n")
print(f"{len(names)} functions ({len(own) - len(names)} executed ones not in the symbol table) -> {out}")
PY
