#!/usr/bin/env bash
# Builds a C plugin: bash guest-sdk/c/build.sh PLUGIN_DIR OUT.wasm
#
# Every .c file in PLUGIN_DIR, with the SDK (weir.c) and the bindings
# wit-bindgen generates from wit/, is compiled by clang for wasm32-wasip1
# (Debian's wasi-libc is under the wasm32-wasi triple) as a reactor (no main; weir calls the exports), then wrapped into a
# component with the preview1 adapter. Needs clang, wasm-ld, wit-bindgen,
# wasm-tools and the adapter (scripts/plugin-toolchains.sh install).
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
dir=$1
out=$2
adapter=$toolchains/wasi_snapshot_preview1.reactor.wasm
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
wit-bindgen c "$wit" --world plugin --out-dir "$work" > /dev/null 2>&1
clang --target=wasm32-wasi -mexec-model=reactor -O2 -Wall -Werror \
  -Wno-unused-function -I "$sdk" -I "$work" \
  "$dir"/*.c "$sdk/weir.c" "$work/plugin.c" "$work/plugin_component_type.o" \
  -o "$work/core.wasm"
wasm-tools component new "$work/core.wasm" \
  --adapt "wasi_snapshot_preview1=$adapter" -o "$out"
