"""The package's types at work; `mypy --strict` checks this file (scripts/stages/python.sh)."""

from typing import List

import offerfit
from offerfit.types import Offer, PlaceResult, Resource, Task

offers: List[Offer] = [
    {"id": {"value": "o1"}, "agent_id": {"value": "a1"}, "hostname": "h1",
     "resources": "cpus:8;mem:16384;ports:[31000-32000]", "attributes": "rack:r1;zone:a"},
    {"id": {"value": "o2"}, "agent_id": {"value": "a2"}, "hostname": "h2",
     "resources": "cpus:8;mem:16384;ports:[31000-32000]", "attributes": "rack:r2;zone:b"},
]
tasks: List[Task] = [
    {"id": f"web-{i}", "group": "web", "cpus": 1, "mem": 1024, "ports": [0],
     "constraints": ["hostname UNIQUE", ["zone", "GROUP_BY"]]}
    for i in range(3)
]

try:
    plan: PlaceResult = offerfit.place(offers, tasks, strategy="spread", refuse_seconds=30, seed=7)
except offerfit.OfferfitError as e:
    raise SystemExit(f"{e.code} at {e.path}:\n{e.rendered or e.message}")

for accept in plan["accept"]:
    for placed in accept["tasks"]:
        print(f"{placed['task_id']} -> {accept['hostname']} ports {placed['ports']}")
for unplaced in plan["unplaced"]:
    print(unplaced["task_id"], [r["code"] for r in unplaced["reasons"]])

free: List[Resource] = offerfit.resource_math("subtract", offers[0]["resources"], "cpus:1;mem:1024")
fits: bool = offerfit.resource_math("contains", free, "cpus:7")
print(offerfit.format_resources(free), fits)
print(offerfit.version()["version"], [c["text"] for c in offerfit.parse_constraints(["rack LIKE r[12]"])["constraints"]])
