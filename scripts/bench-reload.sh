#!/usr/bin/env bash
# Hot-reload benchmark: how long a replaced plugin file takes to serve, for
# a small plugin and a large one, and what swapping does to end-to-end
# latency under steady load (`weir gen` → `weir run` → null exporter on
# loopback). Each run measures its own no-swap baseline; see
# scripts/bench_reload.py for what is measured and how.
#
#   bash scripts/bench-reload.sh [SECONDS_PER_SCENARIO] [SECONDS_BETWEEN_SWAPS]
#   (defaults 20 and 0.5)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-20}"
interval="${2:-0.5}"
target="${CARGO_TARGET_DIR:-target}"
rustup target list --installed | grep -qx wasm32-wasip2 || rustup target add wasm32-wasip2
cargo build --release -p weir --quiet
cargo build --profile plugin --target wasm32-wasip2 -p tagger -p bulky --quiet
exec python3 scripts/bench_reload.py "$(realpath "$target/release/weir")" \
  "$(realpath "$target/wasm32-wasip2/plugin")" "$seconds" "$interval"
