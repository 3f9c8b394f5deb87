#!/usr/bin/env bash
# Try a plugin without the daemon: builds the example plugins for
# WebAssembly and runs the severity filter over a sample batch with
# `weir plugin run`, printing what it kept and dropped.
set -euo pipefail
cd "$(dirname "$0")/.."
rustup target list --installed | grep -qx wasm32-wasip2 || rustup target add wasm32-wasip2
cargo plugins
cargo run --release -p weir -- plugin run \
  target/wasm32-wasip2/plugin/severity_filter.wasm \
  --input tests/data/mixed-severity-logs.json \
  --config-text 'min_severity: WARN'
