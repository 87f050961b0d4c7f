"""A pymesos scheduler whose placement is offerfit's: resourceOffers -> place -> launchTasks / declineOffer.

Run it against a Mesos master (pip install pymesos; offerfit from bindings/python):

    python pymesos_scheduler.py 127.0.0.1:5050

Every batch of offers goes to ``offerfit.place`` with the tasks still pending; the plan's Mesos
v1 calls are sent through the driver as they are: an ``ACCEPT`` whose operations are all
``LAUNCH`` as ``launchTasks`` (others, e.g. ``RESERVE`` + ``CREATE`` for persistent volumes, as
``acceptOffers``), a ``DECLINE`` as ``declineOffer`` with the plan's ``refuse_seconds``. When
nothing is pending the scheduler suppresses offers; a task that fails goes back to pending and
revives them. One scheduler per driver: pymesos calls it from its one event thread.
"""

import logging
import sys
from typing import Any, Dict, List, Mapping, Sequence

from pymesos import MesosSchedulerDriver, Scheduler

import offerfit
from offerfit.types import PlaceOptions, Task

log = logging.getLogger("offerfit-scheduler")

# States after which a task will not run again by itself (mesos.proto TaskState).
RETRY_STATES = {"TASK_FAILED", "TASK_LOST", "TASK_ERROR", "TASK_DROPPED", "TASK_GONE", "TASK_UNKNOWN"}


class OfferfitScheduler(Scheduler):  # type: ignore[misc]  # pymesos ships no type hints
    """Places ``tasks`` (offerfit's Task shape, ``task_info`` for the TaskInfo's name, command,
    container, ...) on the offers Mesos sends, with ``options`` as ``place`` options."""

    def __init__(self, tasks: Sequence[Task], options: PlaceOptions) -> None:
        self.pending: Dict[str, Task] = {t["id"]: t for t in tasks}
        self.launched: Dict[str, Task] = {}
        self.options = options
        self.suppressed = False

    def resourceOffers(self, driver: Any, offers: List[Mapping[str, Any]]) -> None:
        plan = offerfit.place(offers, list(self.pending.values()),
                              framework_id=driver.framework_id, **self.options)
        for accept in plan["accept"]:
            for placed in accept["tasks"]:
                self.launched[placed["task_id"]] = self.pending.pop(placed["task_id"])
        for unplaced in plan["unplaced"]:
            log.info("%s not placed: %s", unplaced["task_id"],
                     "; ".join(r["message"] for r in unplaced["reasons"]))
        for call in plan.get("calls", []):
            if call["type"] == "ACCEPT":
                accept_call = call["accept"]
                operations = accept_call["operations"]
                if all(op["type"] == "LAUNCH" for op in operations):
                    task_infos = [t for op in operations for t in op["launch"]["task_infos"]]
                    driver.launchTasks(accept_call["offer_ids"], task_infos, accept_call.get("filters"))
                else:
                    driver.acceptOffers(accept_call["offer_ids"], operations, accept_call.get("filters"))
            elif call["type"] == "DECLINE":
                driver.declineOffer(call["decline"]["offer_ids"], call["decline"].get("filters"))
        if not self.pending and not self.suppressed:
            driver.suppressOffers()
            self.suppressed = True

    def statusUpdate(self, driver: Any, update: Mapping[str, Any]) -> None:
        task_id = update["task_id"]["value"]
        if update["state"] in RETRY_STATES and task_id in self.launched:
            self.pending[task_id] = self.launched.pop(task_id)
            if self.suppressed:
                driver.reviveOffers()
                self.suppressed = False
        elif update["state"] in ("TASK_FINISHED", "TASK_KILLED"):
            self.launched.pop(task_id, None)


def main(master: str) -> None:
    tasks: List[Task] = [
        {"id": f"web-{i}", "group": "web", "cpus": 0.5, "mem": 256, "ports": [0],
         "constraints": ["hostname UNIQUE"],
         "task_info": {"name": f"web-{i}", "command": {"value": "python3 -m http.server $PORT0"}}}
        for i in range(3)
    ]
    framework = {"user": "", "name": "offerfit-example", "roles": ["*"]}
    driver = MesosSchedulerDriver(OfferfitScheduler(tasks, {"strategy": "spread"}), framework, master,
                                  use_addict=True)
    driver.run()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    main(sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:5050")
