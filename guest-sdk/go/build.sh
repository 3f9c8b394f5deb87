#!/usr/bin/env bash
# Builds a Go plugin: bash guest-sdk/go/build.sh PLUGIN_DIR OUT.wasm
#
# PLUGIN_DIR holds package main files that call weir.Register. They are
# put in one module (named wit_component, as the generated code expects)
# with the bindings wit-bindgen generates from wit/, this SDK, and the
# bindings' support package (go.bytecodealliance.org/pkg, which ships
# inside the wit-bindgen-go crate: scripts/plugin-toolchains.sh copies it
# out). Go builds a wasip1 reactor; wasm-tools embeds the WIT and, with
# the preview1 adapter, makes the component.
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
dir=$(cd "$1" && pwd)
out=$(realpath -m "$2")
adapter=$toolchains/wasi_snapshot_preview1.reactor.wasm
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
wit-bindgen go "$wit" --world plugin --out-dir "$work" > /dev/null 2>&1
cp -r "$sdk/weir" "$sdk/export_weir_plugin_processor" "$work/"
cp "$dir"/*.go "$work/"
cat >> "$work/go.mod" <<MOD
replace go.bytecodealliance.org/pkg => $toolchains/go-pkg
MOD
cd "$work"
# No module downloads: everything is local.
export GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local GOCACHE="$toolchains/go-cache"
# -checklinkname=0: the support package links to runtime internals.
GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -ldflags=-checklinkname=0 -o core.wasm .
wasm-tools component embed "$wit" --world plugin core.wasm -o embedded.wasm
wasm-tools component new embedded.wasm --adapt "wasi_snapshot_preview1=$adapter" -o "$out"
