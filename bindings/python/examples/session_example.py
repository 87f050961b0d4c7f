"""A framework's session in a few steps; `mypy --strict` checks this file and pytest runs it.

The host owns the connection and the store: it POSTs each answer's calls in order and persists
the `subscribed` and `launching` notices before POSTing.
"""

from typing import Dict, List

import offerfit
from offerfit.types import MesosEvent, SessionInput

offers: MesosEvent = {"type": "OFFERS", "offers": {"offers": [
    {"id": {"value": "O1"}, "agent_id": {"value": "S1"}, "hostname": "h1", "resources": "cpus:4;mem:4096"}]}}
inputs: List[SessionInput] = [
    {"now": 0, "connect": {}},
    {"now": 1, "event": {"type": "SUBSCRIBED", "subscribed": {"framework_id": {"value": "F1"}}}},
    {"now": 2, "submit": [{"id": "web-1", "cpus": 1, "mem": 256}]},
    {"now": 3, "event": offers},
]
store: Dict[str, str] = {}
with offerfit.Session({"framework": {"name": "fw", "roles": ["web"]}}) as session:
    for step in inputs:
        out = session.step(step)
        if out["ok"] is False:
            raise SystemExit(out["errors"][0]["message"])
        for notice in out["notices"]:
            if notice["kind"] == "subscribed":
                store["framework_id"] = notice["framework_id"]
            elif notice["kind"] == "launching":
                store[notice["task_id"]] = notice["agent_id"]
        print([call["type"] for call in out["calls"]], out["wake_at"])
print(store)  # {'framework_id': 'F1', 'web-1': 'S1'}
