#!/usr/bin/env bash
# The one test command: ./scripts/test.sh
#
# Installs what the tests need on a fresh machine, then runs every check of the project in
# stages. Each stage is a function `stage_<name>` that installs its own tools idempotently
# (check first, install only when missing) and then runs its checks; a failing command fails
# its stage loudly, the remaining stages still run, and the script ends with the line
#   stages: N passed, N failed
# (plus `, N skipped` when a stage's part of the tree does not exist yet) and exits non-zero
# if any stage failed.
#
# Run only some stages:  ./scripts/test.sh rust cli        (names without `stage_`)
# Environment: CI=true on CI; CARGO_TARGET_DIR is honoured; OFFERFIT_SKIP_INSTALL=1 never
# installs anything (a missing tool then fails its stage).
#
# Adding a stage: write `stage_<name>()` (here, or in scripts/stages/<name>.sh, which is
# sourced below), install first, then run each command with `step` (stops the stage when it
# fails) or `check` (records the failure and goes on, for independent checks); add `<name>`
# to STAGES, and call `skip "<why>"` only when the thing it tests does not exist in the tree;
# never skip because a tool is missing: install it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

STAGES=(rust cli wasm c node browser fuzz bench python go java session simulate)
SKIP_CODE=97

# ---------------------------------------------------------------------------------------------
# helpers

log() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

# step DESCRIPTION COMMAND...: echo the command, run it, fail the stage if it fails.
step() {
  local what=$1
  shift
  printf -- '--- %s: %s\n' "$what" "$*"
  if ! "$@"; then
    printf -- '--- FAILED: %s (%s)\n' "$what" "$*" >&2
    return 1
  fi
}

# check DESCRIPTION COMMAND...: like `step`, but a failure is recorded and the stage goes on
# with its next check (the stage still fails at its end), so one run reports every problem.
# For independent checks only; use `step` when later commands need this one to succeed.
check() {
  if ! step "$@"; then
    CHECK_FAILED=$((CHECK_FAILED + 1))
  fi
}

# skip REASON: leave the current stage as skipped (only for parts of the tree that do not
# exist yet); the reason is printed and listed in the summary.
skip() {
  printf -- '--- SKIP: %s\n' "$*"
  printf '%s' "$*" >"$SKIP_NOTE"
  exit "$SKIP_CODE"
}

have() { command -v "$1" >/dev/null 2>&1; }

can_install() { [ "${OFFERFIT_SKIP_INSTALL:-0}" != 1 ]; }

APT_UPDATED=0
apt_install() {
  can_install || { echo "missing: $* (OFFERFIT_SKIP_INSTALL=1)" >&2; return 1; }
  have apt-get || { echo "missing: $* and no apt-get to install it" >&2; return 1; }
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  if [ "$APT_UPDATED" = 0 ]; then
    $sudo apt-get update -qq
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@"
}

# The Rust toolchain of rust-toolchain.toml, with rustfmt, clippy and the wasm32 target.
ensure_rust() {
  if ! have cargo && [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
  if ! have cargo; then
    can_install || { echo "missing: cargo" >&2; return 1; }
    have curl || apt_install curl ca-certificates
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --no-modify-path
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
  have cc || apt_install build-essential
  if have rustup; then
    rustup component add rustfmt clippy >/dev/null
    rustup target add wasm32-unknown-unknown >/dev/null
  fi
}

# ---------------------------------------------------------------------------------------------
# stages

# The core and every Rust crate: format, lints, the wasm32 build of the core, the core's
# dependency purity, and every test (unit, integration, doctests, CLI process tests).
stage_rust() {
  ensure_rust
  check "format" cargo fmt --all -- --check
  check "clippy" cargo clippy --all-targets --workspace --locked -- -D warnings
  check "core builds for wasm32" cargo build --locked -p offerfit --target wasm32-unknown-unknown
  check "core has no JS or randomness dependencies" check_core_dependencies
  if have cargo-nextest; then
    check "tests (nextest)" cargo nextest run --workspace --locked --no-fail-fast
    check "doctests" cargo test --workspace --locked --doc
  else
    check "tests" cargo test --workspace --locked --no-fail-fast
  fi
}

# `cargo tree -p offerfit -e normal` must show none of wasm-bindgen, js-sys, getrandom (on any
# target): the core stays pure, and hosts bring their own JS glue.
check_core_dependencies() {
  local tree bad
  # Called from `step`, so `set -e` is off here: every failure is checked explicitly.
  tree="$(cargo tree --locked -p offerfit -e normal --target all --prefix none)" || return 1
  [ -n "$tree" ] || { echo "cargo tree printed nothing" >&2; return 1; }
  bad="$(printf '%s\n' "$tree" | awk '{print $1}' | grep -xE 'wasm-bindgen|js-sys|getrandom' | sort -u)"
  if [ -n "$bad" ]; then
    echo "the core depends on: $bad" >&2
    cargo tree -p offerfit -e normal --target all -i "$(printf '%s\n' "$bad" | head -n1)" >&2 || true
    return 1
  fi
  echo "ok: $(printf '%s\n' "$tree" | sort -u | wc -l) normal dependencies, none of wasm-bindgen/js-sys/getrandom"
}

# The README's main command, exactly as the README writes it, on the bundled examples.
stage_cli() {
  ensure_rust
  local cmd
  cmd="$(readme_main_command)"
  [ -n "$cmd" ] || { echo "README.md has no main command between the main-command markers" >&2; return 1; }
  check "README main command" bash -c "$cmd >/dev/null"
  check "README --lines example" check_lines_example
  check "build the CLI" cargo build -q --locked -p offerfit-cli
  check "malformed suite through the CLI" python3 tests/data/malformed/malformed.py --cli "${CARGO_TARGET_DIR:-$ROOT/target}/debug/offerfit"
}

# The command between `<!-- main-command -->` and `<!-- /main-command -->` in README.md.
readme_main_command() {
  sed -n '/<!-- main-command -->/,/<!-- \/main-command -->/p' README.md | grep -E '^(cargo|\./)' | head -n1
}

check_lines_example() {
  local out
  out="$(printf '{"op":"parse_resources","text":"cpus(*):8; ports:[31000-32000]"}\n{oops\n' |
    cargo run -q --locked -p offerfit-cli -- call --lines || true)"
  printf '%s\n' "$out"
  [ "$(printf '%s\n' "$out" | wc -l)" = 2 ] &&
    printf '%s\n' "$out" | sed -n 1p | grep -q '^{"ok":true,"resources":\[' &&
    printf '%s\n' "$out" | sed -n 2p | grep -q '^{"ok":false,"errors":\[{"code":"request.json".*"line":1,"column":2'
}

# The wasm-bindgen package (bindings/wasm): wasm-bindgen-cli, the npm package, node tests.
stage_wasm() {
  [ -d bindings/wasm ] || skip "bindings/wasm does not exist yet"
  skip "bindings/wasm has no test stage yet (its owner adds it here)"
}

# The C ABI (bindings/c): C and Python (ctypes, wasmtime) tests of offerfit_call.
stage_c() {
  [ -d bindings/c ] || skip "bindings/c does not exist yet"
  skip "bindings/c has no test stage yet (its owner adds it here)"
}

# Node tests of the npm package (node:test).
stage_node() {
  [ -d bindings/wasm ] || skip "bindings/wasm does not exist yet"
  skip "the npm package has no node test stage yet (its owner adds it here)"
}

# The browser playground, headless Chromium.
stage_browser() {
  [ -d bindings/wasm/www ] || skip "bindings/wasm/www does not exist yet"
  skip "the playground has no browser test stage yet (its owner adds it here)"
}

# Fuzz targets: replay the committed corpus and crashes (cargo-fuzz).
stage_fuzz() {
  [ -d fuzz ] || skip "fuzz/ does not exist yet"
  skip "fuzz/ has no test stage yet (its owner adds it here)"
}

# Benchmarks: a smoke run of every bench and the callgrind regression gate.
stage_bench() {
  [ -n "$(ls benches/*.rs 2>/dev/null)" ] || skip "benches/ has no benchmarks yet"
  skip "benches/ has no test stage yet (its owner adds it here)"
}

# Stages kept in their owners' files (scripts/stages/<name>.sh) replace the placeholders above.
for stage_file in "$ROOT"/scripts/stages/*.sh; do
  [ -e "$stage_file" ] && . "$stage_file"
done

# ---------------------------------------------------------------------------------------------
# driver

main() {
  local selected=("$@")
  [ ${#selected[@]} -gt 0 ] || selected=("${STAGES[@]}")
  local passed=() failed=() skipped=()
  # One id per run of this script: a stage may reuse what an earlier stage of the same run
  # built (stamped with this id), never what a run before left in target/.
  export OFFERFIT_RUN_ID="$$.$(date +%s%N)"
  SKIP_NOTE="$(mktemp)"
  trap 'rm -f "$SKIP_NOTE"' EXIT
  for name in "${selected[@]}"; do
    if ! declare -F "stage_$name" >/dev/null; then
      echo "unknown stage \`$name\`; stages: ${STAGES[*]}" >&2
      failed+=("$name (unknown stage)")
      continue
    fi
    log "stage $name"
    : >"$SKIP_NOTE"
    local start=$SECONDS rc=0
    # A subshell with -e of its own: `set -e` is ignored inside `if`/`||` contexts, so the
    # stage runs as a plain command and its status is read afterwards.
    set +e
    (
      set -euo pipefail
      CHECK_FAILED=0
      "stage_$name"
      [ "$CHECK_FAILED" = 0 ] || { echo "--- $CHECK_FAILED check(s) failed in stage $name" >&2; exit 1; }
    )
    rc=$?
    set -e
    local took=$((SECONDS - start))
    if [ "$rc" = 0 ]; then
      passed+=("$name")
      echo "==> stage $name passed (${took}s)"
    elif [ "$rc" = "$SKIP_CODE" ]; then
      skipped+=("$name: $(cat "$SKIP_NOTE")")
      echo "==> stage $name skipped: $(cat "$SKIP_NOTE")"
    else
      failed+=("$name")
      echo "==> stage $name FAILED (exit $rc, ${took}s)" >&2
    fi
  done
  echo
  [ ${#passed[@]} -eq 0 ] || echo "passed:  ${passed[*]}"
  [ ${#failed[@]} -eq 0 ] || echo "FAILED:  ${failed[*]}"
  local s
  for s in ${skipped[@]+"${skipped[@]}"}; do echo "skipped: $s"; done
  if [ ${#skipped[@]} -gt 0 ]; then
    echo "stages: ${#passed[@]} passed, ${#failed[@]} failed, ${#skipped[@]} skipped"
  else
    echo "stages: ${#passed[@]} passed, ${#failed[@]} failed"
  fi
  [ ${#failed[@]} -eq 0 ]
}

main "$@"
