"""offerfit for Python: Mesos offer placement, constraints and resources.

One JSON contract (``call``) and a typed function per operation::

    import offerfit

    plan = offerfit.place(
        offers=[{"id": {"value": "o1"}, "agent_id": {"value": "a1"}, "hostname": "h1",
                 "resources": "cpus:4;mem:4096;ports:[31000-32000]", "attributes": "rack:r1"}],
        tasks=[{"id": "web-1", "cpus": 1, "mem": 512, "ports": [0], "constraints": ["hostname UNIQUE"]}],
        strategy="spread",
    )
    plan["accept"][0]["tasks"][0]["ports"]      # [31000]

``call`` answers exactly what ``offerfit call`` answers (``{"ok": False, ...}`` included); the
typed functions return the answer's fields and raise :class:`OfferfitError` when it is refused.
:class:`Session` is a Mesos framework's scheduler state machine (SESSION.md): events in,
calls out, the same bytes as ``offerfit session``.
Every function may be called from any thread: each thread gets its own instance of the
WebAssembly module (the compiled code is shared and cached on disk, see ``_runtime``).
"""

import json
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Sequence, Union, cast, overload

from . import _runtime
from .types import (
    AttributesInput,
    Attribute,
    Candidate,
    CheckConstraintsResult,
    Constraint,
    Dialect,
    ErrorObject,
    Offer,
    ParseConstraintsResult,
    PlaceOptions,
    PlaceResult,
    Preference,
    Resource,
    ResourceComparison,
    ResourceOperation,
    ResourcesInput,
    Response,
    RunningTask,
    Task,
    Value,
    VersionResult,
)

if TYPE_CHECKING:  # for type checkers only: the annotation is a string at run time
    from typing_extensions import Unpack

__version__ = "0.1.0"

__all__ = [
    "OfferfitError", "call", "call_bytes", "call_text", "version", "parse_value", "parse_resources",
    "format_resources", "resource_math", "parse_attributes", "parse_constraints", "lint",
    "check_constraints", "place", "Session",
]

Request = Union[Mapping[str, Any], str, bytes]


class OfferfitError(Exception):
    """A request offerfit refused: the first error's fields, and all of them in ``errors``.

    ``code`` is stable (``"constraint.unknown_operator"``, ``"request.json"``, ...); ``path`` is
    a JSON pointer into the request (``"/tasks/3/constraints/1"``) when the error is tied to one
    element; ``rendered`` shows the offending text with a caret when the error is inside a text.
    ``str(error)`` is the message with its location and caret.
    """

    def __init__(self, errors: List[ErrorObject]) -> None:
        if not errors:
            errors = [{"code": "internal", "message": "offerfit refused the request without an error"}]
        self.errors: List[ErrorObject] = errors
        first = errors[0]
        self.code: str = first["code"]
        self.message: str = first["message"]
        self.path: Optional[str] = first.get("path")
        self.rendered: Optional[str] = first.get("rendered")
        self.help: Optional[str] = first.get("help")
        self.line: Optional[int] = first.get("line")
        self.column: Optional[int] = first.get("column")
        super().__init__(self._describe())

    def _describe(self) -> str:
        lines = []
        for e in self.errors:
            at = f" at {e['path']}" if e.get("path") else ""
            lines.append(f"{e['code']}: {e['message']}{at}")
            if e.get("rendered"):
                lines.append(e["rendered"])
            if e.get("help"):
                lines.append(f"help: {e['help']}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"OfferfitError(code={self.code!r}, message={self.message!r}, path={self.path!r})"


# ---------------------------------------------------------------------------------------------
# the contract


def _encode(request: Request) -> bytes:
    if isinstance(request, bytes):
        return request
    if isinstance(request, str):
        try:
            return request.encode("utf-8")
        except UnicodeEncodeError:
            # A lone surrogate cannot be UTF-8: it is sent as U+FFFD, as JavaScript hosts do.
            fixed = request.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
            return fixed.encode("utf-8")
    # Tuples are written as arrays; values are sent as given (the core checks their types).
    text = json.dumps(request, separators=(",", ":"), ensure_ascii=False)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        # A string holds a lone surrogate: JSON's \ud800 escapes carry it, as the user wrote it.
        return json.dumps(request, separators=(",", ":")).encode("ascii")


def call_bytes(request: bytes) -> bytes:
    """The answer to one request, as bytes: exactly what ``offerfit call`` prints (without its newline)."""
    return _runtime.call_bytes(request)


def call_text(request: str) -> str:
    """``call_bytes`` for text."""
    return _runtime.call_bytes(_encode(request)).decode("utf-8")


def call(request: Request) -> Response:
    """Answers one contract request (a dict, or its JSON text) with the answer as a dict.

    The answer is ``{"ok": True, ...}`` or ``{"ok": False, "errors": [...]}``; nothing is
    raised for a refused request (see the typed functions for that).
    """
    answer = json.loads(_runtime.call_bytes(_encode(request)))
    return cast(Response, answer)


def _ask(request: Dict[str, Any]) -> Dict[str, Any]:
    """Calls and returns the answer without ``ok``, or raises its errors."""
    answer = call(request)
    if answer.get("ok") is not True:
        raise OfferfitError(answer.get("errors") or [])
    del answer["ok"]
    return answer


def _put(request: Dict[str, Any], **fields: Any) -> Dict[str, Any]:
    """Adds the fields that are not None (the contract's optional fields are absent, not null)."""
    for k, v in fields.items():
        if v is not None:
            request[k] = v
    return request


# ---------------------------------------------------------------------------------------------
# one function per op


def version() -> VersionResult:
    """The library version and the names of its ops."""
    return cast(VersionResult, _ask({"op": "version"}))


def parse_value(text: str) -> Value:
    """A Mesos value (``"[31000-32000]"``, ``"{a,b}"``, ``"4.5"``, ``"text"``) as a Mesos v1 ``Value``."""
    return cast(Value, _ask({"op": "parse_value", "text": text})["value"])


def parse_resources(text: str, default_role: Optional[str] = None) -> List[Resource]:
    """Mesos resources text (``"cpus(*):8; mem:1024; ports:[31000-32000]"``) as Mesos v1 ``Resource``s."""
    req = _put({"op": "parse_resources", "text": text}, default_role=default_role)
    return cast(List[Resource], _ask(req)["resources"])


def format_resources(resources: ResourcesInput) -> str:
    """Resources in Mesos' printed form (``"cpus:45.55; ports:[10000-20000, 30000-50000]"``)."""
    return cast(str, _ask({"op": "format_resources", "resources": resources})["text"])


@overload
def resource_math(operation: ResourceComparison, left: ResourcesInput, right: ResourcesInput) -> bool: ...
@overload
def resource_math(operation: ResourceOperation, left: ResourcesInput, right: Optional[ResourcesInput] = None,
                  *, role: Optional[str] = None) -> List[Resource]: ...
def resource_math(operation: str, left: ResourcesInput, right: Optional[ResourcesInput] = None,
                  *, role: Optional[str] = None) -> Union[bool, List[Resource]]:
    """Mesos resource arithmetic: ``add``, ``subtract``, ``allocatable_to`` (with ``role``) give
    resources; ``contains`` and ``equal`` give a bool."""
    answer = _ask(_put({"op": "resource_math", "operation": operation, "left": left}, right=right, role=role))
    if "result" in answer:
        return cast(bool, answer["result"])
    return cast(List[Resource], answer["resources"])


def parse_attributes(text: str) -> List[Attribute]:
    """Mesos attributes text (``"rack:r1;zone:a;cores:8"``) as Mesos v1 ``Attribute``s, in order."""
    return cast(List[Attribute], _ask({"op": "parse_attributes", "text": text})["attributes"])


def parse_constraints(constraints: Sequence[Constraint], *, dialect: Optional[Dialect] = None,
                      delimiter: Optional[str] = None) -> ParseConstraintsResult:
    """Parses placement constraints: each as an object with its canonical ``text``, and a warning
    for each constraint the dialect ignores. Raises :class:`OfferfitError` for invalid ones."""
    req = _put({"op": "parse_constraints", "constraints": constraints}, dialect=dialect, delimiter=delimiter)
    return cast(ParseConstraintsResult, _ask(req))


def lint(constraints: Sequence[Constraint], *, dialect: Optional[Dialect] = None,
         delimiter: Optional[str] = None) -> List[ErrorObject]:
    """What ``offerfit lint`` checks: raises :class:`OfferfitError` (every error in ``errors``)
    when a constraint is invalid, and returns the warnings (constraints the dialect ignores)."""
    return parse_constraints(constraints, dialect=dialect, delimiter=delimiter)["warnings"]


def check_constraints(constraints: Sequence[Constraint], candidate: Candidate, *,
                      placed: Optional[Sequence[RunningTask]] = None, instances: Optional[int] = None,
                      preferences: Optional[Sequence[Preference]] = None, dialect: Optional[Dialect] = None,
                      delimiter: Optional[str] = None) -> CheckConstraintsResult:
    """Evaluates constraints against one candidate agent, counting the group's ``placed`` tasks."""
    req = _put({"op": "check_constraints", "constraints": constraints, "candidate": candidate},
               dialect=dialect, delimiter=delimiter,
               preferences=preferences, placed=placed, instances=instances)
    return cast(CheckConstraintsResult, _ask(req))


def place(offers: Sequence[Union[Offer, Mapping[str, Any]]], tasks: Sequence[Task], *,
          running: Optional[Sequence[RunningTask]] = None, **options: "Unpack[PlaceOptions]") -> PlaceResult:
    """Places a batch of tasks on offers: what to accept (with each task's resources and ports),
    what to decline, what stays unplaced and why; with ``framework_id=...`` also the Mesos v1
    ``ACCEPT`` / ``DECLINE`` calls to send. Keyword arguments are the ``place`` options
    (``strategy``, ``roles``, ``refuse_seconds``, ``seed``, ...)."""
    req: Dict[str, Any] = _put({"op": "place", "offers": offers, "tasks": tasks}, running=running)
    if options:
        req["options"] = dict(options)
    return cast(PlaceResult, _ask(req))


# The session class needs ``OfferfitError`` and ``_encode`` from above.
from ._session import Session  # noqa: E402
