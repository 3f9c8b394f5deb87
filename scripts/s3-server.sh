#!/usr/bin/env bash
# A real S3 implementation for the tests: moto's server mode (PyPI
# `moto[server]`, installed into the tests' Python venv by
# scripts/python-env.sh), in memory, on loopback.
#
#   bash scripts/s3-server.sh start   # start it; prints WEIR_S3_ENDPOINT=...
#   bash scripts/s3-server.sh stop    # stop the server this script started
#
# The tests read the endpoint from WEIR_S3_ENDPOINT and create the buckets
# they use themselves (a fresh one per test). moto accepts any credentials;
# the tests give weir fixed ones through the standard AWS variables.
set -euo pipefail
cd "$(dirname "$0")/.."
root="${WEIR_CACHE_ROOT:-$HOME/.cache/weir}"
port="${WEIR_S3_PORT:-19000}"
run_dir="${WEIR_S3_RUN_DIR:-$root/s3-server}"
pid_file="$run_dir/moto.pid"

stop() {
  if [ -f "$pid_file" ]; then
    pid=$(cat "$pid_file")
    # Only the server this script started, by its recorded PID.
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
    fi
    rm -f "$pid_file"
  fi
}

start() {
  python=$(bash scripts/python-env.sh | tail -1)
  stop
  mkdir -p "$run_dir"
  "$python" -m moto.server -H 127.0.0.1 -p "$port" > "$run_dir/moto.log" 2>&1 &
  echo $! > "$pid_file"
  for _ in $(seq 1 150); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "WEIR_S3_ENDPOINT=http://127.0.0.1:$port"
      return
    fi
    sleep 0.1
  done
  echo "moto did not start listening on 127.0.0.1:$port; its log:" >&2
  cat "$run_dir/moto.log" >&2
  exit 1
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
