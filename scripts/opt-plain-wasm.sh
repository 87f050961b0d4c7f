#!/usr/bin/env bash
# Optimises the plain-WASM module (offerfit-c built for wasm32-unknown-unknown) the way
# scripts/build-wasm.sh optimises the npm module: `wasm-opt -O3 --one-caller-inline-max-function-size 0`
# from npm binaryen (bindings/wasm/node_modules/.bin/wasm-opt, `npm ci` in bindings/wasm), with
# only the features rustc enables by default for the target, so every runtime that ran the
# cargo output runs this one.
#
#   scripts/opt-plain-wasm.sh IN.wasm OUT.wasm
#
# This is the module the Python package ships (scripts/stages/python.sh) and the one
# scripts/bench-report.sh step 3b measures. Session 14 (`wbuild9`, benches/REPORT-notes.md):
# 1.7-3.0% fewer x86 instructions per call under wasmtime on the bench scenarios, ~2% fewer
# WebAssembly operations, and 16% smaller. The output is cached by the input's hash in
# $CARGO_TARGET_DIR/plain-wasm-opt (wasm-opt takes a minute). Without wasm-opt, OUT is a copy of
# IN and a warning says so (the module works the same, a little slower).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
WASM_OPT="${WASM_OPT:-$ROOT/bindings/wasm/node_modules/.bin/wasm-opt}"
[ $# -eq 2 ] || { echo "usage: $0 IN.wasm OUT.wasm" >&2; exit 2; }
in="$1"
out="$2"

# As scripts/build-wasm.sh: rustc's default wasm32 features, and -O3 without inlining every
# function that has a single caller.
FEATURES=(--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
  --enable-mutable-globals --enable-reference-types --enable-multivalue)
FLAGS=(-O3 --one-caller-inline-max-function-size 0)

if [ ! -x "$WASM_OPT" ]; then
  echo "opt-plain-wasm: $WASM_OPT missing (npm ci in bindings/wasm): $out is the unoptimised module" >&2
  cp "$in" "$out"
  exit 0
fi
cache="$TARGET_DIR/plain-wasm-opt"
mkdir -p "$cache"
key="$(sha256sum "$in" | cut -c1-64)-O3-ocimfs0"
if [ ! -s "$cache/$key.wasm" ]; then
  echo "opt-plain-wasm: wasm-opt ${FLAGS[*]} ($(wc -c <"$in") bytes in)" >&2
  "$WASM_OPT" "${FLAGS[@]}" "${FEATURES[@]}" "$in" -o "$cache/$key.tmp"
  mv "$cache/$key.tmp" "$cache/$key.wasm"
fi
touch "$cache/$key.wasm" # in use: kept by the clean-up below
find "$cache" -name '*.wasm' -mmin +1440 -delete
cp "$cache/$key.wasm" "$out"
echo "opt-plain-wasm: $out ($(wc -c <"$out") bytes)" >&2
