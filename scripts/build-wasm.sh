#!/usr/bin/env bash
# Builds the npm package `offerfit` (bindings/wasm) into bindings/wasm/pkg/:
#
#   pkg/offerfit_wasm_bg.wasm        THE module, shared by every entry (cargo profile
#                                    `wasm-release`, built for speed, then `wasm-opt -O3
#                                    -ocimfs 0` from npm binaryen)
#   pkg/offerfit_wasm{,_bg}.js, .d.ts  the `bundler` glue, next to the module (a bundler resolves
#                                    the module's imports, `./offerfit_wasm_bg.js`, beside it)
#   pkg/node/, pkg/web/              the `nodejs` and `web` glue, loading `../offerfit_wasm_bg.wasm`
#   pkg/test-node                    a `nodejs` build with the `test-panic` feature, for the
#                                    panic-safety tests only (never shipped; dev profile)
#
# wasm-bindgen writes the same module for its three targets (only the glue differs): the build
# checks that they are byte-identical, keeps one, and points the node and web glue at it.
# Generated .d.ts files lose `start()`: the module's start function runs by itself on load
# and the package's JS does not export it.
#
#   scripts/build-wasm.sh [--release-only]
#
# Needs: the wasm32-unknown-unknown target, the wasm-bindgen CLI at exactly the version of the
# `wasm-bindgen` crate in Cargo.lock, and `npm ci` done in bindings/wasm (for wasm-opt).
# scripts/stages/wasm.sh installs all three. Idempotent: cargo and this script redo only what
# changed. Honours CARGO_TARGET_DIR.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PKG="$ROOT/bindings/wasm/pkg"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
WASM_OPT="$ROOT/bindings/wasm/node_modules/.bin/wasm-opt"
release_only=0
[ "${1:-}" = "--release-only" ] && release_only=1

# The wasm-bindgen crate version pinned in Cargo.lock; the CLI must match it exactly.
lock_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"
}

want="$(lock_version)"
[ -n "$want" ] || { echo "build-wasm: Cargo.lock has no wasm-bindgen entry" >&2; exit 1; }
have="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" || true
if [ "$have" != "$want" ]; then
  echo "build-wasm: need wasm-bindgen $want, found '${have:-none}' (cargo install wasm-bindgen-cli --version $want)" >&2
  exit 1
fi
[ -x "$WASM_OPT" ] || { echo "build-wasm: $WASM_OPT missing (run npm ci in bindings/wasm)" >&2; exit 1; }

# The features rustc enables by default for wasm32-unknown-unknown; wasm-opt must accept them
# (and must not use others the engines might lack).
FEATURES=(--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
  --enable-mutable-globals --enable-reference-types --enable-multivalue)

# wasm-opt's optimisation: -O3, except that a function with a single caller is not inlined
# into it whatever its size (binaryen's default, -ocimfs -1, does that): LLVM kept those
# functions apart on purpose, and merging them built two huge functions (the request's
# decoding and the engine's whole run) that V8's optimising compiler handles poorly. With
# the limit at 0 the package runs ~1.3-1.5x faster on the bench scenarios (kube 88 -> 59 ms,
# fenzo 49 -> 30 ms per call in one A/B), the module being about the same size.
WASM_OPT_FLAGS=(-O3 --one-caller-inline-max-function-size 0)

bindgen() { # bindgen INPUT.wasm TARGET OUTDIR
  local input=$1 target=$2 out=$3 type=module
  [ "$target" = nodejs ] && type=commonjs
  rm -rf "$out"
  wasm-bindgen --target "$target" --out-dir "$out" --out-name offerfit_wasm \
    --remove-name-section --remove-producers-section "$input"
  # The package is `"type": "module"`; the nodejs build is CommonJS, the others ES modules.
  printf '{"type":"%s"}\n' "$type" >"$out/package.json"
  # wasm-bindgen's own README and .gitignore are not the package's.
  rm -f "$out/README.md" "$out/.gitignore"
}

# `sed -i` that must change exactly one line of FILE, or the glue changed shape and the
# build stops rather than ship a package that loads the wrong file.
patch_once() { # patch_once FILE SED-EXPRESSION GREP-PATTERN-AFTER
  local file=$1 expr=$2 after=$3
  sed -i "$expr" "$file"
  [ "$(grep -c -- "$after" "$file")" = 1 ] || {
    echo "build-wasm: could not patch $file (looked for: $after); did wasm-bindgen's glue change?" >&2
    exit 1
  }
}

# Drops `start()` from a generated .d.ts (and its doc comment, if any).
drop_start() { # drop_start FILE
  sed -i '/^export function start(): void;$/d' "$1"
  if grep -q 'function start' "$1"; then
    echo "build-wasm: $1 still declares start()" >&2
    exit 1
  fi
}

cd "$ROOT"
echo "build-wasm: cargo build (wasm-release)"
cargo build --locked -p offerfit-wasm --target wasm32-unknown-unknown --profile wasm-release
release="$TARGET_DIR/wasm32-unknown-unknown/wasm-release/offerfit_wasm.wasm"
mkdir -p "$PKG"
stage="$PKG/.bindgen"
rm -rf "$stage"
for target in nodejs web bundler; do
  bindgen "$release" "$target" "$stage/$target"
done
for target in nodejs web; do
  cmp -s "$stage/$target/offerfit_wasm_bg.wasm" "$stage/bundler/offerfit_wasm_bg.wasm" || {
    echo "build-wasm: the $target and bundler modules differ; one shared module is not possible" >&2
    exit 1
  }
done
# wasm-opt (the slow step) runs once; its output is cached by the input's hash.
CACHE="$PKG/.wasm-opt-cache"
mkdir -p "$CACHE"
wasm="$stage/bundler/offerfit_wasm_bg.wasm"
key="$(sha256sum "$wasm" | cut -c1-64)-O3-ocimfs0"
if [ ! -s "$CACHE/$key.wasm" ]; then
  echo "build-wasm: wasm-opt ${WASM_OPT_FLAGS[*]} ($(wc -c <"$wasm") bytes in)"
  "$WASM_OPT" "${WASM_OPT_FLAGS[@]}" "${FEATURES[@]}" "$wasm" -o "$CACHE/$key.tmp"
  mv "$CACHE/$key.tmp" "$CACHE/$key.wasm"
fi
# Keep only the cache entries in use.
find "$CACHE" -name '*.wasm' -mmin +1440 -delete

# The new layout: the bundler build at pkg/, node and web glue below it, one module.
rm -rf "$PKG/node" "$PKG/web" "$PKG/bundler" "$PKG"/offerfit_wasm*
for f in "$stage/bundler"/*; do
  case "$(basename "$f")" in
    offerfit_wasm_bg.wasm) cp "$CACHE/$key.wasm" "$PKG/offerfit_wasm_bg.wasm" ;;
    *) mv "$f" "$PKG/" ;;
  esac
done
for target in nodejs web; do
  dir="$PKG/${target/nodejs/node}"
  mkdir -p "$dir"
  for f in "$stage/$target"/*; do
    [ "$(basename "$f")" = offerfit_wasm_bg.wasm ] || [ "$(basename "$f")" = offerfit_wasm_bg.wasm.d.ts ] || mv "$f" "$dir/"
  done
done
rm -rf "$stage"
# nodejs glue: reads the module from its own directory; web glue: fetches it next to itself.
patch_once "$PKG/node/offerfit_wasm.js" "s|\(__dirname[^;]*\)'offerfit_wasm_bg.wasm'|\1'../offerfit_wasm_bg.wasm'|; s|\(__dirname[^;]*\)\"offerfit_wasm_bg.wasm\"|\1\"../offerfit_wasm_bg.wasm\"|; s|\${__dirname}/offerfit_wasm_bg.wasm|\${__dirname}/../offerfit_wasm_bg.wasm|" "offerfit_wasm_bg.wasm"
grep -q '\.\./offerfit_wasm_bg.wasm' "$PKG/node/offerfit_wasm.js" || { echo "build-wasm: node glue not patched" >&2; exit 1; }
patch_once "$PKG/web/offerfit_wasm.js" "s|new URL('offerfit_wasm_bg.wasm', import.meta.url)|new URL('../offerfit_wasm_bg.wasm', import.meta.url)|" "new URL('../offerfit_wasm_bg.wasm', import.meta.url)"
for dts in "$PKG/offerfit_wasm.d.ts" "$PKG/node/offerfit_wasm.d.ts" "$PKG/web/offerfit_wasm.d.ts"; do
  drop_start "$dts"
done
echo "build-wasm: $PKG/offerfit_wasm_bg.wasm $(wc -c <"$PKG/offerfit_wasm_bg.wasm") bytes (one module for node, web and bundlers)"

if [ "$release_only" = 0 ]; then
  echo "build-wasm: cargo build (dev, feature test-panic)"
  cargo build --locked -p offerfit-wasm --target wasm32-unknown-unknown --features test-panic
  bindgen "$TARGET_DIR/wasm32-unknown-unknown/debug/offerfit_wasm.wasm" nodejs "$PKG/test-node"
fi
echo "build-wasm: done"
