#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what the tests need,
# then checks formatting and lints and runs every test (unit, integration,
# and each benchmark once in test mode). `.ci/run` runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "toolchain: wasm32-wasip2 target, rustfmt, clippy"
if ! rustup target list --installed | grep -qx wasm32-wasip2; then
  rustup target add wasm32-wasip2
fi
for component in rustfmt clippy; do
  rustup component list --installed | grep -q "^$component" || rustup component add "$component"
done

step "system packages librdkafka builds against (OpenSSL, zlib, pkg-config)"
packages="libssl-dev zlib1g-dev pkg-config"
if ! dpkg -s $packages > /dev/null 2>&1; then
  apt-get update -qq
  apt-get install -y -qq $packages
fi

step "Python venv: the OpenTelemetry SDK (the tests' real OTLP client), moto, pyarrow, duckdb"
bash scripts/python-env.sh

step "plugin toolchains for Python, JavaScript, C and Go (cached), and their example plugins"
bash scripts/plugin-toolchains.sh install
bash scripts/build-plugins.sh

step "Kafka broker for the tests (tansu; built once and cached)"
bash scripts/kafka-broker.sh install
broker=$(bash scripts/kafka-broker.sh start | tail -1)
export "$broker"
trap 'bash scripts/kafka-broker.sh stop' EXIT

step "hot stores for the tests (influxdb, prometheus, victoria-metrics from Debian)"
trap 'bash scripts/kafka-broker.sh stop; bash scripts/stores.sh stop' EXIT
stores=$(bash scripts/stores.sh start)
for store in $(grep '^WEIR_' <<< "$stores"); do
  export "$store"
done

step "S3 server for the tests (moto's server mode, from the Python venv)"
s3=$(bash scripts/s3-server.sh start | tail -1)
export "$s3"
trap 'bash scripts/kafka-broker.sh stop; bash scripts/stores.sh stop; bash scripts/s3-server.sh stop' EXIT

step "format"
cargo fmt --all -- --check

step "shell scripts parse (the benchmarks are not run here)"
for script in .ci/run scripts/*.sh scripts/lib/*.sh guest-sdk/*/build.sh; do
  bash -n "$script"
done

step "lint (host, SDK, plugins, tests)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "lint plugins as WebAssembly"
cargo clippy --target wasm32-wasip2 --locked \
  -p weir-guest -p noop -p severity-filter -p redact -p route-by-attribute -- -D warnings

step "tests"
cargo test --workspace --all-targets --locked

step "tests that need the CPU to themselves (run alone)"
# --workspace, as above, so the features (and the build) are the same.
cargo test --workspace --test integration --locked -- --ignored --test-threads=1
