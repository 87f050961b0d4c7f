#!/usr/bin/env bash
# shellcheck shell=bash
# Stage `bench`: benchmarks never rot, and the engine never silently gets slower.
#
# Sourced by scripts/test.sh (which provides `step`, `skip`, `have`, `apt_install`,
# `ensure_rust` and $ROOT); run it alone with `./scripts/test.sh bench`. The gate can also be
# run directly:
#
#   scripts/stages/bench.sh gate              # the callgrind gate only
#   scripts/stages/bench.sh update-baseline   # re-measure and rewrite the committed baseline
#
# 1. Smoke run of every criterion bench in benches/ in criterion's `--test` mode (each
#    benchmark runs once and its in-loop result check must pass).
# 2. Regression gate: `valgrind --tool=callgrind` counts the instructions of the engine calls
#    (`--toggle-collect` on the CLI's out-of-line `measured_place`) of
#    `offerfit bench --scenario fenzo-small --once --passes 5` (Fenzo's TestLotsOfTasks on
#    1,000 agents, calls of 200 tasks until full, for 5 seeds), release build. Instruction counts are stable on a noisy
#    machine; the gate fails when the count grows more than BENCH_GATE_TOLERANCE percent
#    (default 10) over benches/callgrind-baseline.txt.
#
# Self-test of the gate: BENCH_GATE_EXTRA_WORK=20 (one of the 5 runs made twice: +20% of
# the engine's work, a deliberate regression) must make it fail.

BENCH_BASELINE_FILE="benches/callgrind-baseline.txt"
BENCH_GATE_SCENARIO="fenzo-small"
BENCH_GATE_PASSES=5

stage_bench() {
  [ -n "$(ls benches/*.rs 2>/dev/null)" ] || skip "benches/ has no benchmarks yet"
  ensure_rust
  step "install valgrind" bench_ensure_valgrind
  local b name
  for b in benches/*.rs; do
    name="$(basename "$b" .rs)"
    step "smoke bench $name" cargo bench --locked --bench "$name" -- --test
  done
  step "callgrind gate ($BENCH_GATE_SCENARIO, +${BENCH_GATE_TOLERANCE:-10}% allowed)" bench_gate
}

bench_ensure_valgrind() {
  command -v valgrind >/dev/null 2>&1 && return 0
  apt_install valgrind
}

# Prints the instruction count of the gate scenario's engine calls.
bench_measure() {
  local target="${CARGO_TARGET_DIR:-$ROOT/target}" out log
  cargo build --locked --release -p offerfit-cli >&2 || return 1
  out="$(mktemp)"
  log="$(mktemp)"
  if ! valgrind --tool=callgrind --callgrind-out-file="$out" --toggle-collect='*measured_place*' \
    "$target/release/offerfit" bench --scenario "$BENCH_GATE_SCENARIO" --once --passes "$BENCH_GATE_PASSES" \
    --extra-work "${BENCH_GATE_EXTRA_WORK:-0}" >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$out" "$log"
    return 1
  fi
  grep -v '^==' "$log" >&2
  # `summary:` (or `totals:`) holds the collected Ir.
  awk '/^(summary|totals):/ { print $2; exit }' "$out"
  rm -f "$out" "$log"
}

bench_baseline() {
  awk '$1 == "instructions" { print $2; exit }' "$ROOT/$BENCH_BASELINE_FILE" 2>/dev/null
}

bench_gate() {
  local baseline now tolerance="${BENCH_GATE_TOLERANCE:-10}" limit pct
  baseline="$(bench_baseline)"
  [ -n "$baseline" ] || { echo "no baseline in $BENCH_BASELINE_FILE (run scripts/stages/bench.sh update-baseline)" >&2; return 1; }
  now="$(bench_measure)" || return 1
  [ -n "$now" ] || { echo "callgrind reported no instruction count" >&2; return 1; }
  limit=$((baseline + baseline * tolerance / 100))
  pct="$(awk -v n="$now" -v b="$baseline" 'BEGIN { printf "%+.2f", (n - b) * 100 / b }')"
  echo "callgrind gate: $now instructions, baseline $baseline ($pct%), limit $limit (+$tolerance%)"
  if [ "$now" -gt "$limit" ]; then
    echo "callgrind gate: FAILED: the engine runs $pct% more instructions than the baseline" >&2
    echo "  (a deliberate change? re-measure with: scripts/stages/bench.sh update-baseline)" >&2
    return 1
  fi
  if [ "$now" -lt $((baseline - baseline * tolerance / 100)) ]; then
    echo "callgrind gate: faster by more than $tolerance%: consider scripts/stages/bench.sh update-baseline"
  fi
}

bench_update_baseline() {
  local now
  now="$(BENCH_GATE_EXTRA_WORK=0 bench_measure)" || return 1
  [ -n "$now" ] || { echo "callgrind reported no instruction count" >&2; return 1; }
  cat >"$ROOT/$BENCH_BASELINE_FILE" <<EOF
# Baseline of the callgrind gate (scripts/stages/bench.sh): instructions (callgrind Ir) of the
# engine calls of \`offerfit bench --scenario $BENCH_GATE_SCENARIO --once --passes $BENCH_GATE_PASSES\`, release build,
# toolchain of rust-toolchain.toml. The bench stage fails when a run exceeds this by more than
# 10%. Rewrite it with: scripts/stages/bench.sh update-baseline
scenario $BENCH_GATE_SCENARIO
instructions $now
EOF
  echo "wrote $BENCH_BASELINE_FILE: $now instructions"
}

# Run directly: `scripts/stages/bench.sh gate|update-baseline`.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  cd "$ROOT"
  apt_install() { apt-get install -y -qq "$@"; }
  case "${1:-gate}" in
    gate) bench_ensure_valgrind && bench_gate ;;
    update-baseline) bench_ensure_valgrind && bench_update_baseline ;;
    *)
      echo "usage: scripts/stages/bench.sh [gate|update-baseline]" >&2
      exit 2
      ;;
  esac
fi
