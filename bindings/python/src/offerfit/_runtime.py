"""The plain-WASM module (offerfit_c.wasm) under wasmtime: compiled once, cached, one instance per thread.

The module imports nothing; its ABI (bindings/README.md, "Plain WASM ABI") is
``offerfit_alloc(len) -> ptr``, ``offerfit_call(ptr, len) -> (response_ptr << 32) | response_len``
and ``offerfit_free(ptr, len)``.

Start-up: compiling the 2.9 MB module with Cranelift takes seconds, so the compiled code is
kept in a user cache directory (``Module.serialize``) and later processes map it back in
(``Module.deserialize_file``), in milliseconds. The file name carries a hash of the module, the
wasmtime version and the platform, so a new offerfit or wasmtime never reads a stale file; a
file that does not load is compiled again and rewritten.
"""

import hashlib
import json
import os
import sys
import threading
from typing import Optional

import wasmtime

MODULE_NAME = "offerfit_c.wasm"

#: The ``help`` of an ``internal`` error, the same text as the other hosts'.
PANIC_HELP = "this is a bug in offerfit, not in the request: please report it with the request"


def cache_dir() -> Optional[str]:
    """Where compiled modules are kept: ``$OFFERFIT_CACHE_DIR``, else the platform's user cache
    directory plus ``offerfit``; ``None`` when ``OFFERFIT_CACHE_DIR`` is set empty (no cache)."""
    env = os.environ.get("OFFERFIT_CACHE_DIR")
    if env is not None:
        return env or None
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.expanduser("~\\AppData\\Local")
    elif sys.platform == "darwin":
        base = os.path.expanduser("~/Library/Caches")
    else:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return os.path.join(base, "offerfit")


def _wasmtime_version() -> str:
    """wasmtime's version, from its ``.dist-info`` directory's name beside the package (a
    directory listing: ``importlib.metadata`` would take a fifth of the start-up)."""
    site = os.path.dirname(os.path.dirname(os.path.abspath(wasmtime.__file__)))
    try:
        for name in os.listdir(site):
            if name.startswith("wasmtime-") and name.endswith(".dist-info"):
                return name[len("wasmtime-"):-len(".dist-info")]
    except OSError:
        pass
    try:  # an unusual install (egg, zip): ask the metadata
        from importlib.metadata import version

        return version("wasmtime")
    except Exception:  # pragma: no cover
        return "unknown"


def cache_file(directory: str, wasm: bytes) -> str:
    """The cache file of `wasm` compiled by this wasmtime on this platform."""
    key = hashlib.sha256(wasm).hexdigest()[:24]
    tag = f"{_wasmtime_version()}-{sys.platform}-{_machine()}"
    return os.path.join(directory, f"offerfit-{key}-wasmtime-{tag}.cwasm")


def _machine() -> str:
    if hasattr(os, "uname"):
        return os.uname().machine
    import platform  # Windows

    return platform.machine()


class Compiled:
    """The engine and compiled module of this process (shared by every thread's instance)."""

    def __init__(self, wasm: bytes) -> None:
        self.engine = wasmtime.Engine()
        self.cached_from: Optional[str] = None
        self.module = self._load(wasm)
        if self.module.imports:
            raise RuntimeError(f"{MODULE_NAME} must import nothing, it imports {self.module.imports}")

    def _load(self, wasm: bytes) -> wasmtime.Module:
        directory = cache_dir()
        if directory is None:
            return wasmtime.Module(self.engine, wasm)
        path = cache_file(directory, wasm)
        if os.path.isfile(path):
            try:
                module = wasmtime.Module.deserialize_file(self.engine, path)
                self.cached_from = path
                return module
            except Exception:
                pass  # written by another build or damaged: compile again and replace it
        module = wasmtime.Module(self.engine, wasm)
        try:
            # Private to the user: wasmtime runs whatever code this file holds.
            os.makedirs(directory, mode=0o700, exist_ok=True)
            import tempfile  # only when a cache file is written

            fd, tmp = tempfile.mkstemp(dir=directory, prefix=".offerfit-", suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                f.write(module.serialize())
            os.replace(tmp, path)  # atomic: concurrent processes never read half a file
        except OSError:
            pass  # a read-only home still runs, only slower to start
        return module


class Trapped(Exception):
    """The module trapped (a bug in offerfit, or memory exhausted): the instance is unusable."""


class Instance:
    """One instance of the module: its own store, memory and allocator; one thread at a time."""

    def __init__(self, compiled: Compiled) -> None:
        self.store = wasmtime.Store(compiled.engine)
        instance = wasmtime.Instance(self.store, compiled.module, [])
        exports = instance.exports(self.store)
        self.exports = exports
        memory = exports["memory"]
        alloc = exports["offerfit_alloc"]
        free = exports["offerfit_free"]
        call = exports["offerfit_call"]
        assert isinstance(memory, wasmtime.Memory)
        assert isinstance(alloc, wasmtime.Func) and isinstance(free, wasmtime.Func)
        assert isinstance(call, wasmtime.Func)
        self.memory, self.alloc, self.free, self.call_export = memory, alloc, free, call

    def has(self, export: str) -> bool:
        """Whether the module exports `export` (later ABIs add functions, e.g. sessions)."""
        try:
            self.exports[export]
            return True
        except KeyError:
            return False

    def write(self, data: bytes) -> int:
        """Copies `data` into a fresh buffer of the module; returns its address."""
        ptr = self.alloc(self.store, len(data))
        if not isinstance(ptr, int) or ptr == 0:
            raise MemoryError(f"offerfit_alloc({len(data)}) failed: the module's memory cannot grow")
        if data:
            self.memory.write(self.store, data, ptr)
        return ptr

    def take(self, packed: object) -> bytes:
        """Reads and frees a response packed as ``(ptr << 32) | len``."""
        assert isinstance(packed, int)
        packed &= 0xFFFF_FFFF_FFFF_FFFF  # the i64 comes back signed when the pointer's top bit is set
        ptr, n = packed >> 32, packed & 0xFFFF_FFFF
        if ptr == 0:
            raise MemoryError("offerfit could not allocate its response")
        data = bytes(self.memory.read(self.store, ptr, ptr + n))
        self.free(self.store, ptr, n)
        return data

    def call(self, request: bytes) -> bytes:
        ptr = self.write(request)
        try:
            try:
                packed = self.call_export(self.store, ptr, len(request))
            except wasmtime.Trap as e:
                raise Trapped(str(e)) from None
            return self.take(packed)
        finally:
            self.free(self.store, ptr, len(request))


def internal_error(trap: str) -> bytes:
    """The contract's ``internal`` answer for a trap, as every host words it."""
    line = trap.split("\n", 1)[0]
    return json.dumps(
        {"ok": False, "errors": [{"code": "internal", "message": f"offerfit trapped: `{line}`", "help": PANIC_HELP}]},
        separators=(",", ":"), ensure_ascii=False).encode("utf-8")


_compiled: Optional[Compiled] = None
_compiled_lock = threading.Lock()
_local = threading.local()


def wasm_bytes() -> bytes:
    path = os.environ.get("OFFERFIT_WASM_MODULE")
    if path:
        with open(path, "rb") as f:
            return f.read()
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), MODULE_NAME)
    if os.path.isfile(here):
        with open(here, "rb") as f:
            return f.read()
    from importlib import resources  # e.g. installed in a zip: rare, so imported only then

    return resources.files(__package__).joinpath(MODULE_NAME).read_bytes()


def compiled() -> Compiled:
    """The process's compiled module, made on first use (thread-safe)."""
    global _compiled
    if _compiled is None:
        with _compiled_lock:
            if _compiled is None:
                _compiled = Compiled(wasm_bytes())
    return _compiled


def instance() -> Instance:
    """This thread's instance of the module."""
    inst: Optional[Instance] = getattr(_local, "instance", None)
    if inst is None:
        inst = Instance(compiled())
        _local.instance = inst
    return inst


def call_bytes(request: bytes) -> bytes:
    """Answers one request on this thread's instance; a trap discards the instance."""
    try:
        return instance().call(request)
    except Trapped as e:
        _local.instance = None
        return internal_error(str(e))
