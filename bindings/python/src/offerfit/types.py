"""Typed dictionaries for the shapes of the offerfit JSON contract (docs/contract.md).

Every function of the package takes and returns plain ``dict``/``list`` values; these
``TypedDict`` classes only tell a type checker (mypy, pyright) what keys they hold. Input shapes
are permissive where the contract is (Mesos objects may carry more keys, resources may be a
text string); output shapes list what offerfit writes.
"""

import sys
from typing import Any, Dict, List, Literal, Optional, Union

if sys.version_info >= (3, 11):
    from typing import NotRequired, TypedDict
else:  # pragma: no cover
    from typing_extensions import NotRequired, TypedDict

__all__ = [
    "Span", "ErrorObject", "Id", "Scalar", "Range", "Ranges", "ValueSet", "Text", "Value",
    "Label", "Labels", "Reservation", "Resource", "Attribute", "ResourcesInput", "AttributesInput",
    "Offer", "ConstraintObject", "Constraint", "ParsedConstraint", "Dialect", "RunningTask",
    "Candidate", "VolumeRequest", "Preference", "Elastic", "Executor", "Task", "Strategy",
    "Limits", "PlaceOptions", "PlacedTask", "Accept", "Decline", "Reason", "Nearest", "Unplaced",
    "Stats", "Call", "PlaceResult", "VersionResult", "ParseConstraintsResult", "ConstraintResult",
    "PreferenceResult", "CheckConstraintsResult", "Response", "ResourceOperation",
    "ResourceComparison", "MesosTaskState", "StoredTaskState", "SessionFramework", "SessionTimers",
    "StoredTask", "SessionConfig", "MesosEvent", "ConnectInput", "EventInput", "DisconnectedInput",
    "SubmitInput", "KillInput", "TickInput", "SessionInput", "SubscribedNotice", "LaunchingNotice",
    "TaskStateNotice", "UnplacedNotice", "ErrorNotice", "ReconnectNotice", "OfferUnreadableNotice",
    "SessionNotice", "SessionActions", "Failure", "SessionOutput",
]

# ---------------------------------------------------------------------------------------------
# errors


class Span(TypedDict):
    """Byte offsets of the culprit inside a text of the request."""

    start: int
    end: int


class ErrorObject(TypedDict):
    """One error of an ``ok: false`` answer (or one warning of ``parse_constraints``)."""

    code: str
    message: str
    help: NotRequired[str]
    path: NotRequired[str]
    span: NotRequired[Span]
    line: NotRequired[int]
    column: NotRequired[int]
    rendered: NotRequired[str]


# ---------------------------------------------------------------------------------------------
# Mesos v1 values, resources, attributes, offers


class Id(TypedDict):
    value: str


class Scalar(TypedDict):
    value: float


class Range(TypedDict):
    begin: int
    end: int


class Ranges(TypedDict):
    range: List[Range]


class ValueSet(TypedDict):
    item: List[str]


class Text(TypedDict):
    value: str


class Value(TypedDict):
    """A Mesos v1 ``Value``: ``type`` names the one of the other keys that is present."""

    type: Literal["SCALAR", "RANGES", "SET", "TEXT"]
    scalar: NotRequired[Scalar]
    ranges: NotRequired[Ranges]
    set: NotRequired[ValueSet]
    text: NotRequired[Text]


class Label(TypedDict):
    key: str
    value: NotRequired[str]


class Labels(TypedDict):
    labels: List[Label]


class Reservation(TypedDict):
    type: Literal["STATIC", "DYNAMIC"]
    role: str
    principal: NotRequired[str]
    labels: NotRequired[Labels]


class Resource(TypedDict):
    """A Mesos v1 ``Resource``; output always uses the ``reservations`` form."""

    name: str
    type: Literal["SCALAR", "RANGES", "SET"]
    scalar: NotRequired[Scalar]
    ranges: NotRequired[Ranges]
    set: NotRequired[ValueSet]
    reservations: NotRequired[List[Reservation]]
    role: NotRequired[str]
    reservation: NotRequired[Dict[str, Any]]
    disk: NotRequired[Dict[str, Any]]
    shared: NotRequired[Dict[str, Any]]
    revocable: NotRequired[Dict[str, Any]]


class Attribute(TypedDict):
    name: str
    type: Literal["SCALAR", "RANGES", "SET", "TEXT"]
    scalar: NotRequired[Scalar]
    ranges: NotRequired[Ranges]
    set: NotRequired[ValueSet]
    text: NotRequired[Text]


ResourcesInput = Union[List[Resource], str]
"""Resources as Mesos JSON or as Mesos text (``"cpus:4;mem:1024;ports:[31000-32000]"``)."""

AttributesInput = Union[List[Attribute], str]
"""Attributes as Mesos JSON or as Mesos text (``"rack:r1;zone:a"``)."""


class Offer(TypedDict):
    """A Mesos v1 ``Offer`` (snake_case; camelCase is accepted too, and extra keys ignored)."""

    id: Id
    agent_id: Id
    hostname: str
    resources: ResourcesInput
    framework_id: NotRequired[Id]
    attributes: NotRequired[AttributesInput]
    domain: NotRequired[Dict[str, Any]]
    unavailability: NotRequired[Dict[str, Any]]


# ---------------------------------------------------------------------------------------------
# constraints and tasks


class ConstraintObject(TypedDict):
    field: str
    operator: str
    value: NotRequired[str]


Constraint = Union[str, List[str], ConstraintObject]
"""``"rack LIKE r[12]"``, ``["rack", "GROUP_BY", "3"]`` or ``{"field", "operator", "value"?}``."""


class ParsedConstraint(TypedDict):
    field: str
    operator: str
    value: NotRequired[str]
    text: str


Dialect = Literal["marathon", "openwhisk"]


class RunningTask(TypedDict):
    """A placement that already exists, so that constraints count it."""

    id: str
    group: str
    hostname: str
    agent_id: NotRequired[str]
    attributes: NotRequired[AttributesInput]
    region: NotRequired[str]
    zone: NotRequired[str]


class _Host(TypedDict):
    hostname: str
    attributes: NotRequired[AttributesInput]
    region: NotRequired[str]
    zone: NotRequired[str]


Candidate = Union[_Host, Offer]
"""What ``check_constraints`` evaluates: ``{"hostname", "attributes"?, "region"?, "zone"?}`` or an offer."""


class VolumeRequest(TypedDict):
    size: float
    type: NotRequired[Literal["ROOT", "PATH", "MOUNT"]]
    profile: NotRequired[str]
    max_size: NotRequired[float]
    require: NotRequired[List[Constraint]]
    persistence_id: NotRequired[str]
    container_path: NotRequired[str]


class Preference(TypedDict):
    constraint: Constraint
    weight: NotRequired[float]


class Elastic(TypedDict, total=False):
    cpus: float
    mem: float


class Executor(TypedDict):
    id: str
    cpus: NotRequired[float]
    mem: NotRequired[float]
    disk: NotRequired[float]


class Task(TypedDict):
    """One task to place (``instances`` is its group's target size, not a count to expand)."""

    id: str
    group: NotRequired[str]
    instances: NotRequired[int]
    role: NotRequired[str]
    accepted_roles: NotRequired[List[str]]
    cpus: NotRequired[float]
    mem: NotRequired[float]
    disk: NotRequired[float]
    gpus: NotRequired[float]
    scalars: NotRequired[Dict[str, float]]
    ports: NotRequired[List[int]]
    volumes: NotRequired[List[VolumeRequest]]
    constraints: NotRequired[List[Constraint]]
    preferences: NotRequired[List[Preference]]
    dialect: NotRequired[Dialect]
    gang: NotRequired[str]
    elastic: NotRequired[Elastic]
    executor: NotRequired[Executor]
    gpu_scheduling: NotRequired[Literal["restricted", "unrestricted"]]
    task_info: NotRequired[Dict[str, Any]]
    revocable: NotRequired[bool]


Strategy = Union[Literal["binpack", "spread", "first_fit"], Dict[str, float]]


class Limits(TypedDict, total=False):
    request_bytes: int
    json_depth: int
    offers: int
    tasks: int
    running: int
    constraints_per_task: int
    ranges_per_resource: int
    string_bytes: int
    regex_size: int
    regex_backtrack: int


class PlaceOptions(TypedDict, total=False):
    """The ``options`` of a ``place`` request (also ``place(...)``'s keyword arguments)."""

    strategy: Strategy
    profile: Literal["offerfit", "marathon", "mesos-actor"]
    roles: List[str]
    refuse_seconds: float
    port_selection: Literal["lowest", "random"]
    seed: int
    port_blacklist: Dict[str, List[int]]
    gpu_scheduling: Literal["restricted", "unrestricted"]
    framework_id: str
    principal: str
    explain: bool
    now: float
    drain_seconds: float
    local_region: str
    limits: Limits
    objective: Literal["tasks", "resources"]


# ---------------------------------------------------------------------------------------------
# results


class PlacedTask(TypedDict):
    task_id: str
    resources: List[Resource]
    ports: List[int]
    score: float
    executor_resources: NotRequired[List[Resource]]


class Accept(TypedDict):
    agent_id: str
    hostname: str
    offer_ids: List[str]
    tasks: List[PlacedTask]
    remaining: List[Resource]


class Decline(TypedDict):
    offer_id: str
    refuse_seconds: float
    reason: str


class Reason(TypedDict):
    code: str
    message: str
    offers: int


class Nearest(TypedDict):
    agent_id: str
    hostname: str
    lacking: List[str]
    missing: Dict[str, float]


class Unplaced(TypedDict):
    task_id: str
    reasons: List[Reason]
    nearest: NotRequired[Nearest]


class Stats(TypedDict):
    offers: int
    tasks: int
    placed: int
    evaluations: int
    objective: str
    """``tasks`` or ``resources``: what the answer maximised when not every task fits."""
    objective_value: float
    """The placed count, or the placed share (0-1) of the offered cpus and mem."""
    repair_passes: int
    """Passes of the batch run after the first."""


Call = Dict[str, Any]
"""A Mesos v1 scheduler ``Call`` (``ACCEPT`` with operations, ``DECLINE`` with filters)."""


class PlaceResult(TypedDict):
    """What ``place`` decides (the answer without its ``ok``)."""

    accept: List[Accept]
    decline: List[Decline]
    unplaced: List[Unplaced]
    calls: NotRequired[List[Call]]
    stats: Stats


class VersionResult(TypedDict):
    version: str
    ops: List[str]


class ParseConstraintsResult(TypedDict):
    constraints: List[ParsedConstraint]
    warnings: List[ErrorObject]


class ConstraintResult(TypedDict):
    text: str
    satisfied: bool


class PreferenceResult(TypedDict):
    text: str
    weight: float
    satisfied: bool


class CheckConstraintsResult(TypedDict):
    satisfied: bool
    results: List[ConstraintResult]
    preferences: NotRequired[List[PreferenceResult]]
    score: NotRequired[float]
    warnings: List[ErrorObject]


Response = Dict[str, Any]
"""Any answer of ``call``: ``{"ok": True, ...}`` or ``{"ok": False, "errors": [ErrorObject, ...]}``."""

ResourceOperation = Literal["add", "subtract", "allocatable_to"]
ResourceComparison = Literal["contains", "equal"]


# ---------------------------------------------------------------------------------------------
# sessions (SESSION.md; docs/session.md)

MesosTaskState = Literal[
    "TASK_STAGING", "TASK_STARTING", "TASK_RUNNING", "TASK_KILLING", "TASK_FINISHED", "TASK_FAILED",
    "TASK_KILLED", "TASK_ERROR", "TASK_LOST", "TASK_DROPPED", "TASK_UNREACHABLE", "TASK_GONE",
    "TASK_GONE_BY_OPERATOR", "TASK_UNKNOWN",
]
StoredTaskState = Union[Literal["PENDING", "LAUNCHING"], MesosTaskState]
"""A task's state in the host's store: the session's own two, or a Mesos ``TaskState``."""


class SessionFramework(TypedDict):
    """``framework`` of a session config: ``name`` is required; ``id`` is given on failover."""

    name: str
    roles: NotRequired[List[str]]
    principal: NotRequired[str]
    user: NotRequired[str]
    failover_timeout: NotRequired[float]
    checkpoint: NotRequired[bool]
    id: NotRequired[str]
    hostname: NotRequired[str]
    webui_url: NotRequired[str]
    capabilities: NotRequired[List[str]]


class SessionTimers(TypedDict, total=False):
    """``session`` of a session config (seconds; backoffs are ``[first delay, cap]``)."""

    offer_hold_seconds: float
    idle_refuse_seconds: float
    revive_min_interval: float
    reconcile_backoff: List[float]
    implicit_reconcile_seconds: float
    resubscribe_backoff: List[float]
    offer_constraints: bool
    kill_unknown_tasks: bool


class StoredTask(Task):
    """A task of the host's store, as the notices described it: a Task plus its state."""

    state: StoredTaskState
    agent_id: NotRequired[str]
    hostname: NotRequired[str]
    attributes: NotRequired[AttributesInput]
    region: NotRequired[str]
    zone: NotRequired[str]


class SessionConfig(TypedDict):
    """A session's config (``options``: every ``place`` option but ``roles``, ``principal``,
    ``framework_id`` and ``now``, which are refused)."""

    framework: SessionFramework
    options: NotRequired[PlaceOptions]
    session: NotRequired[SessionTimers]
    tasks: NotRequired[List[StoredTask]]


MesosEvent = Dict[str, Any]
"""A Mesos v1 scheduler ``Event`` as the master sends it (``{"type": "OFFERS", "offers": ...}``)."""


class ConnectInput(TypedDict):
    now: float
    connect: Dict[str, Any]


class EventInput(TypedDict):
    now: float
    event: MesosEvent


class DisconnectedInput(TypedDict):
    now: float
    disconnected: Dict[str, Any]


class SubmitInput(TypedDict):
    now: float
    submit: List[Task]


class KillInput(TypedDict):
    now: float
    kill: List[str]


class TickInput(TypedDict):
    now: float
    tick: Dict[str, Any]


SessionInput = Union[ConnectInput, EventInput, DisconnectedInput, SubmitInput, KillInput, TickInput]
"""One session input: ``now`` (Unix seconds, never decreasing) and exactly one kind."""


class SubscribedNotice(TypedDict):
    """Persist ``framework_id`` before anything else."""

    kind: Literal["subscribed"]
    framework_id: str


class LaunchingNotice(TypedDict):
    """Persist the task as ``LAUNCHING`` with these fields before POSTing the step's calls."""

    kind: Literal["launching"]
    task_id: str
    agent_id: str
    hostname: str
    attributes: List[Attribute]
    region: NotRequired[str]
    zone: NotRequired[str]


class TaskStateNotice(TypedDict):
    """A task's new state; ``terminal``: the session forgot it (delete it from the store)."""

    kind: Literal["task_state"]
    task_id: str
    state: MesosTaskState
    reason: NotRequired[str]
    message: NotRequired[str]
    terminal: bool
    known: bool


class UnplacedNotice(TypedDict):
    """A pending task the offers at hand cannot take (when its reasons change)."""

    kind: Literal["unplaced"]
    task_id: str
    reasons: List[Reason]
    nearest: NotRequired[Nearest]


class ErrorNotice(TypedDict):
    kind: Literal["error"]
    message: str


class ReconnectNotice(TypedDict):
    """The reconnect backoff has passed: answer with a ``connect`` input."""

    kind: Literal["reconnect"]


class OfferUnreadableNotice(TypedDict):
    kind: Literal["offer_unreadable"]
    offer_id: str
    errors: List[ErrorObject]


SessionNotice = Union[SubscribedNotice, LaunchingNotice, TaskStateNotice, UnplacedNotice, ErrorNotice,
                      ReconnectNotice, OfferUnreadableNotice]


class SessionActions(TypedDict):
    """An accepted input: the calls to POST in order, notices, the next ``tick`` time."""

    ok: Literal[True]
    calls: List[Call]
    notices: List[SessionNotice]
    wake_at: Optional[float]


class Failure(TypedDict):
    """A refused input (nothing changed)."""

    ok: Literal[False]
    errors: List[ErrorObject]


SessionOutput = Union[SessionActions, Failure]
"""One step's answer, narrowed by ``ok``."""
