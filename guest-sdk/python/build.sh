#!/usr/bin/env bash
# Builds a Python plugin: bash guest-sdk/python/build.sh PLUGIN_DIR OUT.wasm
#
# PLUGIN_DIR holds app.py (and any other modules it imports). componentize-py
# (scripts/plugin-toolchains.sh install) generates the bindings from wit/,
# and bundles CPython, this SDK and the plugin into one component.
set -euo pipefail
sdk=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$sdk/../.." && pwd)
componentize-py -d "$repo/wit" -w plugin componentize \
  -p "$sdk" -p "$1" weir_export -o "$2" > /dev/null
