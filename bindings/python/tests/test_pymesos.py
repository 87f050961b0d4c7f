"""The pymesos example (examples/pymesos_scheduler.py) with pymesos' own classes: a real
`MesosSchedulerDriver` whose HTTP `_send` is replaced by a recorder, fed the OFFERS event of
examples/mesos-offers-event.json through its own event handler. The calls the driver would
POST must be the ones offerfit's plan holds, and every offer must be answered once."""

import copy
import json
import os
import sys
from typing import Any, Dict, List

import pytest

pymesos = pytest.importorskip("pymesos")

import offerfit  # noqa: E402
from conftest import ROOT  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "examples"))
from pymesos_scheduler import OfferfitScheduler  # noqa: E402

FRAMEWORK_ID = "5b7e2f3a-1c44-4d1e-9a0b-7f3c2d1e0a9b-0007"

with open(os.path.join(ROOT, "examples", "mesos-offers-event.json"), encoding="utf-8") as f:
    OFFERS_EVENT = json.load(f)

TASKS: List[Dict[str, Any]] = [
    {"id": f"action-{i}", "group": "actions", "cpus": 1, "mem": 2048, "ports": [0],
     "constraints": ["hostname UNIQUE"],
     "task_info": {"name": f"action-{i}", "command": {"value": "./run"}}}
    for i in range(2)
] + [{"id": "huge", "cpus": 64, "mem": 1024}]


class RecordingDriver(pymesos.MesosSchedulerDriver):  # type: ignore[misc]
    """pymesos' driver, connected to nothing: each call it would POST is recorded."""

    def __init__(self, sched: Any) -> None:
        super().__init__(sched, {"user": "", "name": "test", "roles": ["openwhisk"]}, "127.0.0.1:5050",
                         use_addict=True)
        self.framework_id = FRAMEWORK_ID
        self.stream_id = "recorded"  # what `connected` looks at
        self.sent: List[Dict[str, Any]] = []

    def _send(self, body: Any, path: str = "/api/v1/scheduler", method: str = "POST", headers: Any = None) -> None:
        self.sent.append(json.loads(json.dumps(body)))


def offers() -> List[Dict[str, Any]]:
    return copy.deepcopy(OFFERS_EVENT["offers"]["offers"])


def test_offers_event_becomes_launch_and_decline_calls() -> None:
    sched = OfferfitScheduler(TASKS, {"roles": ["openwhisk"], "refuse_seconds": 10})
    driver = RecordingDriver(sched)
    assert isinstance(sched, pymesos.Scheduler) and driver.connected
    driver.on_event(copy.deepcopy(OFFERS_EVENT))  # pymesos dispatches to sched.resourceOffers

    plan = offerfit.place(offers(), TASKS, framework_id=FRAMEWORK_ID, roles=["openwhisk"], refuse_seconds=10)
    expected = [c for c in plan.get("calls", []) if c["type"] in ("ACCEPT", "DECLINE")]
    sent = [c for c in driver.sent if c["type"] in ("ACCEPT", "DECLINE")]
    assert len(sent) == len(expected) >= 2
    for got, want in zip(sent, expected):
        assert got == want  # same Mesos v1 call, key order aside
    # Every offer answered exactly once.
    named = [o["value"] for c in sent for o in (c.get("accept") or c["decline"])["offer_ids"]]
    assert sorted(named) == sorted(o["id"]["value"] for o in offers())
    launched = [t["task_id"]["value"] for c in sent if c["type"] == "ACCEPT"
                for op in c["accept"]["operations"] for t in op["launch"]["task_infos"]]
    assert sorted(launched) == ["action-0", "action-1"]
    assert {t["name"] for c in sent if c["type"] == "ACCEPT"
            for op in c["accept"]["operations"] for t in op["launch"]["task_infos"]} == {"action-0", "action-1"}
    assert list(sched.pending) == ["huge"]
    assert not any(c["type"] == "SUPPRESS" for c in driver.sent)


def test_suppress_when_done_and_revive_on_failure() -> None:
    sched = OfferfitScheduler(TASKS[:2], {"roles": ["openwhisk"]})
    driver = RecordingDriver(sched)
    driver.on_event(copy.deepcopy(OFFERS_EVENT))
    assert [c["type"] for c in driver.sent][-1] == "SUPPRESS"
    assert not sched.pending and sorted(sched.launched) == ["action-0", "action-1"]
    agent = offers()[0]["agent_id"]
    driver.sent.clear()
    driver.on_event({"type": "UPDATE", "update": {"status": {
        "task_id": {"value": "action-1"}, "agent_id": agent, "state": "TASK_FAILED", "uuid": "AAAA"}}})
    assert list(sched.pending) == ["action-1"]
    assert [c["type"] for c in driver.sent] == ["REVIVE", "ACKNOWLEDGE"]
    # The next offers launch it again.
    driver.sent.clear()
    driver.on_event(copy.deepcopy(OFFERS_EVENT))
    launched = [t["task_id"]["value"] for c in driver.sent if c["type"] == "ACCEPT"
                for op in c["accept"]["operations"] for t in op["launch"]["task_infos"]]
    assert launched == ["action-1"]


def test_a_bad_task_raises_before_any_call() -> None:
    sched = OfferfitScheduler([{"id": "t", "cpus": 1, "constraints": ["rack LIKEE r1"]}], {})
    driver = RecordingDriver(sched)
    with pytest.raises(offerfit.OfferfitError) as info:
        driver.on_event(copy.deepcopy(OFFERS_EVENT))
    assert info.value.code == "constraint.unknown_operator" and info.value.path == "/tasks/0/constraints/0"
    assert driver.sent == []
