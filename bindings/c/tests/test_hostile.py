"""The hostile-request battery of issue 20 (the cheap sizes of `offerfit::bench_gen::hostile`)
through every byte host, as the issue's checker runs it: the CLI (`offerfit call FILE`), the C
ABI (`offerfit_call`), a C engine handle (`offerfit_engine_call`) and the plain-WASM ABI
(under wasmtime), each call in a process of its own. Every answer is one JSON object on one
line within the cost model's answer bound (docs/limits.md, "Answer size"), and no process
peaks over 256 MiB; nothing aborts or traps. Time is not asserted here (debug builds); the
release run is `python3 scripts/hostile-hosts.py --release --time` (benches/REPORT-hostile.md).

Artifacts as in test_abi.py (OFFERFIT_CLI, OFFERFIT_CDYLIB, OFFERFIT_WASM).
"""

import importlib.util
import os
import subprocess
import sys
import tempfile
from types import SimpleNamespace

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
TARGET = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")

spec = importlib.util.spec_from_file_location("hostile_hosts", os.path.join(ROOT, "scripts", "hostile-hosts.py"))
hosts = importlib.util.module_from_spec(spec)
spec.loader.exec_module(hosts)


def artifact(var, *default):
    path = os.environ.get(var) or os.path.join(TARGET, *default)
    if not os.path.exists(path):
        pytest.fail(f"{var}: {path} does not exist; build it first (scripts/stages/c.sh does)", pytrace=False)
    return path


@pytest.fixture(scope="module")
def cases():
    cli = artifact("OFFERFIT_CLI", "debug", "offerfit")
    with tempfile.TemporaryDirectory(prefix="hostile-cases-") as d:
        subprocess.run([cli, "bench", "--write-hostile", d, "--cheap"], check=True, capture_output=True)
        yield d


@pytest.mark.parametrize("host", hosts.HOSTS)
def test_every_cheap_case_is_answered_within_bounds(host, cases):
    args = SimpleNamespace(
        cheap=True, hosts=host, only=None, release=False, cases=cases, python=sys.executable, timeout=300.0,
        time=False, verbose=False,
        cli=artifact("OFFERFIT_CLI", "debug", "offerfit"),
        lib=artifact("OFFERFIT_CDYLIB", "debug", "libofferfit_c.so"),
        wasm=artifact("OFFERFIT_WASM", "wasm32-unknown-unknown", "release", "offerfit_c.wasm"),
        node_package=None,
    )
    results = hosts.run_all(args)
    assert len(results) >= 25, f"only {len(results)} cases"
    failed = [f"{r['name']}: {r['outcome']}: {'; '.join(r['problems'])}" for r in results if r["problems"]]
    assert not failed, "\n".join(failed)
    by_name = {r["name"]: r["outcome"] for r in results}
    # The refusals the battery is about, and plans answered in full.
    assert by_name["wide_object_over"] == "limit.list_items"
    assert by_name["repeated_labels"] == "limit.answer_bytes"
    assert by_name["empty_offers"] == "limit.offers"
    assert by_name["many_regexes"] == "limit.regex_size"
    # The regex charge is computed from the pattern: every host (wasm32 too) draws the line
    # at the same byte.
    assert by_name["regex_at_size"] == "ok"
    assert by_name["regex_over_size"] == "limit.regex_size"
    assert by_name["regex_size_gap"] == "limit.regex_size"  # WASM accepted it before
    assert by_name["one_agent_many_offers"] == "ok"
    assert by_name["repeated_labels_in_limit"] == "ok"


def test_the_answer_bound_is_the_rust_one():
    """The script's rule agrees with `answer_bound` (src/bench_gen/hostile.rs) on a plan."""
    request = b'{"op":"place","offers":[],"tasks":[{"id":"t","cpus":1}]}'
    answer = {"ok": True, "accept": [{"agent_id": "a", "remaining": [], "tasks": [
        {"task_id": "t", "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 1}, "reservations": []}]}]}]}
    bound, remaining, copied = hosts.answer_bound(request, answer)
    bare = len('{"name":"cpus","type":"SCALAR","reservations":[]}')
    own = len('{"id":"t","cpus":1}')
    assert (remaining, copied) == (2, bare)
    assert bound == len(request) + 4096 + 512 + 24 * own + 2 + bare
    assert hosts.answer_bound(request, {"ok": False, "errors": []}) == (len(request) + 4096, 0, 0)
