"""The Python API itself: typed results, errors as exceptions, threads, traps, the compile cache."""

import json
import os
import shutil
import subprocess
import sys
import threading
from typing import List

import pytest

import offerfit
from offerfit import _runtime

OFFER = {"id": {"value": "o1"}, "agent_id": {"value": "a1"}, "hostname": "h1",
         "resources": "cpus:4;mem:1024;ports:[31000-31010]", "attributes": "rack:r1"}


def test_version_names_every_op() -> None:
    v = offerfit.version()
    assert v["version"] == offerfit.__version__
    assert v["ops"] == ["version", "parse_value", "parse_resources", "format_resources", "resource_math",
                        "parse_attributes", "parse_constraints", "check_constraints", "place"]


def test_typed_ops() -> None:
    assert offerfit.parse_value("[1-4]") == {"type": "RANGES", "ranges": {"range": [{"begin": 1, "end": 4}]}}
    res = offerfit.parse_resources("cpus:2;mem:64", default_role="web")
    assert [r["name"] for r in res] == ["cpus", "mem"]
    assert res[0]["reservations"] == [{"type": "STATIC", "role": "web"}]
    assert offerfit.format_resources("ports:[1-2,3-5];cpus:1") == "ports:[1-5]; cpus:1"
    assert offerfit.resource_math("contains", "cpus:4", "cpus:1") is True
    assert offerfit.resource_math("equal", "cpus:4", "cpus:1") is False
    [left] = offerfit.resource_math("subtract", "cpus:4", "cpus:1")
    assert left["scalar"] == {"value": 3}
    assert [a["name"] for a in offerfit.parse_attributes("rack:r1;zone:a")] == ["rack", "zone"]
    parsed = offerfit.parse_constraints(["rack LIKE r[12]", ["host", "UNIQUE"]])
    assert [c["text"] for c in parsed["constraints"]] == ["rack LIKE r[12]", "host UNIQUE"]
    assert offerfit.lint(["rack:LIKE:r1", "zone:CLUSTER:a"], dialect="openwhisk", delimiter=":")[0]["path"] == "/constraints/1"
    check = offerfit.check_constraints(["rack LIKE r1"], {"hostname": "h1", "attributes": "rack:r1"})
    assert check["satisfied"] is True and check["results"] == [{"text": "rack LIKE r1", "satisfied": True}]


def test_place_takes_options_as_keywords() -> None:
    plan = offerfit.place([OFFER], [{"id": "t1", "cpus": 1, "mem": 128, "ports": [0]},
                                    {"id": "t2", "cpus": 9}], framework_id="f1", refuse_seconds=30)
    [accept] = plan["accept"]
    assert accept["offer_ids"] == ["o1"] and accept["tasks"][0]["ports"] == [31000]
    assert plan["unplaced"][0]["reasons"][0]["code"] == "insufficient_cpus"
    assert [c["type"] for c in plan.get("calls", [])] == ["ACCEPT"]
    assert plan["calls"][0]["accept"]["filters"] == {"refuse_seconds": 30}
    assert plan["stats"]["placed"] == 1
    assert "ok" not in plan
    # The same request through call() and the CLI's contract: the same plan.
    answer = offerfit.call({"op": "place", "offers": [OFFER], "tasks": [{"id": "t1", "cpus": 1, "mem": 128, "ports": [0]},
                                                                         {"id": "t2", "cpus": 9}],
                            "options": {"framework_id": "f1", "refuse_seconds": 30}})
    assert answer.pop("ok") is True and answer == plan


def test_errors_are_raised_with_code_message_path_rendered() -> None:
    with pytest.raises(offerfit.OfferfitError) as info:
        offerfit.place([OFFER], [{"id": "t1", "cpus": 1, "constraints": ["rack LIKEE r1"]}])
    e = info.value
    assert e.code == "constraint.unknown_operator"
    assert e.path == "/tasks/0/constraints/0"
    assert e.rendered is not None and "^" in e.rendered
    assert e.line == 1 and e.column == 6
    assert "LIKEE" in e.message and e.errors[0]["code"] == e.code
    assert str(e).startswith("constraint.unknown_operator: ") and e.rendered in str(e)
    assert isinstance(e, Exception)


def test_every_error_is_kept() -> None:
    with pytest.raises(offerfit.OfferfitError) as info:
        offerfit.lint(["rack LIKEE r1", "zone FOO a"])
    assert [x["path"] for x in info.value.errors] == ["/constraints/0", "/constraints/1"]


def test_call_returns_refusals_without_raising() -> None:
    answer = offerfit.call("{oops")
    assert answer["ok"] is False and answer["errors"][0]["code"] == "request.json"
    assert offerfit.call(b'{"op":"version"}')["ok"] is True
    assert offerfit.call_bytes(b"\xff").startswith(b'{"ok":false,"errors":[{"code":"request.utf8"')


def test_threads_each_get_an_instance() -> None:
    requests = [{"op": "place", "offers": [OFFER], "tasks": [{"id": f"t{i}", "cpus": 1, "mem": 8 * i}]}
                for i in range(1, 9)]
    expected = [offerfit.call(r) for r in requests]
    results: List[List[object]] = [[] for _ in range(8)]
    instances = set()

    def work(k: int) -> None:
        instances.add(id(_runtime.instance()))
        for _ in range(20):
            results[k].append(offerfit.call(requests[k]))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(instances) == 8
    for k in range(8):
        assert results[k] == [expected[k]] * 20


def run_python(code: str, **env: str) -> str:
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600,
                          env={**os.environ, **env})
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_compiled_module_is_cached(tmp_path: "os.PathLike[str]") -> None:
    cache = os.path.join(str(tmp_path), "cache")
    name = os.path.basename(_runtime.cache_file(cache, _runtime.wasm_bytes()))
    assert name.endswith(".cwasm") and "wasmtime" in name
    probe = "import offerfit, offerfit._runtime as r; offerfit.version(); print(r.compiled().cached_from)"
    # This process's cache file (written when the tests started) seeds the test's directory, so
    # the test compiles the module once only, for the damaged file.
    _runtime.compiled()
    default = _runtime.cache_dir()
    if default and os.path.isfile(os.path.join(default, name)):
        os.makedirs(cache)
        shutil.copyfile(os.path.join(default, name), os.path.join(cache, name))
    else:
        assert run_python(probe, OFFERFIT_CACHE_DIR=cache) == "None"  # compiled, then written
    assert os.listdir(cache) == [name]
    assert run_python(probe, OFFERFIT_CACHE_DIR=cache) == os.path.join(cache, name)  # read back
    with open(os.path.join(cache, name), "wb") as f:
        f.write(b"not a compiled module")
    assert run_python(probe, OFFERFIT_CACHE_DIR=cache) == "None"  # damaged: compiled again, replaced
    assert run_python(probe, OFFERFIT_CACHE_DIR=cache) == os.path.join(cache, name)
    assert os.listdir(cache) == [name]


def test_cache_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OFFERFIT_CACHE_DIR", "")
    assert _runtime.cache_dir() is None  # no cache: compiled in memory
    monkeypatch.setenv("OFFERFIT_CACHE_DIR", "/somewhere")
    assert _runtime.cache_dir() == "/somewhere"
    monkeypatch.delenv("OFFERFIT_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", "/xdg")
    if sys.platform.startswith("linux"):
        assert _runtime.cache_dir() == "/xdg/offerfit"


def test_a_trap_becomes_internal_and_the_next_call_works() -> None:
    """With the test-panic build, `__test_panic` panics inside the module, which traps."""
    wasm = os.environ.get("OFFERFIT_WASM_TEST_PANIC")
    if not wasm:
        pytest.skip("OFFERFIT_WASM_TEST_PANIC is not set (scripts/stages/python.sh sets it)")
    code = """
import json, offerfit, offerfit._runtime as r
first = r.instance()
answer = offerfit.call({"op": "__test_panic"})
print(json.dumps(answer))
assert r.instance() is not first
print(json.dumps(offerfit.parse_value("[1-2]")))
try:
    offerfit.place([], [], explain="yes")
except offerfit.OfferfitError as e:
    print(e.code)
"""
    out = run_python(code, OFFERFIT_WASM_MODULE=wasm).split("\n")  # its compiled module is cached too
    answer = json.loads(out[0])
    assert answer["ok"] is False
    [err] = answer["errors"]
    assert err["code"] == "internal" and err["message"].startswith("offerfit trapped: `")
    assert err["help"] == _runtime.PANIC_HELP
    assert json.loads(out[1])["type"] == "RANGES"
    assert out[2] == "request.type"


def test_text_that_utf8_cannot_carry() -> None:
    """A lone surrogate: in a dict it travels as JSON's escape (what the CLI reads from
    `"\\ud800"`); in request text it becomes U+FFFD, as in JavaScript hosts."""
    from conftest import cli_lines

    escaped, replaced = cli_lines([b'{"op":"parse_value","text":"\\ud800"}',
                                   '{"op":"parse_value","text":"\ufffd"}'.encode("utf-8")])
    assert offerfit.call_bytes(offerfit._encode({"op": "parse_value", "text": "\ud800"})) == escaped
    assert offerfit.call_text('{"op":"parse_value","text":"\ud800"}').encode("utf-8") == replaced
