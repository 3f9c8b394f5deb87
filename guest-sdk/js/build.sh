#!/usr/bin/env bash
# Builds a JavaScript plugin: bash guest-sdk/js/build.sh PLUGIN_DIR OUT.wasm
#
# PLUGIN_DIR/app.js imports "weir" (this SDK). esbuild bundles the two into
# one module (componentize-js takes one), leaving weir's WIT imports to
# jco, which builds the component with componentize-js. `--disable http
# fetch-event` keeps out the wasi:http import weir does not provide.
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
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
esbuild "$1/app.js" --bundle --format=esm --log-level=warning \
  --alias:weir="$sdk/weir.js" --external:'weir:plugin/*' --outfile="$work/bundle.js"
# jco 1.35 reads the WIT with wasm-tools run through preview2-shim, which
# starts with no preopened directory ("failed to get path metadata"):
# preopen / in the shim instance jco uses before jco starts.
jco=$(readlink -f "$(command -v jco)")
modules=$(cd "$(dirname "$jco")/../../.." && pwd)
# Every copy of the shim (jco's and its componentize-js's) is a separate
# module instance, each with its own (empty) preopens.
for shim in $(find "$modules" -path '*/preview2-shim/dist/nodejs/filesystem.js'); do
  echo "(await import(\"$shim\"))._addPreopen(\"/\", \"/\");"
done > "$work/preopen.mjs"
node --import "$work/preopen.mjs" "$jco" componentize "$work/bundle.js" \
  --wit "$wit" --world-name plugin --disable http fetch-event -o "$2" > /dev/null
