# shellcheck shell=bash
# Stage `session`: the framework example (examples/framework/scheduler.py, a Mesos v1 HTTP
# scheduler driving `offerfit session` as a child process) against a scripted fake master:
# 307 redirect to the leader, RecordIO stream, Mesos-Stream-Id on every call, state file
# written before the ACCEPT, broken stream and reconnect, restart from the state file with
# the framework id and no second launch. Python 3 standard library only; a few seconds after
# the CLI is built.
#
# Then every Mesos call offerfit emits (session goldens, random session transcripts, golden
# plans, the request corpus, the calls the framework example sent) and every event the tests feed it, parsed strictly by protobuf's
# own JSON parser against Mesos 1.11.0's v1 schema (tests/data/mesos-proto/):
# scripts/check-mesos-proto.py, in a venv at target/proto-venv with the PyPI packages pinned
# below (installed once, ~50 s cold; a few seconds after that).
#
# Sourced by scripts/test.sh (provides `step`, `check`, `skip`, `ensure_rust`, $ROOT); run
# alone with `./scripts/test.sh session`.

PROTO_PROTOBUF_VERSION=7.36.2
PROTO_GRPCIO_TOOLS_VERSION=1.85.1
PROTO_GRPCIO_VERSION=1.85.4

stage_session() {
  [ -f "$ROOT/examples/framework/scheduler.py" ] || skip "examples/framework does not exist yet"
  ensure_rust
  step "build the CLI" cargo build --locked -p offerfit-cli
  step "python3" python3 --version
  mkdir -p "$ROOT/target/mesos-proto"
  local recorded="$ROOT/target/mesos-proto/framework-example-calls.jsonl"
  rm -f "$recorded"
  check "framework example against a scripted master" \
    env OFFERFIT="${CARGO_TARGET_DIR:-$ROOT/target}/debug/offerfit" OFFERFIT_RECORDED_CALLS="$recorded" \
    timeout 120 python3 -W ignore "$ROOT/examples/framework/test_scheduler.py"
  local host_calls=()
  [ -f "$recorded" ] && host_calls=(--calls "$recorded")
  PROTO_VENV="$ROOT/target/proto-venv"
  step "protobuf venv (protobuf $PROTO_PROTOBUF_VERSION, grpcio-tools $PROTO_GRPCIO_TOOLS_VERSION)" proto_ensure_venv
  check "every Mesos call and event parsed strictly against Mesos 1.11.0's scheduler.proto" \
    timeout 300 "$PROTO_VENV/bin/python" "$ROOT/scripts/check-mesos-proto.py" \
    --offerfit "${CARGO_TARGET_DIR:-$ROOT/target}/debug/offerfit" "${host_calls[@]}"
}

proto_ensure_venv() {
  local py="$PROTO_VENV/bin/python"
  if [ ! -x "$py" ]; then
    can_install || { echo "missing: $PROTO_VENV (OFFERFIT_SKIP_INSTALL=1)" >&2; return 1; }
    if ! python3 -m venv "$PROTO_VENV"; then
      rm -rf "$PROTO_VENV"
      apt_install python3-venv python3-pip && python3 -m venv "$PROTO_VENV" || return 1
    fi
  fi
  if ! "$py" - "$PROTO_PROTOBUF_VERSION" "$PROTO_GRPCIO_TOOLS_VERSION" "$PROTO_GRPCIO_VERSION" <<'PYEOF'; then
import sys
from importlib.metadata import version, PackageNotFoundError
want = dict(zip(["protobuf", "grpcio-tools", "grpcio"], sys.argv[1:]))
try:
    sys.exit(0 if all(version(k) == v for k, v in want.items()) else 1)
except PackageNotFoundError:
    sys.exit(1)
PYEOF
    can_install || { echo "missing: packages in $PROTO_VENV (OFFERFIT_SKIP_INSTALL=1)" >&2; return 1; }
    timeout 900 "$py" -m pip install --quiet --disable-pip-version-check "protobuf==$PROTO_PROTOBUF_VERSION" \
      "grpcio-tools==$PROTO_GRPCIO_TOOLS_VERSION" "grpcio==$PROTO_GRPCIO_VERSION" || return 1
  fi
  "$py" -c 'import google.protobuf, grpc_tools; print("protobuf", google.protobuf.__version__)'
}
