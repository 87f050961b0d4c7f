"""The session handle (docs/contract.md part 3, "Handles") over the C ABI (ctypes) and the plain-WASM ABI
(wasmtime): every golden transcript in tests/data/session replays byte for byte, and bad
configs, bad handles and bad bytes are answered, never crashed on.

Run by scripts/stages/c.sh with the artifacts test_abi.py names.
"""

import ctypes
import glob
import json
import os

import pytest

from test_abi import ROOT, Native, Wasm, artifact

TRANSCRIPTS = sorted(
    p for p in glob.glob(os.path.join(ROOT, "tests", "data", "session", "*.jsonl")) if not p.endswith(".out.jsonl")
)


def transcript(path):
    """(config bytes, input lines, expected output lines) of one golden transcript."""
    with open(path, "rb") as f:
        lines = f.read().split(b"\n")
    head = json.loads(lines[0])
    with open(path[: -len(".jsonl")] + ".out.jsonl", "rb") as f:
        want = f.read().split(b"\n")
    inputs = [l for l in lines[1:] if l]
    return json.dumps(head["config"]).encode(), inputs, [l for l in want if l]


class NativeSession:
    def __init__(self, native):
        lib = native.lib
        lib.offerfit_session_new.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_void_p)]
        lib.offerfit_session_new.restype = ctypes.c_void_p
        lib.offerfit_session_step.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_size_t)]
        lib.offerfit_session_step.restype = ctypes.c_void_p
        lib.offerfit_session_free.argtypes = [ctypes.c_void_p]
        lib.offerfit_session_free.restype = None
        self.native, self.lib = native, lib

    def new(self, config):
        err = ctypes.c_void_p(1)
        h = self.lib.offerfit_session_new(config, len(config), ctypes.byref(err))
        if h:
            assert err.value is None
            return h, None
        return None, ctypes.string_at(err.value) if err.value else None

    def step(self, h, line):
        n = ctypes.c_size_t()
        p = self.lib.offerfit_session_step(h, line, len(line), ctypes.byref(n))
        return self.native.take(p, n.value)

    def free(self, h):
        self.lib.offerfit_session_free(h)


class WasmSession:
    def __init__(self, wasm):
        self.w = wasm
        ex = wasm.instance.exports(wasm.store)
        self.raw_new, self.raw_step, self.raw_free = ex["offerfit_session_new"], ex["offerfit_session_step"], ex["offerfit_session_free"]

    def _with(self, data, f):
        w = self.w
        ptr = w.alloc(w.store, len(data))
        if data:
            w.memory.write(w.store, data, ptr)
        try:
            return f(ptr, len(data))
        finally:
            w.free(w.store, ptr, len(data))

    def new(self, config):
        packed = self._with(config, lambda p, n: self.raw_new(self.w.store, p, n)) & 0xFFFF_FFFF_FFFF_FFFF
        assert packed != 0, "offerfit_session_new returned 0 (out of memory)"
        if packed >> 32 == 0:
            return packed, None
        return None, self.w.read_response(packed)

    def step(self, h, line):
        return self.w.read_response(self._with(line, lambda p, n: self.raw_step(self.w.store, h, p, n)))

    def free(self, h):
        self.raw_free(self.w.store, h)


@pytest.fixture(scope="module")
def hosts():
    native = Native(artifact("OFFERFIT_CDYLIB", "debug", "libofferfit_c.so"))
    wasm = Wasm(artifact("OFFERFIT_WASM", "wasm32-unknown-unknown", "release", "offerfit_c.wasm"))
    return {"c": NativeSession(native), "wasm": WasmSession(wasm)}


def test_transcripts_exist():
    assert len(TRANSCRIPTS) >= 15


@pytest.mark.parametrize("host", ["c", "wasm"])
@pytest.mark.parametrize("path", TRANSCRIPTS, ids=lambda p: os.path.basename(p))
def test_golden_transcript_byte_for_byte(hosts, host, path):
    s = hosts[host]
    config, inputs, want = transcript(path)
    h, err = s.new(config)
    assert err is None, err
    try:
        got = [s.step(h, line) for line in inputs]
    finally:
        s.free(h)
    assert got == want


@pytest.mark.parametrize("host", ["c", "wasm"])
def test_bad_config_is_the_cli_refusal(hosts, host):
    h, err = hosts[host].new(b'{"framework": {}}')
    assert h is None
    assert err.startswith(b'{"ok":false,"errors":[{"code":'), err
    h, err = hosts[host].new(b"\xff")
    assert h is None and err.startswith(b'{"ok":false,"errors":[{"code":"request.utf8"'), err


@pytest.mark.parametrize("host", ["c", "wasm"])
def test_bad_bytes_and_refusals_change_nothing(hosts, host):
    s = hosts[host]
    h, _ = s.new(b'{"framework": {"name": "fw"}}')
    assert s.step(h, b"\xff").startswith(b'{"ok":false,"errors":[{"code":"request.utf8"')
    assert s.step(h, b"{oops").startswith(b'{"ok":false,"errors":[{"code":"request.json"')
    assert s.step(h, b'{"now": 5, "tick": {}}') == b'{"ok":true,"calls":[],"notices":[],"wake_at":null}'
    assert s.step(h, b'{"now": 4, "tick": {}}').startswith(b'{"ok":false,"errors":[{"code":"session.now"')
    s.free(h)


def test_wasm_stale_handle_is_an_error(hosts):
    s = hosts["wasm"]
    h, _ = s.new(b'{"framework": {"name": "fw"}}')
    s.free(h)
    assert s.step(h, b'{"now": 5, "tick": {}}').startswith(b'{"ok":false,"errors":[{"code":"session.handle"')
    assert s.step(0, b'{"now": 5, "tick": {}}').startswith(b'{"ok":false,"errors":[{"code":"session.handle"')
    s.free(h)  # a second free is ignored
    h2, _ = s.new(b'{"framework": {"name": "fw"}}')
    assert h2 != h, "handles are never reused"
    s.free(h2)


def test_native_null_session(hosts):
    assert hosts["c"].step(None, b'{"now": 5, "tick": {}}').startswith(
        b'{"ok":false,"errors":[{"code":"request.null_pointer"'
    )
