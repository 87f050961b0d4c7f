#!/usr/bin/env bash
# The one command that writes benches/REPORT.md: native and WASM side by side, the growth table
# with peak memory, the callgrind gate, and the machine's description.
#
#   scripts/bench-report.sh [--quick]
#
# Steps (results kept in $CARGO_TARGET_DIR/bench-report/, default target/bench-report/):
#   1. `offerfit bench --rounds 5 --json` (release CLI): fenzo, fenzo-distinct,
#      fenzo-distinct-ports, kube, kube-hetero, constraints, ports and mantl, round-robin five
#      times — typed API, JSON text to JSON text, and the serde_json parse floor; every verdict
#      reads the median of the five rounds' medians and shows their min–max;
#   2. `offerfit bench --scenario growth --json` (each cell in its own process, peak RSS);
#   3. `offerfit bench --write-workloads` and bindings/wasm/bench/bench.mjs through the npm
#      package (scripts/build-wasm.sh --release-only; built for speed), then again through the
#      same code built for size (opt-level "z" + wasm-opt -Oz) to show what the speed costs;
#   3a. bindings/wasm/bench/session-wasm.mjs: Fenzo's scenario through the npm `Session`, per
#      step against the npm `place` of the same batch (issue 15's ≤ 1.5×), $ROUNDS rounds;
#   3b. the plain-WASM module (offerfit-c for wasm32-unknown-unknown, through scripts/opt-plain-wasm.sh
#      as the Python package ships it) driven from Python with
#      the `wasmtime` package (bindings/wasm/bench/wasmtime_bench.py, a venv at
#      $CARGO_TARGET_DIR/bench-venv with the wasmtime version scripts/stages/c.sh pins), then
#      once with --fuel: the module's WebAssembly operations per first call, load-free;
#   4. instruction counts under callgrind: each scenario's engine calls (`--once`) and the first
#      call's text through `offerfit::call` and through the parse floor (`--once-text`);
#   5. the callgrind gate (scripts/stages/bench.sh gate);
#   6. bindings/wasm/bench/report.mjs renders benches/REPORT.md, with the hand-kept sections
#      (NOTES below: benches/REPORT-notes.md, the analysis of the gaps and placement quality;
#      REPORT-hostile.md, REPORT-sessions.md, REPORT-simulate.md) and the machine's description.
#
# The machine (nproc, CPU model) and its load (`uptime` before and after) go into the report:
# a verdict measured on a loaded machine says so.
#
# --quick: 3 samples, one round, growth up to 10,000 × 10,000, for trying the pipeline out.
# Needs: cargo, node, and for step 3 wasm-bindgen at the Cargo.lock version plus `npm ci` in
# bindings/wasm (scripts/stages/wasm.sh installs both); valgrind for steps 4 and 5.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
OUT="$TARGET/bench-report"
SAMPLES=7
ROUNDS=5
GROWTH=()
if [ "${1:-}" = "--quick" ]; then
  SAMPLES=3
  ROUNDS=1
  GROWTH=(--growth-max 10000x10000)
fi
mkdir -p "$OUT"
say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
LOAD_BEFORE="$(uptime)"

say "build the CLI (release)"
cargo build --locked --release -p offerfit-cli
BIN="$TARGET/release/offerfit"

say "native scenarios"
"$BIN" bench --samples "$SAMPLES" --rounds "$ROUNDS" --json >"$OUT/native.json"
say "growth table"
"$BIN" bench --scenario growth "${GROWTH[@]}" --json >"$OUT/growth.json"
say "workloads for node"
"$BIN" bench --write-workloads "$OUT/workloads"

say "WASM package (scripts/build-wasm.sh --release-only)"
scripts/build-wasm.sh --release-only >&2
say "WASM scenarios (the npm package)"
# One Node process per round (as the native side runs in rounds): V8 lays the module's code out
# anew in each process, and one process can run a scenario far faster or slower than the next
# (bimodal on this VM), so it takes more processes than rounds: report.mjs takes the median of
# the processes' medians.
rm -f "$OUT"/wasm.json "$OUT"/wasm-[0-9]*.json "$OUT"/wasm-size*.json
for r in $(seq $((2 * ROUNDS - 1))); do
  node bindings/wasm/bench/bench.mjs --workloads "$OUT/workloads" --samples "$SAMPLES" --json >"$OUT/wasm-$r.json"
done

say "session over WASM (the npm Session vs the npm place, Fenzo's scenario)"
node bindings/wasm/bench/session-wasm.mjs --workloads "$OUT/workloads" --rounds "$ROUNDS" --json >"$OUT/session-wasm.json" ||
  rm -f "$OUT/session-wasm.json"

say "WASM built for size (opt-level z, wasm-opt -Oz)"
# Its own target dir: the same profile with another opt-level would rebuild the shipped one.
if CARGO_TARGET_DIR="$TARGET/size-build" cargo build --locked -p offerfit-wasm --target wasm32-unknown-unknown \
  --profile wasm-release --config 'profile.wasm-release.opt-level="z"' >&2; then
  SIZE="$OUT/wasm-size"
  rm -rf "$SIZE"
  wasm-bindgen --target nodejs --out-dir "$SIZE" --out-name offerfit_wasm \
    "$TARGET/size-build/wasm32-unknown-unknown/wasm-release/offerfit_wasm.wasm"
  printf '{"type":"commonjs"}\n' >"$SIZE/package.json"
  bindings/wasm/node_modules/.bin/wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
    "$SIZE/offerfit_wasm_bg.wasm" -o "$SIZE/offerfit_wasm_bg.wasm"
  for r in $(seq "$ROUNDS"); do
    node bindings/wasm/bench/bench.mjs --workloads "$OUT/workloads" --samples "$SAMPLES" \
      --module "$SIZE/offerfit_wasm.js" --json >"$OUT/wasm-size-$r.json"
  done
fi

say "WASM under wasmtime (the plain-WASM module from Python)"
rm -f "$OUT"/wasmtime-[0-9]*.json "$OUT/wasmtime-fuel.json"
WASMTIME_VERSION="$(awk -F= '/^C_PY_WASMTIME_VERSION=/ { print $2 }' scripts/stages/c.sh)"
VENV="$TARGET/bench-venv"
if { [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import wasmtime' 2>/dev/null; } ||
  { python3 -m venv "$VENV" && "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    "wasmtime==$WASMTIME_VERSION"; }; then
  # The module the Python package ships: the release build through scripts/opt-plain-wasm.sh.
  if cargo build --locked -p offerfit-c --release --target wasm32-unknown-unknown >&2 &&
    scripts/opt-plain-wasm.sh "$TARGET/wasm32-unknown-unknown/release/offerfit_c.wasm" "$OUT/offerfit_c.opt.wasm"; then
    for r in $(seq "$ROUNDS"); do
      "$VENV/bin/python" bindings/wasm/bench/wasmtime_bench.py --workloads "$OUT/workloads" --samples "$SAMPLES" \
        --module "$OUT/offerfit_c.opt.wasm" --json >"$OUT/wasmtime-$r.json"
    done
    # The same module's operations per first call (wasmtime's fuel): a count the load does not move.
    "$VENV/bin/python" bindings/wasm/bench/wasmtime_bench.py --workloads "$OUT/workloads" --fuel \
      --module "$OUT/offerfit_c.opt.wasm" --json >"$OUT/wasmtime-fuel.json" ||
      rm -f "$OUT/wasmtime-fuel.json"
  fi
else
  echo "wasmtime (PyPI) could not be installed: no wasmtime runs" >&2
fi

say "instruction counts (callgrind)"
# Instructions are what a noisy machine cannot blur: the engine's calls (typed API, every call
# of the scenario) and, on the first call's request text, `offerfit::call` against the parse
# floor. report.mjs quotes them beside the times.
ir() { # ir PATTERN ARGS... -> the Ir collected inside functions matching PATTERN
  local out
  out="$(mktemp)"
  valgrind --tool=callgrind --callgrind-out-file="$out" --toggle-collect="$1" "$BIN" "${@:2}" >/dev/null 2>&1 || {
    rm -f "$out"
    echo null
    return 0
  }
  awk '/^(summary|totals):/ { print $2; exit }' "$out"
  rm -f "$out"
}
if command -v valgrind >/dev/null 2>&1; then
  {
    echo '{'
    sep=''
    for s in fenzo fenzo-distinct fenzo-distinct-ports kube kube-hetero constraints ports mantl; do
      engine="$(ir '*measured_place*' bench --scenario "$s" --once)"
      call="$(ir '*measured_call*' bench --scenario "$s" --once-text)"
      parse="$(ir '*measured_parse*' bench --scenario "$s" --once-text)"
      printf '%s"%s": {"engine": %s, "call": %s, "parse": %s}\n' "$sep" "$s" "$engine" "$call" "$parse"
      sep=','
    done
    echo '}'
  } >"$OUT/instructions.json"
else
  rm -f "$OUT/instructions.json"
fi

say "callgrind gate"
if command -v valgrind >/dev/null 2>&1; then
  scripts/stages/bench.sh gate 2>&1 | grep -E '^(callgrind gate|fenzo|kube)' >"$OUT/callgrind.txt" || true
else
  echo "valgrind is not installed: gate not run" >"$OUT/callgrind.txt"
fi

say "machine"
{
  echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit:  $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "nproc:   $(nproc)"
  echo "cpu:     $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || echo '?')"
  echo "load before: $LOAD_BEFORE"
  echo "load after:  $(uptime)"
  echo "rustc:   $(rustc -V)"
  echo "node:    $(node --version)"
  echo "kernel:  $(uname -srm)"
  echo
  free -h
  echo
  lscpu | grep -vE '^(Flags|Vulnerability)'
} >"$OUT/machine.txt"
# The hand-kept sections, rendered verbatim after the measured ones, in this order (a missing
# file is skipped): the callgrind analysis of the gaps and placement quality, hostile requests,
# sessions, simulate. Edit those files, never the generated REPORT.md.
NOTES=(benches/REPORT-notes.md benches/REPORT-hostile.md benches/REPORT-sessions.md benches/REPORT-simulate.md)
rm -f "$OUT"/notes.md "$OUT"/notes-[0-9]*.md
n=0
for f in "${NOTES[@]}"; do
  [ -f "$f" ] || continue
  n=$((n + 1))
  cp "$f" "$OUT/notes-$n.md"
done

node bindings/wasm/bench/report.mjs "$OUT" >benches/REPORT.md
say "wrote benches/REPORT.md"
