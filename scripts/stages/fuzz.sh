# shellcheck shell=bash
# Stage `fuzz`: build every cargo-fuzz target of fuzz/ and run each for a bounded time;
# any crash, failed property, timeout or out-of-memory fails the stage and prints how to
# reproduce it.
#
# Sourced by scripts/test.sh, which provides `step`, `skip`, `have`, `can_install`,
# `ensure_rust` and $ROOT; run it alone with `./scripts/test.sh fuzz`.
#
# Installs (idempotently; OFFERFIT_SKIP_INSTALL=1 turns a missing tool into a failure):
#   - cargo-fuzz $FUZZ_CARGO_FUZZ_VERSION with `cargo install --locked`, cached in
#     $OFFERFIT_CACHE/cargo-fuzz-<version> (default ~/.cache/offerfit).
# Toolchain: the stable toolchain of rust-toolchain.toml with RUSTC_BOOTSTRAP=1 (cargo-fuzz
#   needs -Zsanitizer; a fresh machine has no nightly and cannot download one). Set
#   OFFERFIT_FUZZ_TOOLCHAIN=nightly to use `cargo +nightly fuzz` instead.
# Time: OFFERFIT_FUZZ_SECONDS per target (default 60), the whole run capped at
#   OFFERFIT_FUZZ_TOTAL_SECONDS (default 900): with 9 targets, 60 s each = 9 minutes.
# Corpus: fuzz/seeds/<target>/ (committed, from fuzz/gen_seeds.py) is copied into
#   fuzz/corpus/<target>/ (ignored by git), which keeps what libFuzzer finds between runs.

FUZZ_CARGO_FUZZ_VERSION=0.13.2
FUZZ_TARGETS=(call_json parse_constraint roundtrip_constraint parse_resources roundtrip_resources
  parse_attributes place_arbitrary diff_reference hostile_shapes)
# Targets that read text get the grammar dictionary; the structured ones read `arbitrary` bytes.
FUZZ_DICT_TARGETS=" call_json parse_constraint roundtrip_constraint parse_resources roundtrip_resources parse_attributes "

stage_fuzz() {
  [ -d fuzz ] || skip "fuzz/ does not exist yet"
  ensure_rust
  FUZZ_CACHE="${OFFERFIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/offerfit}"
  step "install cargo-fuzz $FUZZ_CARGO_FUZZ_VERSION" fuzz_ensure_cargo_fuzz
  step "build every fuzz target" fuzz_cargo build
  step "every target in Cargo.toml is run here" fuzz_targets_are_listed
  fuzz_check "reference matcher unit tests" bash -c 'cd "$1/fuzz" && cargo test --quiet --lib' _ "$ROOT"
  local per total budget
  per="${OFFERFIT_FUZZ_SECONDS:-60}"
  total="${OFFERFIT_FUZZ_TOTAL_SECONDS:-900}"
  budget=$((total / ${#FUZZ_TARGETS[@]}))
  [ "$per" -le "$budget" ] || per="$budget"
  echo "fuzzing ${#FUZZ_TARGETS[@]} targets for ${per}s each"
  local t
  for t in "${FUZZ_TARGETS[@]}"; do
    fuzz_check "fuzz $t for ${per}s" fuzz_run_one "$t" "$per"
  done
}

# `check` (record the failure, go on) where test.sh has it, else `step`.
fuzz_check() {
  if declare -F check >/dev/null; then
    check "$@"
  else
    step "$@"
  fi
}

fuzz_ensure_cargo_fuzz() {
  local root="$FUZZ_CACHE/cargo-fuzz-$FUZZ_CARGO_FUZZ_VERSION"
  if [ ! -x "$root/bin/cargo-fuzz" ]; then
    can_install || { echo "missing: cargo-fuzz (OFFERFIT_SKIP_INSTALL=1)" >&2; return 1; }
    mkdir -p "$root"
    cargo install --locked --quiet --root "$root" cargo-fuzz --version "$FUZZ_CARGO_FUZZ_VERSION" || return 1
  fi
  export PATH="$root/bin:$PATH"
  cargo fuzz --version
}

# cargo fuzz <args> in fuzz/'s parent, with the chosen toolchain.
fuzz_cargo() {
  if [ "${OFFERFIT_FUZZ_TOOLCHAIN:-stable}" = nightly ]; then
    (cd "$ROOT" && cargo +nightly fuzz "$@")
  else
    (cd "$ROOT" && RUSTC_BOOTSTRAP=1 cargo fuzz "$@")
  fi
}

# The stage runs exactly the targets fuzz/Cargo.toml declares (a new target must be added to
# FUZZ_TARGETS, and a removed one taken out).
fuzz_targets_are_listed() {
  local declared listed
  declared="$(fuzz_cargo list | sort)"
  listed="$(printf '%s\n' "${FUZZ_TARGETS[@]}" | sort)"
  if [ "$declared" != "$listed" ]; then
    echo "fuzz/Cargo.toml declares: $(echo $declared)" >&2
    echo "scripts/stages/fuzz.sh runs: $(echo $listed)" >&2
    return 1
  fi
  echo "ok: $(echo $declared)"
}

# fuzz_run_one TARGET SECONDS: fuzz from the seeds (plus the kept corpus) for SECONDS; on
# failure print the input and the command that reproduces it.
fuzz_run_one() {
  local t=$1 secs=$2
  local corpus="$ROOT/fuzz/corpus/$t" artifacts="$ROOT/fuzz/artifacts/$t"
  mkdir -p "$corpus" "$artifacts"
  if [ -d "$ROOT/fuzz/seeds/$t" ]; then
    cp -n "$ROOT/fuzz/seeds/$t"/* "$corpus"/ 2>/dev/null || true
  fi
  local dict=()
  case "$FUZZ_DICT_TARGETS" in *" $t "*) dict=("-dict=$ROOT/fuzz/constraint.dict") ;; esac
  local before
  before="$(ls "$artifacts" 2>/dev/null | sort)"
  local log="$ROOT/fuzz/artifacts/$t.log" rc=0
  # -timeout: an input taking 10 s is a hang; -rss_limit_mb: a request must not blow up memory.
  fuzz_cargo run "$t" "$corpus" -- -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "${dict[@]}" >"$log" 2>&1 || rc=$?
  grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb)' "$log" || true
  local after new
  after="$(ls "$artifacts" 2>/dev/null | sort)"
  new="$(comm -13 <(printf '%s\n' "$before") <(printf '%s\n' "$after") | grep -v '^$' || true)"
  if [ "$rc" != 0 ] || [ -n "$new" ]; then
    echo "fuzz target $t FAILED (exit $rc); the end of its log:" >&2
    tail -n 60 "$log" >&2
    local f
    for f in $new; do
      echo "--- input $artifacts/$f ($(wc -c <"$artifacts/$f") bytes), base64:" >&2
      base64 -w 0 "$artifacts/$f" | head -c 4000 >&2
      echo >&2
      echo "--- reproduce: RUSTC_BOOTSTRAP=1 cargo fuzz run $t fuzz/artifacts/$t/$f" >&2
      echo "    (or: echo '<the base64 above>' | base64 -d > crash && RUSTC_BOOTSTRAP=1 cargo fuzz run $t crash)" >&2
      echo "--- then keep it as a regression: see tests/fuzz_regressions.rs (tests/data/fuzz/)" >&2
    done
    return 1
  fi
}
