#!/usr/bin/env bash
# Builds a Python plugin: bash guest-sdk/python/build.sh PLUGIN_DIR OUT.wasm
#
# PLUGIN_DIR holds app.py (and any other modules it imports). componentize-py
# (scripts/plugin-toolchains.sh install) generates the bindings from wit/,
# and bundles CPython, this SDK and the plugin into one component.
set -euo pipefail
sdk=$(cd "$(dirname "$0")" && pwd)
# The WIT: $WEIR_WIT, or beside the SDK (a `weir plugin new` project), or
# the weir repository's wit/.
if [ -n "${WEIR_WIT:-}" ]; then
  wit=$WEIR_WIT
elif [ -d "$sdk/../wit" ]; then
  wit=$(cd "$sdk/../wit" && pwd)
else
  wit=$(cd "$sdk/../../wit" && pwd)
fi
# The toolchains scripts/plugin-toolchains.sh installs.
toolchains=${WEIR_TOOLCHAINS:-${WEIR_CACHE_ROOT:-$HOME/.cache/weir}/plugin-toolchains}
export PATH="$toolchains/bin:$PATH"
componentize-py -d "$wit" -w plugin componentize \
  -p "$sdk" -p "$1" weir_export -o "$2" > /dev/null
