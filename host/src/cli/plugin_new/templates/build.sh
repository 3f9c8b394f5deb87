#!/usr/bin/env bash
# Builds {{name}}.wasm with weir's {{lang}} SDK (weir-sdk/) and the
# toolchains weir's scripts/plugin-toolchains.sh installs.
set -euo pipefail
cd "$(dirname "$0")"
bash weir-sdk/build.sh . {{name}}.wasm
echo "built $(pwd)/{{name}}.wasm"
