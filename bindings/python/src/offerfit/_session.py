"""``offerfit.Session``: the session exports of the plain-WASM module (``offerfit_session_new``,
``offerfit_session_step``, ``offerfit_session_free``; bindings/README.md, "Sessions over the
plain-WASM ABI") behind a Python class.

A session handle lives in one instance of the module, so each ``Session`` owns an instance of
its own (instantiating the shared compiled module takes about a millisecond) and a lock: it may
be used from any thread, one step at a time, and a trap can only lose that one session.
"""

import json
import threading
from types import TracebackType
from typing import Any, List, Mapping, Optional, Type, Union, cast

import wasmtime

from . import OfferfitError, _encode, _runtime  # defined before the package imports this module
from .types import ErrorObject, SessionConfig, SessionInput, SessionOutput


class Session:
    """A Mesos framework's scheduler state machine (SESSION.md): events in, calls out.

    ::

        with offerfit.Session({"framework": {"name": "fw", "roles": ["web"]}}) as s:
            out = s.step({"now": 0, "connect": {}})
            out["calls"][0]["type"]        # 'SUBSCRIBE'

    Feed it every input, POST the calls of each answer in order, persist what its notices ask
    before POSTing (``subscribed``: the framework id; ``launching``: the task), ``tick`` it at
    ``wake_at``. ``step`` takes and returns dicts; ``step_text`` / ``step_bytes`` take one JSON
    line and answer exactly the bytes ``offerfit session`` prints for it. A refused input is
    an ``{"ok": False, "errors": [...]}`` answer (nothing changed), never an exception.
    Raises :class:`offerfit.OfferfitError` for a refused config.
    """

    def __init__(self, config: Union[SessionConfig, Mapping[str, Any], str, bytes]) -> None:
        self._lock = threading.Lock()
        self._handle = 0
        self._lost: Optional[str] = None
        self._instance = _runtime.Instance(_runtime.compiled())
        exports = self._instance.exports
        self._new, self._step, self._free = (
            cast(wasmtime.Func, exports[name])
            for name in ("offerfit_session_new", "offerfit_session_step", "offerfit_session_free")
        )
        data = _encode(config)
        inst = self._instance
        ptr = inst.write(data)
        try:
            packed = cast(int, self._new(inst.store, ptr, len(data))) & 0xFFFF_FFFF_FFFF_FFFF
        except wasmtime.Trap as e:
            raise OfferfitError(_internal(str(e))["errors"]) from None
        finally:
            inst.free(inst.store, ptr, len(data))
        if packed == 0:
            raise MemoryError("offerfit_session_new: the module's memory cannot grow")
        if packed >> 32:
            raise OfferfitError(json.loads(inst.take(packed))["errors"])
        self._handle = packed

    def step(self, input: Union[SessionInput, Mapping[str, Any]]) -> SessionOutput:
        """Answers one input dict with one output dict (``ok`` narrows it)."""
        return cast(SessionOutput, json.loads(self._step_bytes(_encode(input), "step")))

    def step_text(self, line: str) -> str:
        """Answers one input line (JSON text) with one output line: ``offerfit session``'s bytes."""
        return self._step_bytes(_encode(line), "step_text").decode("utf-8")

    def step_bytes(self, line: bytes) -> bytes:
        """``step_text`` on bytes (bytes that are not UTF-8 are refused with ``request.utf8``)."""
        return self._step_bytes(line, "step_bytes")

    def _step_bytes(self, line: bytes, method: str) -> bytes:
        with self._lock:
            if self._handle == 0:
                raise ValueError(f"offerfit: Session.{method}() after close(): make a new Session")
            if self._lost is not None:
                return _lost(self._lost)
            inst = self._instance
            ptr = inst.write(line)
            try:
                packed = self._step(inst.store, self._handle, ptr, len(line))
            except wasmtime.Trap as e:
                # The instance is unusable, and the session's state went with it.
                self._lost = str(e).split("\n", 1)[0]
                return _runtime.internal_error(str(e))
            try:
                return inst.take(packed)
            finally:
                inst.free(inst.store, ptr, len(line))

    def close(self) -> None:
        """Releases the session (idempotent); a step afterwards raises ``ValueError``."""
        with self._lock:
            handle, self._handle = self._handle, 0
            if handle and self._lost is None:
                self._free(self._instance.store, handle)

    @property
    def closed(self) -> bool:
        """Whether ``close`` was called."""
        return self._handle == 0

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, kind: Optional[Type[BaseException]], value: Optional[BaseException],
                 traceback: Optional[TracebackType]) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "lost" if self._lost is not None else "open"
        return f"<offerfit.Session {state}>"


def _internal(trap: str) -> Any:
    return json.loads(_runtime.internal_error(trap))


def _lost(trap: str) -> bytes:
    errors: List[ErrorObject] = [{
        "code": "session.handle",
        "message": f"expected a live session, found one lost when offerfit trapped (`{trap}`); make a new Session",
    }]
    return json.dumps({"ok": False, "errors": errors}, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
