#!/usr/bin/env bash
# Try weir on a fresh machine: builds the example plugins for WebAssembly
# and runs the severity filter over a sample batch with `weir plugin run`,
# printing what it kept and dropped. (The OTLP daemon, `weir run`, comes
# with the next milestone; this script will start it then.)
set -euo pipefail
cd "$(dirname "$0")/.."
rustup target list --installed | grep -qx wasm32-wasip2 || rustup target add wasm32-wasip2
cargo plugins
cargo run --release -p weir -- plugin run \
  target/wasm32-wasip2/plugin/severity_filter.wasm \
  --input tests/data/mixed-severity-logs.json \
  --config-text 'min_severity: WARN'
