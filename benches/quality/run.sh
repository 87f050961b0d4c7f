#!/usr/bin/env bash
# The placement quality benchmark (issue 21): makes the cached venv with OR-Tools, builds the
# release CLI, and runs benches/quality/run.py with the arguments given (see its --help).
#
#   benches/quality/run.sh --quick                      # 12 instances, 1 s CP-SAT limit
#   benches/quality/run.sh                              # 150 instances (seeds 0:150)
#   benches/quality/run.sh --report benches/QUALITY.md --section after
#
# Environment: QUALITY_VENV (default target/quality-venv), CARGO_TARGET_DIR (the CLI is
# $CARGO_TARGET_DIR/release/offerfit), QUALITY_SKIP_BUILD=1 to use the CLI as it is.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
ORTOOLS_VERSION=9.15.6755
VENV="${QUALITY_VENV:-$ROOT/target/quality-venv}"
PY="$VENV/bin/python"
if ! "$PY" -c "import ortools, sys; sys.exit(ortools.__version__ != '$ORTOOLS_VERSION')" 2>/dev/null; then
  [ -x "$PY" ] || python3 -m venv "$VENV"
  "$PY" -m pip install --quiet --disable-pip-version-check "ortools==$ORTOOLS_VERSION"
fi
if [ "${QUALITY_SKIP_BUILD:-0}" != 1 ]; then
  cargo build --locked --release -p offerfit-cli >&2
fi
exec "$PY" "$ROOT/benches/quality/run.py" "$@"
