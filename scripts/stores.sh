#!/usr/bin/env bash
# The hot stores the tests write to, real servers from Debian's packages,
# each on loopback with its data in a run directory of its own:
#   influxdb 1.6 (v1 API)                    WEIR_INFLUXDB_URL
#   prometheus 2.42 (remote-write receiver)  WEIR_PROMETHEUS_URL
#   victoria-metrics 1.79                    WEIR_VICTORIAMETRICS_URL
#
#   bash scripts/stores.sh install   # apt-get the packages if missing
#   bash scripts/stores.sh start     # start them; prints NAME=URL lines
#   bash scripts/stores.sh stop      # stop the servers this script started
#
# VictoriaLogs, Jaeger and MinIO have no package in the registries; their
# paths are tested against the stores' documented formats instead.
set -euo pipefail
cd "$(dirname "$0")/.."
root="${WEIR_CACHE_ROOT:-$HOME/.cache/weir}"
run_dir="${WEIR_STORES_RUN_DIR:-$root/stores}"
influxdb_port="${WEIR_INFLUXDB_PORT:-18086}"
prometheus_port="${WEIR_PROMETHEUS_PORT:-19090}"
victoriametrics_port="${WEIR_VICTORIAMETRICS_PORT:-18428}"
packages="influxdb prometheus victoria-metrics curl"

install() {
  if ! dpkg -s $packages > /dev/null 2>&1; then
    apt-get update -qq
    # The packages' maintainer scripts would start the servers as system
    # services where there is an init system; the tests start their own.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $packages
  fi
}

stop() {
  for name in influxdb prometheus victoria-metrics; do
    pid_file="$run_dir/$name.pid"
    if [ -f "$pid_file" ]; then
      pid=$(cat "$pid_file")
      # Only the server this script started, by its recorded PID.
      if kill -0 "$pid" 2>/dev/null; then
        kill "$pid"
      fi
      rm -f "$pid_file"
    fi
  done
}

# wait_ready NAME URL: until URL answers 2xx, or fail with NAME's log.
wait_ready() {
  for _ in $(seq 1 300); do
    if curl -fsS -o /dev/null "$2" 2>/dev/null; then
      return
    fi
    sleep 0.1
  done
  echo "$1 did not answer $2 within 30s; its log:" >&2
  tail -50 "$run_dir/$1.log" >&2
  exit 1
}

start() {
  install
  stop
  # Every run starts empty: the tests read back what they wrote.
  rm -rf "$run_dir"
  mkdir -p "$run_dir/influxdb" "$run_dir/prometheus" "$run_dir/victoria-metrics"

  cat > "$run_dir/influxdb.conf" <<CONF
reporting-enabled = false
bind-address = "127.0.0.1:$((influxdb_port + 2))"
[meta]
  dir = "$run_dir/influxdb/meta"
[data]
  dir = "$run_dir/influxdb/data"
  wal-dir = "$run_dir/influxdb/wal"
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:$influxdb_port"
  log-enabled = false
[monitor]
  store-enabled = false
CONF
  influxd run -config "$run_dir/influxdb.conf" > "$run_dir/influxdb.log" 2>&1 &
  echo $! > "$run_dir/influxdb.pid"

  cat > "$run_dir/prometheus.yml" <<CONF
global:
  scrape_interval: 1h
CONF
  prometheus --config.file="$run_dir/prometheus.yml" \
    --storage.tsdb.path="$run_dir/prometheus" \
    --web.listen-address="127.0.0.1:$prometheus_port" \
    --web.enable-remote-write-receiver \
    > "$run_dir/prometheus.log" 2>&1 &
  echo $! > "$run_dir/prometheus.pid"

  victoria-metrics -httpListenAddr "127.0.0.1:$victoriametrics_port" \
    -storageDataPath "$run_dir/victoria-metrics" \
    -retentionPeriod 100y \
    > "$run_dir/victoria-metrics.log" 2>&1 &
  echo $! > "$run_dir/victoria-metrics.pid"

  wait_ready influxdb "http://127.0.0.1:$influxdb_port/ping"
  wait_ready prometheus "http://127.0.0.1:$prometheus_port/-/ready"
  wait_ready victoria-metrics "http://127.0.0.1:$victoriametrics_port/health"
  echo "WEIR_INFLUXDB_URL=http://127.0.0.1:$influxdb_port"
  echo "WEIR_PROMETHEUS_URL=http://127.0.0.1:$prometheus_port"
  echo "WEIR_VICTORIAMETRICS_URL=http://127.0.0.1:$victoriametrics_port"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 install|start|stop" >&2; exit 2 ;;
esac
