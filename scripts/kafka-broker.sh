#!/usr/bin/env bash
# A real Kafka-protocol broker for the tests: tansu 0.6 (crates.io), in
# memory, on loopback. Its build takes 10-15 minutes, so the binary is kept
# under ${WEIR_CACHE_ROOT:-$HOME/.cache/weir}/tansu and built only once.
#
#   bash scripts/kafka-broker.sh install   # build tansu if not cached
#   bash scripts/kafka-broker.sh start     # start it; prints WEIR_KAFKA_BROKERS=...
#   bash scripts/kafka-broker.sh stop      # stop the broker this script started
#
# The tests read the broker address from WEIR_KAFKA_BROKERS and create the
# topics they use themselves (tansu does not create topics on first use).
set -euo pipefail
cd "$(dirname "$0")/.."
root="${WEIR_CACHE_ROOT:-$HOME/.cache/weir}"
tansu_root="$root/tansu"
tansu="$tansu_root/bin/tansu"
version="0.6.0"
port="${WEIR_KAFKA_PORT:-19092}"
run_dir="${WEIR_KAFKA_RUN_DIR:-$root/kafka-broker}"
pid_file="$run_dir/tansu.pid"

install() {
  if [ -x "$tansu" ] && "$tansu" --version 2>/dev/null | grep -q "$version"; then
    return
  fi
  echo "building tansu $version (10-15 minutes, cached afterwards)" >&2
  cargo install tansu --locked --features dynostore --version "=$version" --root "$tansu_root"
}

stop() {
  if [ -f "$pid_file" ]; then
    pid=$(cat "$pid_file")
    # Only the broker this script started, by its recorded PID.
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
    fi
    rm -f "$pid_file"
  fi
}

start() {
  install
  stop
  mkdir -p "$run_dir"
  "$tansu" broker \
    --listener-url "tcp://127.0.0.1:$port" \
    --advertised-listener-url "tcp://127.0.0.1:$port" \
    --storage-engine "memory://tansu/" \
    > "$run_dir/tansu.log" 2>&1 &
  echo $! > "$pid_file"
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "WEIR_KAFKA_BROKERS=127.0.0.1:$port"
      return
    fi
    sleep 0.1
  done
  echo "tansu did not start listening on 127.0.0.1:$port; its log:" >&2
  cat "$run_dir/tansu.log" >&2
  exit 1
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 install|start|stop" >&2; exit 2 ;;
esac
