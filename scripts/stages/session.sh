# shellcheck shell=bash
# Stage `session`: the framework example (examples/framework/scheduler.py, a Mesos v1 HTTP
# scheduler driving `offerfit session` as a child process) against a scripted fake master:
# 307 redirect to the leader, RecordIO stream, Mesos-Stream-Id on every call, state file
# written before the ACCEPT, broken stream and reconnect, restart from the state file with
# the framework id and no second launch. Python 3 standard library only; a few seconds after
# the CLI is built.
#
# Sourced by scripts/test.sh (provides `step`, `check`, `skip`, `ensure_rust`, $ROOT); run
# alone with `./scripts/test.sh session`.

stage_session() {
  [ -f "$ROOT/examples/framework/scheduler.py" ] || skip "examples/framework does not exist yet"
  ensure_rust
  step "build the CLI" cargo build --locked -p offerfit-cli
  step "python3" python3 --version
  check "framework example against a scripted master" \
    env OFFERFIT="${CARGO_TARGET_DIR:-$ROOT/target}/debug/offerfit" \
    timeout 120 python3 -W ignore "$ROOT/examples/framework/test_scheduler.py"
}
