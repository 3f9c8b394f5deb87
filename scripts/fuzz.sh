#!/usr/bin/env bash
# Runs weir's fuzz targets (fuzz/, cargo-fuzz + libFuzzer on nightly) for
# a number of executions each, and prints executions, time, execs/s and
# the result per target.
#
#   bash scripts/fuzz.sh                      # every target, 10,000,000 executions each
#   bash scripts/fuzz.sh otlp_wire            # one target
#   bash scripts/fuzz.sh all 100000           # a quick pass
#
# Everything it writes lives under ${WEIR_CACHE_ROOT:-$HOME/.cache/weir}:
# cargo-fuzz itself (built once, like tansu in kafka-broker.sh), the build
# (fuzz-target/, apart from the shared debug target), the growing corpus
# (fuzz-corpus/<target>/; the checked-in seeds in fuzz/corpus/ are read,
# never written), crash artifacts (fuzz-artifacts/<target>/) and logs
# (fuzz-logs/, with results.tsv, one line per run).
#
# Built without a sanitizer (-s none) but with debug assertions and
# overflow checks (-a): the decoders are safe Rust, where AddressSanitizer
# finds nothing that bounds checks do not, and it halves the speed. A
# crash — a panic, a failed invariant, a stack overflow, a timeout, or
# resident memory over -rss_limit_mb — stops the target and leaves the input
# in fuzz-artifacts/<target>/; replay it with
#   cargo +nightly fuzz run <target> <artifact>   (same flags as below)
# and see the README's "Fuzzing" section for turning it into a test.
set -euo pipefail
cd "$(dirname "$0")/.."
root="${WEIR_CACHE_ROOT:-$HOME/.cache/weir}"
targets=(otlp_wire decompress otlp_json kafka_message config_yaml plugin_precheck)
which="${1:-all}"
runs="${2:-10000000}"
version="0.13.2"
export PATH="$root/cargo-fuzz/bin:$PATH"

if [ "$which" != all ]; then
  if ! printf '%s\n' "${targets[@]}" | grep -qx "$which"; then
    echo "unknown target $which; targets: ${targets[*]} (or all)" >&2
    exit 2
  fi
  targets=("$which")
fi

if ! cargo fuzz --version 2>/dev/null | grep -q "$version"; then
  echo "installing cargo-fuzz $version under $root/cargo-fuzz (once)" >&2
  cargo install cargo-fuzz --locked --version "=$version" --root "$root/cargo-fuzz"
fi
if ! rustup toolchain list | grep -q '^nightly'; then
  echo "cargo-fuzz needs a nightly toolchain: rustup toolchain install nightly" >&2
  exit 1
fi

# The build and the corpus grow; stop well before the disk is full.
free_gb=$(df -Pk "$root" | awk 'NR == 2 { print int($4 / 1048576) }')
if [ "$free_gb" -lt 12 ]; then
  echo "only ${free_gb} GB free under $root; fuzzing wants more than 12" >&2
  exit 1
fi

flags=(-s none -a --codegen-units 16 --target-dir "$root/fuzz-target")
mkdir -p "$root/fuzz-logs"

failed=0
printf '%-16s %12s %8s %10s  %s\n' target executions seconds execs/s result
for target in "${targets[@]}"; do
  # Built apart from the run, so the run's time is the fuzzing's alone
  # (the first build, of weir and all it links, takes a while).
  cargo +nightly fuzz build "${flags[@]}" "$target" >"$root/fuzz-logs/build.log" 2>&1 || {
    tail -40 "$root/fuzz-logs/build.log" >&2
    exit 1
  }
  corpus="$root/fuzz-corpus/$target"
  artifacts="$root/fuzz-artifacts/$target/"
  log="$root/fuzz-logs/$target.log"
  mkdir -p "$corpus" "$artifacts"
  start=$(date +%s)
  # One process, in the foreground (the machine is shared; -jobs would
  # fork workers that log elsewhere). -rss_limit_mb: a body inflated
  # past the receivers' cap (1 MiB here) would take gigabytes; without a
  # sanitizer libFuzzer cannot watch single allocations (-malloc_limit_mb
  # needs a sanitizer's malloc hooks), but it does watch resident memory.
  if cargo +nightly fuzz run "${flags[@]}" "$target" "$corpus" "fuzz/corpus/$target" -- \
    -runs="$runs" -timeout=10 -rss_limit_mb=1024 \
    -artifact_prefix="$artifacts" -print_final_stats=1 >"$log" 2>&1; then
    result=ok
  else
    result="CRASH: $(grep -o "Test unit written to .*" "$log" | tail -1 | sed 's/Test unit written to //')"
    failed=1
  fi
  seconds=$(($(date +%s) - start))
  executed=$(awk '/^stat::number_of_executed_units:/ { n = $2 } END { print n }' "$log")
  per_second=$(awk '/^stat::average_exec_per_sec:/ { n = $2 } END { print n }' "$log")
  printf '%-16s %12s %8s %10s  %s\n' "$target" "${executed:-?}" "$seconds" "${per_second:-?}" "$result"
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$target" "${executed:-?}" "$seconds" \
    "${per_second:-?}" "$result" >>"$root/fuzz-logs/results.tsv"
done
exit "$failed"
