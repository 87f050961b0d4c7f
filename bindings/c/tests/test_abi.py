"""The C ABI (through ctypes) and the plain-WASM ABI (through wasmtime) answer every request
with exactly the bytes the native CLI (`offerfit call --lines`) writes, and refuse every case
of the malformed-input suite (tests/data/malformed/, through its runner `malformed.py`) with
the code, message and path the suite expects.

Run by scripts/stages/c.sh, which builds the artifacts first; to run by hand:

    python3 scripts/gen-requests.py
    pytest bindings/c/tests

Artifacts (each can be overridden by an environment variable; a missing one is an error, not
a skip):

    OFFERFIT_CLI                 $CARGO_TARGET_DIR/debug/offerfit
    OFFERFIT_CDYLIB              $CARGO_TARGET_DIR/debug/libofferfit_c.so
    OFFERFIT_WASM                $CARGO_TARGET_DIR/wasm32-unknown-unknown/release/offerfit_c.wasm
    OFFERFIT_CDYLIB_TEST_PANIC   $CARGO_TARGET_DIR/abi/libofferfit_c_test_panic.so  (built with --features test-panic)
    OFFERFIT_WASM_TEST_PANIC     $CARGO_TARGET_DIR/abi/offerfit_c_test_panic.wasm   (built with --features test-panic)
    OFFERFIT_REQUESTS            target/requests.jsonl (written by scripts/gen-requests.py when absent)

CARGO_TARGET_DIR defaults to target/ at the repository root.
"""

import ctypes
import json
import os
import subprocess
import sys
import threading

import pytest
import wasmtime

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
TARGET = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")


def artifact(var, *default):
    path = os.environ.get(var) or os.path.join(TARGET, *default)
    if not os.path.exists(path):
        pytest.fail(f"{var}: {path} does not exist; build it first (scripts/stages/c.sh does)", pytrace=False)
    return path


# ---------------------------------------------------------------------------------------------
# hosts


class Native:
    """The C ABI through ctypes."""

    def __init__(self, path):
        lib = ctypes.CDLL(path)
        lib.offerfit_call.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_size_t)]
        lib.offerfit_call.restype = ctypes.c_void_p
        lib.offerfit_string_free.argtypes = [ctypes.c_void_p]
        lib.offerfit_string_free.restype = None
        lib.offerfit_version.argtypes = []
        lib.offerfit_version.restype = ctypes.c_char_p
        lib.offerfit_engine_new.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_void_p)]
        lib.offerfit_engine_new.restype = ctypes.c_void_p
        lib.offerfit_engine_call.argtypes = [
            ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_size_t)]
        lib.offerfit_engine_call.restype = ctypes.c_void_p
        lib.offerfit_engine_free.argtypes = [ctypes.c_void_p]
        lib.offerfit_engine_free.restype = None
        self.lib = lib

    def take(self, ptr, n):
        """Reads and frees a response, checking the NUL terminator and `*out_len`."""
        assert ptr, "offerfit returned NULL"
        data = ctypes.string_at(ptr, n + 1)
        self.lib.offerfit_string_free(ptr)
        assert data[-1:] == b"\0", "response is not NUL-terminated"
        assert b"\0" not in data[:-1], "response contains a NUL byte before *out_len"
        return data[:-1]

    def call(self, request):
        n = ctypes.c_size_t(0xDEAD)
        ptr = self.lib.offerfit_call(request, len(request), ctypes.byref(n))
        return self.take(ptr, n.value)

    def engine_new(self, options):
        err = ctypes.c_void_p(1)
        handle = self.lib.offerfit_engine_new(options, 0 if options is None else len(options), ctypes.byref(err))
        error = None
        if err.value:
            error = ctypes.string_at(err.value)
            self.lib.offerfit_string_free(err.value)
        return handle, error

    def engine_call(self, handle, request):
        n = ctypes.c_size_t(0)
        ptr = self.lib.offerfit_engine_call(handle, request, len(request), ctypes.byref(n))
        return self.take(ptr, n.value)


class Wasm:
    """The plain-WASM ABI through wasmtime: alloc, write, call, read, free both."""

    def __init__(self, path):
        self.engine = wasmtime.Engine()
        self.module = wasmtime.Module.from_file(self.engine, path)
        self.fresh()

    def fresh(self):
        self.store = wasmtime.Store(self.engine)
        # `[]`: the module imports nothing, so an instance needs no host functions at all.
        self.instance = wasmtime.Instance(self.store, self.module, [])
        ex = self.instance.exports(self.store)
        self.memory = ex["memory"]
        self.alloc, self.free, self.raw_call = ex["offerfit_alloc"], ex["offerfit_free"], ex["offerfit_call"]

    def split(self, packed):
        packed &= 0xFFFF_FFFF_FFFF_FFFF  # an i64 comes back signed when the pointer's high bit is set
        return packed >> 32, packed & 0xFFFF_FFFF

    def read_response(self, packed):
        ptr, n = self.split(packed)
        assert ptr != 0, "offerfit_call returned 0 (out of memory)"
        data = bytes(self.memory.read(self.store, ptr, ptr + n))
        self.free(self.store, ptr, n)
        return data

    def call(self, request):
        ptr = self.alloc(self.store, len(request))
        assert ptr != 0, "offerfit_alloc returned 0"
        if request:
            self.memory.write(self.store, request, ptr)
        try:
            return self.read_response(self.raw_call(self.store, ptr, len(request)))
        finally:
            self.free(self.store, ptr, len(request))

    def pages(self):
        return self.memory.size(self.store)


@pytest.fixture(scope="session")
def native():
    return Native(artifact("OFFERFIT_CDYLIB", "debug", "libofferfit_c.so"))


@pytest.fixture(scope="session")
def wasm_path():
    return artifact("OFFERFIT_WASM", "wasm32-unknown-unknown", "release", "offerfit_c.wasm")


@pytest.fixture(scope="session")
def wasm(wasm_path):
    return Wasm(wasm_path)


@pytest.fixture(scope="session")
def cli():
    return artifact("OFFERFIT_CLI", "debug", "offerfit")


def cli_lines(cli, requests):
    """Answers `requests` (bytes without newlines) with one `offerfit call --lines` process."""
    assert all(b"\n" not in r and not r.endswith(b"\r") for r in requests)
    stdin = b"".join(r + b"\n" for r in requests)
    proc = subprocess.run([cli, "call", "--lines"], input=stdin, capture_output=True, timeout=300)
    assert proc.returncode in (0, 1), f"offerfit call --lines exited {proc.returncode}: {proc.stderr[-2000:]!r}"
    out = proc.stdout.split(b"\n")
    assert out[-1] == b"", "the CLI's output does not end with a newline"
    assert len(out) - 1 == len(requests), f"{len(requests)} requests, {len(out) - 1} answers"
    return out[:-1]


# ---------------------------------------------------------------------------------------------
# the request corpus


def load_requests():
    path = os.environ.get("OFFERFIT_REQUESTS") or os.path.join(ROOT, "target", "requests.jsonl")
    if not os.path.exists(path):
        subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gen-requests.py"), "--out", path], check=True)
    with open(path, "rb") as f:
        lines = f.read().split(b"\n")
    assert lines[-1] == b"", f"{path} must end with a newline"
    return lines[:-1]


REQUESTS = load_requests()

# Bytes that are not UTF-8, each with the offset `request.utf8` must name.
INVALID_UTF8 = [
    (b"\xff", 0),
    (b'{"op":"version"}\xff', 16),
    (b'{"op":"parse_value","text":"\xff"}', 28),
    (b'{"op":"parse_value","text":"\xc3\x28"}', 28),  # a lead byte followed by ASCII
    (b'{"op":"parse_value","text":"\xe2\x82"}', 28),  # a truncated 3-byte sequence
    (b'{"op":"parse_value","text":"\xc0\xaf"}', 28),  # overlong encoding of '/'
    (b'{"op":"parse_value","text":"\xed\xa0\x80"}', 28),  # an encoded surrogate
    (b'{"op":"parse_value","text":"\xf4\x90\x80\x80"}', 28),  # beyond U+10FFFF
    (b'{"op":"parse_value","text":"caf\xc3\xa9 \x80"}', 34),  # a lone continuation after valid text
    (b'{"op":"parse_value","text":"ok"}\xe2\x82', 32),  # truncated at the very end
    (b"\xef\xbb\xbf\xfe", 3),  # a BOM, then garbage
]


def request_id(i):
    r = REQUESTS[i]
    head = r[:60].decode("utf-8", "replace")
    return f"{i}:{head}"


@pytest.fixture(scope="session")
def cli_answers(cli):
    return cli_lines(cli, REQUESTS)


# ---------------------------------------------------------------------------------------------
# byte-identical answers


def test_corpus_is_large_and_covers_every_op():
    ops = set()
    for r in REQUESTS:
        try:
            v = json.loads(r)
        except (ValueError, RecursionError):
            continue
        if isinstance(v, dict) and isinstance(v.get("op"), str):
            ops.add(v["op"])
    assert len(REQUESTS) >= 200
    for op in ("parse_value", "parse_resources", "format_resources", "resource_math", "parse_attributes",
               "parse_constraints", "check_constraints", "place"):
        assert op in ops, f"the corpus has no `{op}` request"


@pytest.mark.parametrize("i", range(len(REQUESTS)), ids=request_id)
def test_native_matches_cli(native, cli_answers, i):
    assert native.call(REQUESTS[i]) == cli_answers[i]


@pytest.mark.parametrize("i", range(len(REQUESTS)), ids=request_id)
def test_wasm_matches_cli(wasm, cli_answers, i):
    assert wasm.call(REQUESTS[i]) == cli_answers[i]


def test_every_answer_is_one_json_object(cli_answers):
    for req, out in zip(REQUESTS, cli_answers):
        v = json.loads(out)
        assert isinstance(v, dict) and isinstance(v["ok"], bool), out[:200]
        if not v["ok"]:
            assert v["errors"], out[:200]
            for e in v["errors"]:
                assert isinstance(e["code"], str) and isinstance(e["message"], str)
                assert e["code"] != "internal", f"{req[:100]!r} -> {out[:300]!r}"


# ---------------------------------------------------------------------------------------------
# malformed input through both ABIs


def test_invalid_utf8_names_the_byte(native, wasm, cli):
    requests = [r for r, _ in INVALID_UTF8]
    from_cli = cli_lines(cli, requests)
    for (req, at), expected in zip(INVALID_UTF8, from_cli):
        out = native.call(req)
        assert out == expected, req
        assert wasm.call(req) == expected, req
        v = json.loads(out)
        assert v["ok"] is False
        [e] = v["errors"]
        assert e["code"] == "request.utf8", out
        assert e["message"].startswith(f"invalid UTF-8 at byte {at}: expected a UTF-8 encoded character, found `\\x")
        assert e["span"]["start"] == at and e["span"]["end"] > at
        assert e["path"] == ""


MALFORMED = [
    (b"", "request.json"),
    (b'{"op":"parse_value","text":"[1-', "request.json"),
    (b"[]", "request.not_object"),
    (b'{"op":42}', "request.op"),
    (b'{"op":"no_such_op"}', "request.unknown_op"),
    (b'{"op":"version","op":"version"}', "request.duplicate_key"),
    (b'{"op":"parse_value","text":5}', "request.type"),
    (b'{"op":"parse_value","text":"1","extra":true}', "request.unknown_field"),
    (b'{"op":"parse_value"}', "request.missing_field"),
    (b"[" * 5000 + b"]" * 5000, "limit.json_depth"),
    (b'{"op":"parse_value","text":"a\x00b"}', "request.json"),  # a raw NUL inside a string
]


@pytest.mark.parametrize("req,code", MALFORMED, ids=[c + ":" + r[:30].decode() for r, c in MALFORMED])
def test_malformed_gets_a_specific_code(native, wasm, req, code):
    out = native.call(req)
    assert wasm.call(req) == out
    v = json.loads(out)
    assert v["ok"] is False
    assert v["errors"][0]["code"] == code, out


# The malformed-input suite of issue 6 (tests/data/malformed/*.jsonl, format in its
# README), loaded case by case with its own runner: every case, the raw-byte ones
# (`request_hex`: invalid UTF-8) included, goes through the C ABI and the plain-WASM ABI,
# and each answer must be the refusal the suite's `judge` asks for (ok:false, the code, the
# message text, the path). Both ABIs must also give the very same bytes.
sys.path.insert(0, os.path.join(ROOT, "tests", "data", "malformed"))
import malformed  # noqa: E402  (the suite's runner, beside its data)

MALFORMED_CASES = malformed.load()


def test_malformed_suite_is_loaded_whole():
    """Every line of every suite file is a case here, raw-byte cases included."""
    lines = 0
    for name in os.listdir(malformed.HERE):
        if name.endswith(".jsonl"):
            with open(os.path.join(malformed.HERE, name), encoding="utf-8") as f:
                lines += sum(1 for line in f if line.strip())
    assert len(MALFORMED_CASES) == lines >= 190
    # The raw-byte cases (`request_hex`, not UTF-8) are here too: invalid UTF-8 must come back
    # as `request.utf8` (or `limit.request_bytes`: the size is checked first).
    raw = [c for c in MALFORMED_CASES if not c.is_text]
    assert [c.file for c in raw] == ["utf8.jsonl"] * len(raw) and len(raw) >= 8, [c.id for c in raw]
    assert sum(c.code == "request.utf8" for c in raw) >= 7
    assert {c.code for c in raw} <= {"request.utf8", "limit.request_bytes"}
    assert len({c.id for c in MALFORMED_CASES}) == len(MALFORMED_CASES), "duplicate case ids"


@pytest.fixture(scope="session")
def native_engine(native):
    """An engine handle with no stored options: it must answer exactly like offerfit_call."""
    handle, error = native.engine_new(None)
    assert handle and error is None
    yield handle
    native.lib.offerfit_engine_free(handle)


@pytest.mark.parametrize("case", MALFORMED_CASES, ids=[c.id for c in MALFORMED_CASES])
def test_malformed_case_is_refused_by_both_abis(native, wasm, native_engine, case):
    out = native.call(case.request)
    problem = malformed.judge(case, out)
    assert problem is None, f"{case.id} (C ABI): {problem}"
    from_wasm = wasm.call(case.request)
    problem = malformed.judge(case, from_wasm)
    assert problem is None, f"{case.id} (plain WASM): {problem}"
    assert from_wasm == out, f"{case.id}: the C and plain-WASM ABIs answer differently"
    assert native.engine_call(native_engine, case.request) == out, f"{case.id}: offerfit_engine_call differs"


def test_enormous_request_is_answered(native, wasm):
    req = b'{"op":"parse_value","text":"' + b"9" * (8 * 1024 * 1024) + b'"}'
    out = native.call(req)
    assert wasm.call(req) == out
    v = json.loads(out)
    assert v["ok"] is False and v["errors"][0]["code"].startswith(("limit.", "value.")), out[:300]


# ---------------------------------------------------------------------------------------------
# the C ABI's own contract


def test_version_matches_the_op(native, cli):
    version = native.lib.offerfit_version().decode()
    [answer] = cli_lines(cli, [b'{"op":"version"}'])
    assert json.loads(answer)["version"] == version


def test_null_request_and_null_out_len(native):
    n = ctypes.c_size_t(0)
    ptr = native.lib.offerfit_call(None, 10, ctypes.byref(n))
    out = native.take(ptr, n.value)
    assert json.loads(out) == {"ok": False, "errors": [
        {"code": "request.null_pointer", "message": "expected a pointer to the request, found NULL", "path": ""}]}
    ptr = native.lib.offerfit_call(b'{"op":"version"}', 16, None)
    assert ptr
    assert ctypes.string_at(ptr).startswith(b'{"ok":true,"version":')
    native.lib.offerfit_string_free(ptr)
    native.lib.offerfit_string_free(None)


def test_length_bounds_the_request(native):
    buf = b'{"op":"parse_value","text":"7"}' + b"GARBAGE"
    n = ctypes.c_size_t(0)
    ptr = native.lib.offerfit_call(buf, len(buf) - 7, ctypes.byref(n))
    assert native.take(ptr, n.value) == native.call(b'{"op":"parse_value","text":"7"}')


def test_engine_stores_place_options(native):
    handle, error = native.engine_new(b'{"strategy":"spread","explain":false}')
    assert handle and error is None
    try:
        place = b'{"op":"place","offers":[],"tasks":[]}'
        explicit = b'{"op":"place","offers":[],"tasks":[],"options":{"strategy":"spread","explain":false}}'
        assert native.engine_call(handle, place) == native.call(explicit)
        own = b'{"op":"place","offers":[],"tasks":[],"options":{"strategy":"first_fit"}}'
        assert native.engine_call(handle, own) == native.call(own)
        for req in REQUESTS[:40] + [b"\xff", b"{oops"]:
            v = None
            try:
                v = json.loads(req)
            except (ValueError, RecursionError):
                pass
            if isinstance(v, dict) and v.get("op") == "place" and "options" not in v:
                continue
            assert native.engine_call(handle, req) == native.call(req), req[:80]
    finally:
        native.lib.offerfit_engine_free(handle)


def test_engine_refuses_bad_options(native):
    for options, code, path in [
        (b"[1]", "request.type", "/options"),
        (b'{"a":', "request.json", "/options"),
        (b'{"a":"\xff"}', "request.utf8", "/options"),
        (b'{"strategy":"nope"}', "request.unknown_variant", "/options/strategy"),
        (b'{"strateg":"spread"}', "request.unknown_field", "/options/strateg"),
    ]:
        handle, error = native.engine_new(options)
        assert not handle
        v = json.loads(error)
        assert v["ok"] is False and v["errors"][0]["code"] == code and v["errors"][0]["path"] == path, error
    # The same answer as a place request carrying the bad options.
    handle, error = native.engine_new(b'{"strategy":"nope"}')
    assert error == native.call(b'{"op":"place","offers":[],"tasks":[],"options":{"strategy":"nope"}}')
    handle, error = native.engine_new(None)
    assert handle and error is None
    assert native.engine_call(handle, b'{"op":"version"}') == native.call(b'{"op":"version"}')
    native.lib.offerfit_engine_free(handle)
    n = ctypes.c_size_t(0)
    out = native.take(native.lib.offerfit_engine_call(None, b"{}", 2, ctypes.byref(n)), n.value)
    assert json.loads(out)["errors"][0]["code"] == "request.null_pointer"
    native.lib.offerfit_engine_free(None)


def test_threads_share_the_library(native, cli_answers):
    sample = list(range(0, len(REQUESTS), 7))
    failures = []

    def worker():
        for i in sample:
            if native.call(REQUESTS[i]) != cli_answers[i]:
                failures.append(i)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


# ---------------------------------------------------------------------------------------------
# the plain-WASM ABI's own contract


def test_wasm_imports_nothing(wasm):
    assert wasm.module.imports == []


def test_wasm_exports_the_abi(wasm):
    funcs = {e.name: e.type for e in wasm.module.exports if isinstance(e.type, wasmtime.FuncType)}
    i32, i64 = wasmtime.ValType.i32(), wasmtime.ValType.i64()
    assert (funcs["offerfit_alloc"].params, funcs["offerfit_alloc"].results) == ([i32], [i32])
    assert (funcs["offerfit_free"].params, funcs["offerfit_free"].results) == ([i32, i32], [])
    assert (funcs["offerfit_call"].params, funcs["offerfit_call"].results) == ([i32, i32], [i64])
    assert "memory" in [e.name for e in wasm.module.exports]


def test_wasm_bad_addresses_are_error_objects(wasm):
    out = wasm.read_response(wasm.raw_call(wasm.store, 0, 5))
    assert json.loads(out)["errors"][0]["code"] == "request.null_pointer"
    end = wasm.memory.data_len(wasm.store)
    out = wasm.read_response(wasm.raw_call(wasm.store, end - 2, 10))
    assert json.loads(out)["errors"][0]["code"] == "request.out_of_bounds"
    out = wasm.read_response(wasm.raw_call(wasm.store, 0xFFFF_FFF0, 0xFFFF))
    assert json.loads(out)["errors"][0]["code"] == "request.out_of_bounds"
    # Zero-length requests need no buffer; alloc(0) gives a non-zero address that free ignores.
    assert wasm.read_response(wasm.raw_call(wasm.store, 0, 0)) == wasm.call(b"")
    p = wasm.alloc(wasm.store, 0)
    assert p != 0
    wasm.free(wasm.store, p, 0)
    wasm.free(wasm.store, 0, 100)


def test_wasm_alloc_failure_returns_zero(wasm):
    assert wasm.alloc(wasm.store, 0xFFFF_FFF0) == 0


def test_wasm_memory_is_reused(wasm_path):
    """Freed requests and responses are reused: 300 more calls do not grow memory."""
    host = Wasm(wasm_path)
    for r in REQUESTS[:100]:
        host.call(r)
    before = host.pages()
    for _ in range(3):
        for r in REQUESTS[:100]:
            host.call(r)
    assert host.pages() == before


# ---------------------------------------------------------------------------------------------
# panics


def test_release_builds_have_no_test_panic_op(native, wasm):
    for out in (native.call(b'{"op":"__test_panic"}'), wasm.call(b'{"op":"__test_panic"}')):
        assert json.loads(out)["errors"][0]["code"] == "request.unknown_op"


def test_native_panic_becomes_internal_error():
    host = Native(artifact("OFFERFIT_CDYLIB_TEST_PANIC", "abi", "libofferfit_c_test_panic.so"))
    out = host.call(b'{"op":"__test_panic"}')
    assert json.loads(out) == {"ok": False, "errors": [{
        "code": "internal",
        "message": "offerfit panicked: `__test_panic was requested`",
        "help": "this is a bug in offerfit, not in the request: please report it with the request",
    }]}
    handle, _ = host.engine_new(b"{}")
    assert host.engine_call(handle, b'{"op":"__test_panic"}') == out
    host.lib.offerfit_engine_free(handle)
    # The library keeps answering after a caught panic.
    assert host.call(b'{"op":"parse_value","text":"1"}').startswith(b'{"ok":true')


def test_wasm_panic_traps_and_the_host_recovers():
    """wasm32-unknown-unknown aborts on panic: the host sees a trap (never a hang or a wrong
    answer), answers with the contract's `internal` error as bindings/README.md says, and
    continues on a fresh instance."""
    host = Wasm(artifact("OFFERFIT_WASM_TEST_PANIC", "abi", "offerfit_c_test_panic.wasm"))
    req = b'{"op":"__test_panic"}'
    ptr = host.alloc(host.store, len(req))
    host.memory.write(host.store, req, ptr)
    with pytest.raises(wasmtime.Trap) as trap:
        host.raw_call(host.store, ptr, len(req))
    assert "unreachable" in str(trap.value)
    host.fresh()
    assert host.call(b'{"op":"parse_value","text":"1"}').startswith(b'{"ok":true')
