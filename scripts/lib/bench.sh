# What the benchmark scripts share: the release binary and plugins to
# measure, weir daemons started and stopped by PID, and a process's CPU
# time. Sourced (`. scripts/lib/bench.sh`) from the repository's root by
# scripts/bench-*.sh and scripts/hot-functions.sh, after `set -euo
# pipefail`; not run on its own.

# Sets $weir: WEIR_BIN (a release binary already built: a thin-LTO release
# build takes many minutes on a small machine), else this tree's release
# build, built now. Unless given --no-plugins, also sets $plugins, the
# plugins built for wasm32-wasip2, building them now unless WEIR_BIN is
# set and they exist (building waits for cargo's lock, which other builds
# on the machine may hold).
bench_binaries() {
  local target="${CARGO_TARGET_DIR:-target}"
  if [ -z "${WEIR_BIN:-}" ]; then
    cargo build --release -p weir --quiet
  fi
  weir=$(realpath "${WEIR_BIN:-$target/release/weir}")
  [ "${1:-}" = --no-plugins ] && return 0
  rustup target list --installed | grep -qx wasm32-wasip2 || rustup target add wasm32-wasip2
  if [ -z "${WEIR_BIN:-}" ] || [ ! -f "$target/wasm32-wasip2/plugin/severity_filter.wasm" ]; then
    cargo plugins --quiet
  fi
  plugins=$(realpath "$target/wasm32-wasip2/plugin")
}

# User + system CPU time of process $1, in ticks of `getconf CLK_TCK`.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# The daemons start_weir started and stop_weir has not stopped, by PID.
running=()

# start_weir NAME CONFIG LOG TELEMETRY [PREFIX...]: runs `weir run` on
# file CONFIG, its log in LOG and its plugin cache in $work/cache, behind
# PREFIX if given (e.g. `taskset -c 0`); waits until TELEMETRY (host:port)
# answers /readyz, for up to 30 s (the first start may compile plugins).
# Sets $started to its PID; fails, showing its log, if it is not ready.
start_weir() {
  local name=$1 config=$2 log=$3 telemetry=$4
  shift 4
  WEIR_LOG=warn WEIR_CACHE_DIR="$work/cache" "$@" "$weir" run --config "$config" 2> "$log" &
  started=$!
  running+=("$started")
  for _ in $(seq 300); do
    curl -sf "http://$telemetry/readyz" > /dev/null && return 0
    kill -0 "$started" 2> /dev/null || break
    sleep 0.1
  done
  echo "$name did not become ready; its log:" >&2
  cat "$log" >&2
  return 1
}

# stop_weir PID: SIGTERM, and waits until it has exited (a graceful stop
# exports what it accepted).
stop_weir() {
  local pid=$1 kept=()
  kill -TERM "$pid" 2> /dev/null || true
  wait "$pid" || true
  for p in "${running[@]}"; do [ "$p" = "$pid" ] || kept+=("$p"); done
  running=("${kept[@]+"${kept[@]}"}")
}

# Stops every daemon still running, for the scripts' EXIT traps.
stop_all_weir() {
  local pid
  for pid in "${running[@]+"${running[@]}"}"; do
    kill -TERM "$pid" 2> /dev/null || true
    wait "$pid" 2> /dev/null || true
  done
  running=()
}
