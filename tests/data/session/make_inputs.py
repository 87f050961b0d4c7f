#!/usr/bin/env python3
"""Writes the inputs of the session golden transcripts (tests/data/session/*.jsonl).

Each transcript is one file: line 1 `{"about", "rule", "config"}`, then one session input per
line. `cargo test --test session_golden` replays each through `offerfit::Session::step_json`,
checks every session contract rule on the answers and compares them with `NAME.out.jsonl`
(`UPDATE_GOLDEN=1` rewrites those). Run this script after editing a transcript here.
"""
import base64
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
FW = {"name": "whisk-invoker", "roles": ["openwhisk"], "principal": "whisk", "user": "root",
      "failover_timeout": 604800, "checkpoint": True}


def offer(oid, agent, host, res="cpus:4;mem:4096", attrs=None, **extra):
    o = {"id": {"value": oid}, "framework_id": {"value": "F1"}, "agent_id": {"value": agent},
         "hostname": host, "resources": res}
    if attrs:
        o["attributes"] = attrs
    o.update(extra)
    return o


def offers(now, *os_):
    return {"now": now, "event": {"type": "OFFERS", "offers": {"offers": list(os_)}}}


def subscribed(now, fid="F1"):
    return {"now": now, "event": {"type": "SUBSCRIBED",
                                  "subscribed": {"framework_id": {"value": fid}, "heartbeat_interval_seconds": 15}}}


def uuid16(short):
    """A status update uuid as a master sends it: a UUID's 16 bytes, base64 (the transcripts name
    them by a short prefix, `"AAEC"` = bytes 00 01 02, padded with zeros)."""
    return base64.b64encode(base64.b64decode(short).ljust(16, b"\0")).decode()


def update(now, task, state, agent="S1", uuid=None, reason=None, message=None, source=None):
    st = {"task_id": {"value": task}, "state": state, "agent_id": {"value": agent}}
    if uuid:
        st["uuid"] = uuid16(uuid)
    if reason:
        st["reason"] = reason
    if message:
        st["message"] = message
    if source:
        st["source"] = source
    return {"now": now, "event": {"type": "UPDATE", "update": {"status": st}}}


def rescind(now, oid):
    return {"now": now, "event": {"type": "RESCIND", "rescind": {"offer_id": {"value": oid}}}}


def task(tid, cpus=1, mem=256, **extra):
    t = {"id": tid, "cpus": cpus, "mem": mem}
    t.update(extra)
    return t


def submit(now, *ts):
    return {"now": now, "submit": list(ts)}


def tick(now):
    return {"now": now, "tick": {}}


def connect(now):
    return {"now": now, "connect": {}}


def disconnected(now):
    return {"now": now, "disconnected": {}}


def kill(now, *ids):
    return {"now": now, "kill": list(ids)}


def cfg(session=None, tasks=None, framework=None, options=None):
    c = {"framework": dict(FW, **(framework or {}))}
    if options:
        c["options"] = options
    if session:
        c["session"] = session
    if tasks:
        c["tasks"] = tasks
    return c


T = {}

T["rule01_subscribe_first"] = ("no call but SUBSCRIBE before SUBSCRIBED; every later call carries the framework id", 1, cfg(), [
    submit(0, task("t1")),
    offers(1, offer("O0", "S1", "h1")),
    update(1, "t1", "TASK_RUNNING", uuid="AAEC"),
    tick(2),
    connect(3),
    offers(3, offer("O1", "S1", "h1")),
    subscribed(4),
    offers(5, offer("O2", "S1", "h1")),
    update(6, "t1", "TASK_RUNNING", uuid="AAEC"),
])

T["rule02_offers_end_once"] = ("every offer ends once: accepted, declined or rescinded; held no longer than offer_hold_seconds", 2,
    cfg(session={"offer_hold_seconds": 10}), [
    connect(0), subscribed(1),
    submit(2, task("t1", cpus=2, group="web", constraints=["hostname UNIQUE"]),
           task("t2", cpus=2, group="web", constraints=["hostname UNIQUE"]),
           task("big", cpus=64)),
    offers(3, offer("O1", "S1", "h1"), offer("O2", "S1", "h1", res="cpus:1;mem:128"), offer("O1", "S1", "h1")),
    offers(4, offer("O3", "S2", "h2"), offer("O4", "S3", "h3")),
    rescind(5, "O4"),
    rescind(6, "O4"),
    offers(7, offer("O5", "S4", "h4", res="cpus:8;mem:8192")),
    tick(13),
    tick(17),
    kill(18, "big"),
    offers(19, offer("O6", "S5", "h5")),
])

T["rule03_refuse_filters"] = ("declines filter for refuse_seconds while tasks are pending, idle_refuse_seconds when none is", 3,
    cfg(options={"refuse_seconds": 7}, session={"idle_refuse_seconds": 1800}), [
    connect(0), subscribed(1),
    offers(2, offer("O1", "S1", "h1")),
    submit(3, task("t1", cpus=2), task("huge", cpus=32)),
    offers(4, offer("O2", "S1", "h1"), offer("O3", "S2", "h2")),
    offers(5, offer("O4", "S3", "h3")),
    kill(6, "huge"),
    offers(7, offer("O5", "S3", "h3")),
])

T["rule04_suppress_revive"] = ("SUPPRESS once when nothing is pending; REVIVE for new work, at most one per revive_min_interval", 4,
    cfg(session={"revive_min_interval": 10}), [
    connect(0), subscribed(1),
    submit(2, task("t1")),
    offers(3, offer("O1", "S1", "h1")),
    update(4, "t1", "TASK_RUNNING", uuid="AAEC"),
    submit(5, task("t2")),
    offers(6, offer("O2", "S2", "h2")),
    submit(7, task("t3")),
    tick(12),
    offers(13, offer("O3", "S3", "h3")),
    submit(14, task("t4", cpus=64)),
    offers(15, offer("O4", "S3", "h3")),
    submit(16, task("t5")),
    tick(20),
    tick(23),
])

T["rule05_acknowledgements"] = ("every UPDATE with a uuid is acknowledged once per delivery, known task or not; none without a uuid", 5,
    cfg(), [
    connect(0), subscribed(1),
    submit(2, task("t1")),
    offers(3, offer("O1", "S1", "h1")),
    update(4, "t1", "TASK_STARTING", uuid="AAEC", source="SOURCE_EXECUTOR"),
    update(5, "t1", "TASK_STARTING", uuid="AAEC", source="SOURCE_EXECUTOR"),
    update(6, "t1", "TASK_RUNNING", uuid="AAED"),
    update(7, "t1", "TASK_RUNNING", reason="REASON_RECONCILIATION", source="SOURCE_MASTER"),
    update(8, "ghost", "TASK_FINISHED", agent="S9", uuid="AAEE"),
    {"now": 9, "event": {"type": "UPDATE_OPERATION_STATUS", "update_operation_status": {"status": {
        "operation_id": {"value": "op1"}, "state": "OPERATION_FINISHED", "uuid": {"value": uuid16("AAEF")},
        "agent_id": {"value": "S1"}, "resource_provider_id": {"value": "rp1"}}}}},
    {"now": 10, "event": {"type": "UPDATE_OPERATION_STATUS", "update_operation_status": {"status": {
        "state": "OPERATION_DROPPED"}}}},
    update(11, "t1", "TASK_FINISHED", uuid="AAEG"),
    update(12, "t1", "TASK_FINISHED", uuid="AAEG"),
])

T["rule06_running_counts"] = ("launched tasks count for UNIQUE / MAX_PER until a terminal state; a refused launch goes back to pending", 6,
    cfg(), [
    connect(0), subscribed(1),
    submit(2, task("w1", group="web", constraints=["hostname UNIQUE"]),
           task("r1", group="rack", constraints=["rack MAX_PER 1"])),
    offers(3, offer("O1", "S1", "h1", attrs="rack:r1")),
    submit(4, task("w2", group="web", constraints=["hostname UNIQUE"]),
           task("r2", group="rack", constraints=["rack MAX_PER 1"])),
    offers(5, offer("O2", "S1", "h1", attrs="rack:r1")),
    update(6, "w1", "TASK_RUNNING", uuid="AAEC"),
    update(7, "w1", "TASK_FAILED", uuid="AAED", message="exit 1"),
    offers(8, offer("O3", "S1", "h1", attrs="rack:r1")),
    update(9, "r1", "TASK_ERROR", uuid="AAEE", reason="REASON_INVALID_OFFERS"),
    offers(10, offer("O4", "S1", "h1", attrs="rack:r1")),
])

T["rule07_reconciliation_retries"] = ("explicit RECONCILE at SUBSCRIBED, retried with capped exponential backoff for silent tasks; then implicit", 7,
    cfg(framework={"id": "F1"}, session={"reconcile_backoff": [2, 5], "implicit_reconcile_seconds": 100},
        tasks=[dict(task("a"), state="TASK_RUNNING", agent_id="S1", hostname="h1"),
               dict(task("b"), state="TASK_RUNNING", agent_id="S2", hostname="h2"),
               dict(task("c"), state="LAUNCHING", agent_id="S3", hostname="h3")]), [
    connect(0), subscribed(1),
    update(2, "a", "TASK_RUNNING", reason="REASON_RECONCILIATION", source="SOURCE_MASTER"),
    tick(3),
    update(4, "b", "TASK_RUNNING", agent="S2", reason="REASON_RECONCILIATION", source="SOURCE_MASTER"),
    tick(7),
    tick(12),
    tick(17),
    update(18, "c", "TASK_STAGING", agent="S3", reason="REASON_RECONCILIATION", source="SOURCE_MASTER"),
    tick(50),
    tick(118),
    tick(218),
])

T["rule08_framework_failover"] = ("a framework failover rebuilds from framework.id and the store; a task is never launched twice", 8,
    cfg(framework={"id": "F1"}, options={"refuse_seconds": 5},
        tasks=[dict(task("t1", group="web", constraints=["hostname UNIQUE"]), state="LAUNCHING", agent_id="S1", hostname="h1",
                    attributes="rack:r1"),
               dict(task("t2", group="web", constraints=["hostname UNIQUE"]), state="TASK_RUNNING", agent_id="S2", hostname="h2"),
               dict(task("t3", group="web", constraints=["hostname UNIQUE"]), state="LAUNCHING", agent_id="S3", hostname="h3"),
               dict(task("t4", group="web", constraints=["hostname UNIQUE"]), state="PENDING"),
               dict(task("t5"), state="TASK_FINISHED", agent_id="S1", hostname="h1")]), [
    connect(0), subscribed(1),
    offers(2, offer("O1", "S1", "h1"), offer("O2", "S2", "h2"), offer("O3", "S3", "h3")),
    update(3, "t1", "TASK_RUNNING", reason="REASON_RECONCILIATION", source="SOURCE_MASTER"),
    update(4, "t3", "TASK_LOST", agent="S3", reason="REASON_RECONCILIATION", source="SOURCE_MASTER",
           message="Reconciliation: Task is unknown"),
    update(4, "t2", "TASK_RUNNING", agent="S2", reason="REASON_RECONCILIATION", source="SOURCE_MASTER"),
    update(5, "t4", "TASK_LOST", agent="S4", reason="REASON_RECONCILIATION", source="SOURCE_MASTER"),
    offers(6, offer("O4", "S1", "h1"), offer("O5", "S3", "h3"), offer("O6", "S4", "h4")),
])

T["rule09_maintenance"] = ("offers of agents about to drain are not used; inverse offers are answered at once", 9,
    cfg(options={"drain_seconds": 3600}), [
    connect(1700000000), subscribed(1700000001),
    submit(1700000002, task("t1"), task("t2")),
    offers(1700000003,
           offer("O1", "S1", "h1", unavailability={"start": {"nanoseconds": "1700001000000000000"}}),
           offer("O2", "S2", "h2", unavailability={"start": {"nanoseconds": "1800000000000000000"}})),
    {"now": 1700000004, "event": {"type": "INVERSE_OFFERS", "inverse_offers": {"inverse_offers": [
        {"id": {"value": "I1"}, "framework_id": {"value": "F1"}, "agent_id": {"value": "S1"},
         "unavailability": {"start": {"nanoseconds": "1700001000000000000"}}},
        {"id": {"value": "I2"}, "framework_id": {"value": "F1"}, "agent_id": {"value": "S2"},
         "unavailability": {"start": {"nanoseconds": "1800000000000000000"}}}]}}},
    {"now": 1700000005, "event": {"type": "RESCIND_INVERSE_OFFER", "rescind_inverse_offer": {"inverse_offer_id": {"value": "I2"}}}},
    offers(1700000006, offer("O3", "S3", "h3")),
])

T["rule10_determinism"] = ("the same inputs give the same bytes (random ports, spread, seed)", 10,
    cfg(options={"strategy": "spread", "port_selection": "random", "seed": 42}), [
    connect(0), subscribed(1),
    submit(2, task("p1", ports=[0, 0]), task("p2", ports=[0]), task("p3", ports=[0])),
    offers(3, offer("O1", "S1", "h1", res="cpus:4;mem:4096;ports:[31000-32000]"),
           offer("O2", "S2", "h2", res="cpus:4;mem:4096;ports:[31000-32000]")),
])

T["rule11_bad_inputs"] = ("host mistakes are refused and change nothing; what a master may send is taken", 11,
    cfg(), [
    connect(0), subscribed(1),
    "{oops",
    "[1, 2]",
    {"tick": {}},
    {"now": "2", "tick": {}},
    {"now": 2, "dance": {}},
    {"now": 2, "tick": {}, "connect": {}},
    {"now": 0, "tick": {}},
    {"now": 2, "submit": [{"id": "t1", "cpus": -1}]},
    {"now": 2, "submit": [{"id": "t1", "cpus": 1, "constraints": ["rack LIKE ["]}]},
    submit(2, task("t1"), task("t1")),
    submit(3, task("t1")),
    submit(4, task("t1")),
    {"now": 5, "event": {"type": "UPDATE", "update": {"status": {"task_id": {"value": "t1"}, "state": "TASK_SLEEPING"}}}},
    {"now": 5, "event": {"type": "FUTURE_EVENT", "future_event": {}}},
    rescind(6, "nope"),
    {"now": 7, "event": {"type": "MESSAGE", "message": {"agent_id": {"value": "S1"}, "executor_id": {"value": "e"}, "data": "aGk="}}},
    {"now": 8, "event": {"type": "HEARTBEAT"}},
    {"now": 9, "event": {"type": "FAILURE", "failure": {"agent_id": {"value": "S1"}}}},
    {"now": 10, "event": {"type": "ERROR", "error": {"message": "Framework has been removed"}}},
    update(11, "nobody", "TASK_RUNNING", uuid="AAEC"),
    kill(12, "nobody"),
    offers(13, offer("O1", "S1", "h1"), {"id": {"value": "O2"}, "agent_id": {"value": "S2"}, "hostname": "h2", "resources": "cpus:x"}),
])

T["rule12_reconnect_backoff"] = ("after a disconnect the reconnect waits, doubling per failed attempt up to the cap", 12,
    cfg(session={"resubscribe_backoff": [2, 10]}), [
    connect(0), subscribed(1),
    disconnected(5),
    tick(6),
    tick(7),
    connect(8),
    disconnected(9),
    tick(13),
    connect(13),
    disconnected(14),
    disconnected(15),
    disconnected(16),
    tick(26),
    connect(27),
    subscribed(28),
    disconnected(30),
])

T["master_failover"] = ("a master failover: the stream breaks, offers are gone, the session resubscribes with its id and reconciles", 2,
    cfg(session={"offer_hold_seconds": 30}), [
    connect(0), subscribed(1),
    submit(2, task("t1"), task("t2", cpus=16)),
    offers(3, offer("O1", "S1", "h1"), offer("O2", "S2", "h2")),
    update(4, "t1", "TASK_RUNNING", uuid="AAEC"),
    disconnected(5),
    tick(6),
    connect(6),
    subscribed(7),
    update(8, "t1", "TASK_RUNNING", reason="REASON_RECONCILIATION", source="SOURCE_MASTER"),
    update(8, "t2", "TASK_LOST", agent="S2", reason="REASON_RECONCILIATION", source="SOURCE_MASTER"),
    offers(9, offer("O3", "S2", "h2", res="cpus:16;mem:4096")),
    rescind(10, "O2"),
])

T["rescind_races_accept"] = ("an offer rescinded after the ACCEPT that used it: the master refuses the launch, the task is placed again", 6,
    cfg(), [
    connect(0), subscribed(1),
    submit(2, task("t1")),
    offers(3, offer("O1", "S1", "h1")),
    rescind(4, "O1"),
    update(5, "t1", "TASK_LOST", uuid="AAEC", reason="REASON_INVALID_OFFERS", source="SOURCE_MASTER",
           message="Task launched with invalid offers: Offer O1 is no longer valid"),
    offers(6, offer("O2", "S2", "h2")),
    update(7, "t1", "TASK_RUNNING", agent="S2", uuid="AAED"),
])

T["dropped_launch_replaced"] = ("a TASK_DROPPED launch goes back to pending without penalty and is placed again", 6,
    cfg(), [
    connect(0), subscribed(1),
    submit(2, task("t1", group="g", constraints=["hostname UNIQUE"]), task("t2", group="g", constraints=["hostname UNIQUE"])),
    offers(3, offer("O1", "S1", "h1"), offer("O2", "S2", "h2")),
    update(4, "t2", "TASK_DROPPED", agent="S2", uuid="AAEC", source="SOURCE_AGENT", message="agent draining"),
    tick(5),
    offers(10, offer("O3", "S2", "h2")),
])

T["kill_tasks"] = ("kills: a pending task is dropped, a launched one gets KILL, again after a reconnect, until a terminal update", 4,
    cfg(), [
    connect(0), subscribed(1),
    submit(2, task("t1"), task("t2", cpus=64)),
    offers(3, offer("O1", "S1", "h1")),
    kill(4, "t2", "t1", "ghost"),
    disconnected(5),
    connect(6),
    subscribed(7),
    update(8, "t1", "TASK_KILLED", uuid="AAEC"),
    kill(9, "t1"),
])

T["rule02_idle_offers_held"] = ("with offer_hold_seconds > 0 offers are held while nothing is pending: a later submit uses them at once without a REVIVE; at the hold's end they are declined with idle_refuse_seconds; a draining agent's offer is never held", 2,
    cfg(session={"offer_hold_seconds": 30}, options={"drain_seconds": 3600}), [
    connect(0), subscribed(1),
    submit(2, task("t1", cpus=3)),
    offers(3, offer("O1", "S1", "h1"), offer("O2", "S2", "h2"),
           offer("O3", "S3", "h3", unavailability={"start": {"nanoseconds": "1000000000000"}})),
    submit(10, task("t2", cpus=2), task("t3", cpus=2)),
    offers(12, offer("O4", "S4", "h4"),
           offer("O5", "S5", "h5", unavailability={"start": {"nanoseconds": "1000000000000"}, "duration": {"nanoseconds": "3600000000000"}})),
    tick(20),
    tick(42),
    submit(50, task("t4")),
])

T["unplaced_notices"] = ("unplaced notices carry place's reasons and come only when the reasons change", 3,
    cfg(session={"offer_hold_seconds": 60}), [
    connect(0), subscribed(1),
    submit(2, task("t1", cpus=6, constraints=["rack LIKE r2"])),
    offers(3, offer("O1", "S1", "h1", attrs="rack:r1")),
    offers(4, offer("O2", "S2", "h2", attrs="rack:r1")),
    offers(5, offer("O3", "S3", "h3", attrs="rack:r2")),
    offers(6, offer("O4", "S4", "h4", res="cpus:8;mem:4096", attrs="rack:r2")),
])

T["offer_constraints"] = ("opt-in Mesos offer constraints from what every pending task shares", 4,
    cfg(session={"offer_constraints": True}), [
    connect(0), subscribed(1),
    submit(2, task("t1", constraints=["rack LIKE r[12]", "hostname UNIQUE"]), task("t2", constraints=["rack LIKE r[12]"])),
    submit(3, task("t3", constraints=["zone CLUSTER z1", "rack LIKE r[12]"])),
    offers(4, offer("O1", "S1", "h1", res="cpus:8;mem:8192", attrs="rack:r1;zone:z1")),
    submit(20, task("t4")),
])

T["unknown_task_killed"] = ("an unknown live task found by reconciliation is reported and, when asked, killed", 11,
    cfg(session={"kill_unknown_tasks": True, "implicit_reconcile_seconds": 10}), [
    connect(0), subscribed(1),
    tick(11),
    update(12, "stray", "TASK_RUNNING", agent="S7", reason="REASON_RECONCILIATION", source="SOURCE_MASTER"),
    update(13, "stray", "TASK_KILLED", agent="S7", uuid="AAEC"),
])

T["volumes_and_executors"] = ("ACCEPT with RESERVE, CREATE and LAUNCH as place builds them; an executor charged once per agent", 6,
    cfg(), [
    connect(0), subscribed(1),
    submit(2, task("db", disk=10, volumes=[{"size": 100, "persistence_id": "pv-db", "container_path": "data"}]),
           task("e1", executor={"id": "ex", "cpus": 0.5, "mem": 64}, task_info={"command": {"value": "sleep 10"}}),
           task("e2", executor={"id": "ex", "cpus": 0.5, "mem": 64})),
    offers(3, offer("O1", "S1", "h1", res="cpus:8;mem:8192;disk:1000")),
    update(4, "db", "TASK_RUNNING", uuid="AAEC"),
])

def raw_uuid(event, uuid):
    """`event` with its status uuid replaced by `uuid` as written (not padded to 16 bytes)."""
    event["event"]["update"]["status"]["uuid"] = uuid
    return event


T["rule05_ack_invalid_uuid"] = ("a status whose uuid is not the base64 of 16 bytes is not acknowledged (a master refuses such an ACKNOWLEDGE): an error notice instead", 5,
    cfg(), [
    connect(0), subscribed(1),
    submit(2, task("t1")),
    offers(3, offer("O1", "S1", "h1")),
    raw_uuid(update(4, "t1", "TASK_STARTING"), "AAEC"),
    raw_uuid(update(5, "t1", "TASK_RUNNING"), "AAECAwQFBgcICQoLDA0ODxAREhM="),
    update(6, "t1", "TASK_RUNNING", uuid="AAED"),
    {"now": 7, "event": {"type": "UPDATE_OPERATION_STATUS", "update_operation_status": {"status": {
        "operation_id": {"value": "op1"}, "state": "OPERATION_FINISHED", "uuid": {"value": "AAEF"}, "agent_id": {"value": "S1"}}}}},
    raw_uuid(update(8, "t1", "TASK_FINISHED"), "AAECAAAAAAAAAAAAAAAAAA"),
])

for name, (about, rule, config, inputs) in T.items():
    with open(os.path.join(HERE, name + ".jsonl"), "w") as f:
        f.write(json.dumps({"about": about, "rule": rule, "config": config}, separators=(", ", ": ")) + "\n")
        for i in inputs:
            f.write((i if isinstance(i, str) else json.dumps(i, separators=(", ", ": "))) + "\n")
print(len(T), "transcripts")
