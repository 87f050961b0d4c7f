"""``offerfit.Session`` against every golden transcript in tests/data/session (whatever goldens
are there): ``step_bytes`` answers each input line with the golden's bytes (those of
``offerfit session``, the C ABI, the plain-WASM ABI and the npm package), ``step`` the same values
for the same input dicts; misuse is a clear error, never a crash."""

import glob
import json
import os
import subprocess
import sys
import threading
from typing import Any, Dict, List, Tuple

import pytest

import offerfit
from conftest import ROOT

TRANSCRIPTS = sorted(
    p for p in glob.glob(os.path.join(ROOT, "tests", "data", "session", "*.jsonl")) if not p.endswith(".out.jsonl")
)
TICK_OK = b'{"ok":true,"calls":[],"notices":[],"wake_at":null}'


def transcript(path: str) -> Tuple[Dict[str, Any], List[bytes], List[bytes]]:
    """(config, input lines, expected output lines) of one golden transcript."""
    with open(path, "rb") as f:
        lines = [line for line in f.read().split(b"\n") if line]
    with open(path[: -len(".jsonl")] + ".out.jsonl", "rb") as f:
        want = [line for line in f.read().split(b"\n") if line]
    return json.loads(lines[0])["config"], lines[1:], want


def test_there_are_transcripts_with_one_output_per_input() -> None:
    assert TRANSCRIPTS, "no golden transcript in tests/data/session"
    for path in TRANSCRIPTS:
        _, inputs, want = transcript(path)
        assert len(inputs) == len(want), path


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=os.path.basename)
def test_step_bytes_replays_the_golden_byte_for_byte(path: str) -> None:
    config, inputs, want = transcript(path)
    with offerfit.Session(config) as s:
        got = [s.step_bytes(line) for line in inputs]
    assert got == want


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=os.path.basename)
def test_step_replays_the_golden_as_dicts(path: str) -> None:
    config, inputs, want = transcript(path)
    with offerfit.Session(json.dumps(config)) as s:  # the config as text this time
        for line, expected in zip(inputs, want):
            try:
                value = json.loads(line)
            except ValueError:
                value = None
            # A line a dict cannot stand for (bad JSON) still goes in, as text, so the session's
            # state stays that of the transcript.
            got = s.step(value) if isinstance(value, dict) else json.loads(s.step_text(line.decode("utf-8")))
            assert got == json.loads(expected), line


def test_a_refused_config_raises_offerfit_error() -> None:
    with pytest.raises(offerfit.OfferfitError) as e:
        offerfit.Session({"framework": {}})
    assert e.value.code == "request.missing_field" and (e.value.path or "").startswith("/framework")
    with pytest.raises(offerfit.OfferfitError) as e:
        offerfit.Session('{"framework": {"name": "fw"}, "options": {"roles": ["x"]}}')
    assert (e.value.code, e.value.path) == ("session.config", "/options/roles")
    with pytest.raises(offerfit.OfferfitError) as e:
        offerfit.Session(b"\xff")
    assert e.value.code == "request.utf8"


def test_refusals_are_answers_and_change_nothing() -> None:
    with offerfit.Session({"framework": {"name": "fw"}}) as s:
        assert s.step({"now": 5, "tick": {}}) == json.loads(TICK_OK)
        assert s.step_text('{"now": 6, "tick": {}}') == TICK_OK.decode()
        out = s.step({"now": 4, "tick": {}})
        assert not out["ok"] and out["errors"][0]["code"] == "session.now"
        assert s.step_bytes(b"\xff").startswith(b'{"ok":false,"errors":[{"code":"request.utf8"')
        assert s.step_text("{oops").startswith('{"ok":false,"errors":[{"code":"request.json"')
        nan = s.step({"now": float("nan"), "tick": {}})
        assert not nan["ok"] and nan["errors"][0]["code"] == "request.json"
        assert s.step_bytes(b'{"now": 6, "tick": {}}') == TICK_OK


def test_close_is_idempotent_and_a_step_after_it_raises() -> None:
    s = offerfit.Session({"framework": {"name": "fw"}})
    assert not s.closed and "open" in repr(s)
    s.close()
    s.close()
    assert s.closed
    for step in (lambda: s.step({"now": 1, "tick": {}}), lambda: s.step_text("{}"), lambda: s.step_bytes(b"{}")):
        with pytest.raises(ValueError, match=r"after close\(\)"):
            step()


def test_sessions_are_independent_and_safe_across_threads() -> None:
    a = offerfit.Session({"framework": {"name": "a"}})
    with offerfit.Session({"framework": {"name": "b"}}) as b:
        assert a.step({"now": 10, "tick": {}})["ok"]
        assert b.step({"now": 1, "tick": {}})["ok"], "b's clock is its own"
        a.close()
        out = b.step({"now": 2, "connect": {}})
        assert out["ok"] and out["calls"][0]["subscribe"]["framework_info"]["name"] == "b"
        # One session stepped by several threads: each step is whole (the lock), each `now`
        # is taken once and in some order, and the answers are the ones one thread would get.
        answers: List[bytes] = []
        def worker(start: int) -> None:
            for t in range(start, start + 50):
                answers.append(b.step_bytes(b'{"now": 100, "tick": {}}'))
        threads = [threading.Thread(target=worker, args=(i * 50,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert answers == [TICK_OK] * 200


def test_a_trap_loses_only_that_session_and_says_so() -> None:
    module = os.environ.get("OFFERFIT_WASM_TEST_PANIC")
    if not module:
        pytest.skip("OFFERFIT_WASM_TEST_PANIC (a --features test-panic build) is not set")
    from offerfit import _runtime

    saved = _runtime._compiled
    with open(module, "rb") as f:
        _runtime._compiled = _runtime.Compiled(f.read())
    try:
        s = offerfit.Session({"framework": {"name": "fw"}})
    finally:
        _runtime._compiled = saved
    other = offerfit.Session({"framework": {"name": "fw"}})
    assert s.step({"now": 1, "tick": {}})["ok"]
    trapped = json.loads(s.step_text('{"op":"__test_panic"}'))
    assert trapped["errors"][0]["code"] == "internal"
    lost = s.step({"now": 2, "tick": {}})
    assert not lost["ok"] and lost["errors"][0]["code"] == "session.handle"
    assert "lost when offerfit trapped" in lost["errors"][0]["message"]
    s.close()
    assert other.step({"now": 2, "tick": {}})["ok"], "another session is untouched"
    other.close()


def test_the_example_runs() -> None:
    example = os.path.join(ROOT, "bindings", "python", "examples", "session_example.py")
    out = subprocess.run([sys.executable, example], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.splitlines()[0] == "['SUBSCRIBE'] None"
    assert out.stdout.splitlines()[-1] == "{'framework_id': 'F1', 'web-1': 'S1'}"
