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
#    `offerfit bench --scenario S --once --passes 5` for each gate scenario S, release build:
#    - fenzo-small: Fenzo's TestLotsOfTasks on 1,000 uniform agents, calls of 200 tasks until
#      full, for 5 seeds;
#    - fenzo-distinct-small: the same with a per-agent `node_id` attribute (a change that only
#      helps uniform agents cannot hide a regression on real ones);
#    - kube-hetero-small: one call of 2,000 pods onto 1,000 agents of four sizes, GPU agents
#      and maintenance windows, for 5 seeds.
#    Instruction counts are stable on a noisy machine; the gate fails when a scenario's count
#    grows more than BENCH_GATE_TOLERANCE percent (default 10) over its line in
#    benches/callgrind-baseline.txt.
# 3. The placement quality benchmark's tools (benches/quality/test_quality.py: the generator is
#    deterministic, the answer checker refuses broken answers, offerfit's answers on 6 instances
#    pass it), a few seconds, without OR-Tools (the benchmark itself is not run in CI: see
#    benches/quality/README.md).
#
# Self-test of the gate: BENCH_GATE_EXTRA_WORK=20 (one of the 5 runs made twice: +20% of
# the engine's work, a deliberate regression) must make it fail.

BENCH_BASELINE_FILE="benches/callgrind-baseline.txt"
BENCH_GATE_SCENARIOS="${BENCH_GATE_SCENARIOS:-fenzo-small fenzo-distinct-small kube-hetero-small}"
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
  step "callgrind gate ($BENCH_GATE_SCENARIOS, +${BENCH_GATE_TOLERANCE:-10}% allowed)" bench_gate
  # The quality benchmark's own tools (generator, answer checker; offerfit's answers on 6
  # instances through the release CLI the gate built), a few seconds, without OR-Tools: the
  # benchmark itself (benches/quality/run.sh) needs OR-Tools and minutes, so it is not run here.
  step "quality benchmark tools (no OR-Tools)" python3 -m unittest -q benches/quality/test_quality.py
}

bench_ensure_valgrind() {
  command -v valgrind >/dev/null 2>&1 && return 0
  apt_install valgrind
}

# Builds the release CLI (once per run of the gate).
bench_build() {
  cargo build --locked --release -p offerfit-cli >&2
}

# Prints the instruction count of scenario $1's engine calls (the CLI already built).
bench_measure() {
  local target="${CARGO_TARGET_DIR:-$ROOT/target}" out log
  out="$(mktemp)"
  log="$(mktemp)"
  if ! valgrind --tool=callgrind --callgrind-out-file="$out" --toggle-collect='*measured_place*' \
    "$target/release/offerfit" bench --scenario "$1" --once --passes "$BENCH_GATE_PASSES" \
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

# The baseline of scenario $1: its line `SCENARIO PASSES INSTRUCTIONS` in the baseline file.
bench_baseline() {
  awk -v s="$1" '!/^#/ && $1 == s { print $3; exit }' "$ROOT/$BENCH_BASELINE_FILE" 2>/dev/null
}

bench_gate() {
  local s baseline now tolerance="${BENCH_GATE_TOLERANCE:-10}" limit pct failed=0
  bench_build || return 1
  for s in $BENCH_GATE_SCENARIOS; do
    baseline="$(bench_baseline "$s")"
    [ -n "$baseline" ] || {
      echo "no baseline for $s in $BENCH_BASELINE_FILE (run scripts/stages/bench.sh update-baseline)" >&2
      return 1
    }
    now="$(bench_measure "$s")" || return 1
    [ -n "$now" ] || { echo "callgrind reported no instruction count for $s" >&2; return 1; }
    limit=$((baseline + baseline * tolerance / 100))
    pct="$(awk -v n="$now" -v b="$baseline" 'BEGIN { printf "%+.2f", (n - b) * 100 / b }')"
    echo "callgrind gate: $s: $now instructions, baseline $baseline ($pct%), limit $limit (+$tolerance%)"
    if [ "$now" -gt "$limit" ]; then
      echo "callgrind gate: FAILED: $s runs $pct% more instructions than its baseline" >&2
      echo "  (a deliberate change? re-measure with: scripts/stages/bench.sh update-baseline)" >&2
      failed=1
    elif [ "$now" -lt $((baseline - baseline * tolerance / 100)) ]; then
      echo "callgrind gate: $s faster by more than $tolerance%: consider scripts/stages/bench.sh update-baseline"
    fi
  done
  return "$failed"
}

bench_update_baseline() {
  local s now lines=""
  bench_build || return 1
  for s in $BENCH_GATE_SCENARIOS; do
    now="$(BENCH_GATE_EXTRA_WORK=0 bench_measure "$s")" || return 1
    [ -n "$now" ] || { echo "callgrind reported no instruction count for $s" >&2; return 1; }
    lines="$lines$(printf '%-22s %6s %14s' "$s" "$BENCH_GATE_PASSES" "$now")"$'\n'
  done
  {
    echo '# Baseline of the callgrind gate (scripts/stages/bench.sh): instructions (callgrind Ir) of the'
    echo '# engine calls of `offerfit bench --scenario SCENARIO --once --passes PASSES`, release build,'
    echo '# toolchain of rust-toolchain.toml, one line per gate scenario. The bench stage fails when a'
    echo "# scenario's run exceeds its line by more than 10%. Rewrite with:"
    echo '#   scripts/stages/bench.sh update-baseline'
    echo '#'
    echo '# scenario             passes   instructions'
    printf '%s' "$lines"
  } >"$ROOT/$BENCH_BASELINE_FILE"
  echo "wrote $BENCH_BASELINE_FILE:"
  printf '%s' "$lines"
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
