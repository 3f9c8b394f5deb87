#!/usr/bin/env bash
# Builds the example plugins written in Python, JavaScript, C and Go
# (plugins/<lang>/<name>/) into ${WEIR_LANG_PLUGINS:-$CARGO_TARGET_DIR/lang-plugins}/<lang>/<name>.wasm,
# with the toolchains scripts/plugin-toolchains.sh installs (run its
# `install` first). The Rust plugins are built by cargo (tests/build.rs).
#
#   bash scripts/build-plugins.sh              # every language
#   bash scripts/build-plugins.sh c python     # some
#
# The integration tests (tests/integration/languages.rs) load the results.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
export PATH="$(bash scripts/plugin-toolchains.sh bin):$PATH"
out="${WEIR_LANG_PLUGINS:-${CARGO_TARGET_DIR:-$repo/target}/lang-plugins}"
langs=("$@")
[ ${#langs[@]} -gt 0 ] || langs=(c python js go)
for lang in "${langs[@]}"; do
  for dir in plugins/"$lang"/*/; do
    name=$(basename "$dir")
    mkdir -p "$out/$lang"
    started=$SECONDS
    bash guest-sdk/"$lang"/build.sh "$dir" "$out/$lang/$name.wasm"
    echo "built $lang/$name.wasm ($(( $(stat -c %s "$out/$lang/$name.wasm") / 1024 )) KiB, $((SECONDS - started)) s)"
  done
done
