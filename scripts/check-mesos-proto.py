#!/usr/bin/env python3
"""Parses every Mesos message offerfit emits, and every Mesos event the tests feed it, strictly
with protobuf's own JSON parser against Apache Mesos' v1 schema (tests/data/mesos-proto/, Mesos
1.11.0, unchanged): unknown fields, wrong types and bad enum names fail, and every proto2
`required` field must be set (`FindInitializationErrors`). A call must moreover use the fields'
proto names only: Mesos' master silently drops a key in protobuf's lowerCamelCase JSON name
(see `proto_names`); and it must pass the master's `scheduler::call::validate` (its body
present, `framework_id` where it belongs, acknowledged uuids of 16 bytes: `call_validate`).
An event must hold what a master's events hold (status update uuids of 16 bytes).

    python3 scripts/check-mesos-proto.py --offerfit target/debug/offerfit [--seed N] [--random K]

(`./scripts/test.sh session` runs it in a venv with the pinned `protobuf` and `grpcio-tools`.)

What is checked, each as a Mesos v1 scheduler `Call` (or `Event`):
  goldens   every `calls` entry of the session goldens (tests/data/session/*.out.jsonl);
  random    the calls of K random session transcripts run now through `offerfit session`
            (offers, tasks and events drawn from the goldens and golden plans, with updates,
            rescinds, kills, inverse offers, disconnects and framework failovers; each one is
            written to target/mesos-proto/ so a failure can be replayed);
  place     `calls` of the golden plans (tests/data/place/*.response.json) and of each golden
            plan request answered now with `options.framework_id` set; the request corpus of
            scripts/gen-requests.py (conformance vectors, examples, malformed set) through
            `offerfit call --lines`, every `place` request also with `framework_id` set;
  events    every `event` of the session golden inputs (tests/data/session/*.jsonl) as an
            `Event` (offers' and inverse offers' resources and attributes written in offerfit's
            text shorthand are expanded first with the `parse_resources` / `parse_attributes`
            ops; an event type Mesos 1.11 does not have is a deliberate rule 11 input and is
            listed, not parsed), and examples/mesos-offers-event.json.
Each failure names the file, the line (or the step) and protobuf's error. Exits 1 on any.
"""
import argparse
import base64
import copy
import glob
import json
import os
import random
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROTO_ROOT = os.path.join(ROOT, "tests", "data", "mesos-proto")
SESSION_DIR = os.path.join(ROOT, "tests", "data", "session")
PLACE_DIR = os.path.join(ROOT, "tests", "data", "place")


def rel(path):
    return os.path.relpath(path, ROOT)


def dumps(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


class Checker:
    def __init__(self, proto_root):
        out = tempfile.mkdtemp(prefix="offerfit-mesos-proto-")
        from grpc_tools import protoc  # noqa: PLC0415 - only once the venv is known to have it

        rc = protoc.main(["protoc", "-I" + proto_root, "--python_out=" + out,
                          "mesos/v1/mesos.proto", "mesos/v1/scheduler/scheduler.proto"])
        if rc != 0:
            sys.exit("protoc failed on %s" % proto_root)
        sys.path.insert(0, out)
        from google.protobuf import json_format  # noqa: PLC0415
        from mesos.v1.scheduler import scheduler_pb2  # noqa: PLC0415

        self.json_format = json_format
        self.pb = scheduler_pb2
        self.event_types = set(scheduler_pb2.Event.Type.keys())
        self.counts = {}
        self.kinds = {}
        self.failures = []
        self.camel_events = 0

    def check(self, section, cls, obj, where):
        """Parses `obj` strictly as `cls` (`Call` or `Event`); records a failure with `where`."""
        self.counts[section] = self.counts.get(section, 0) + 1
        kinds = self.kinds.setdefault(section, set())
        kinds.add(str(obj.get("type")) if isinstance(obj, dict) else "?")
        if isinstance(obj, dict) and obj.get("type") == "ACCEPT" and isinstance(obj.get("accept"), dict):
            kinds.update("ACCEPT:%s" % op.get("type") for op in obj["accept"].get("operations") or []
                         if isinstance(op, dict))
        msg = getattr(self.pb, cls)()
        try:
            self.json_format.Parse(json.dumps(obj), msg, ignore_unknown_fields=False)
            missing = msg.FindInitializationErrors()
            if missing:
                raise ValueError("required fields not set: %s" % ", ".join(missing))
            camel = []
            proto_names(msg.DESCRIPTOR, obj, cls, camel)
            if camel and cls == "Call":
                raise ValueError("keys that are not field names: %s (protobuf's JSON names; Mesos' master "
                                 "reads a call with stout's protobuf::parse, which looks fields up by their "
                                 "proto name and silently drops any other key)" % ", ".join(camel))
            self.camel_events += len(camel)
            if cls == "Call":
                master = call_validate(msg)
                if master:
                    raise ValueError("a master refuses it (src/master/validation.cpp, scheduler::call::validate): "
                                     + master)
            else:
                master = event_validate(msg)
                if master:
                    raise ValueError("a master never sends it: " + master)
        except Exception as e:  # noqa: BLE001 - every kind of refusal is reported
            self.failures.append("%s: %s %s: %s\n    %s" % (where, cls, obj.get("type") if isinstance(obj, dict) else "?",
                                                          e, dumps(obj)[:600]))

    def calls(self, section, answer, where):
        if isinstance(answer, dict):
            for i, c in enumerate(answer.get("calls") or []):
                self.check(section, "Call", c, "%s: calls[%d]" % (where, i))


# Calls the check must refuse (run first, so a parser that became lenient fails the check): an
# unknown field, an enum name Mesos does not have, a wrong type, a missing proto2 `required`.
MUST_REFUSE = [
    {"type": "DECLINE", "framework_id": {"value": "F"}, "decline": {"offer_ids": [{"value": "O"}], "refuse": 5}},
    {"type": "DECLINE_ALL", "framework_id": {"value": "F"}},
    {"type": "DECLINE", "framework_id": {"value": "F"}, "decline": {"offer_ids": [{"value": "O"}],
                                                                     "filters": {"refuse_seconds": "soon"}}},
    {"type": "ACCEPT", "framework_id": {"value": "F"}, "accept": {"offer_ids": [{}]}},
    {"type": "SUBSCRIBE", "subscribe": {"framework_info": {"name": "f"}}},
    {"type": "DECLINE", "frameworkId": {"value": "F"}, "decline": {"offer_ids": [{"value": "O"}]}},
    {"type": "REVIVE"},
    {"type": "KILL", "framework_id": {"value": "F"}},
    {"type": "ACKNOWLEDGE", "framework_id": {"value": "F"},
     "acknowledge": {"agent_id": {"value": "S"}, "task_id": {"value": "t"}, "uuid": "AAEC"}},
]


def self_test(ck):
    before = len(ck.failures)
    for i, bad in enumerate(MUST_REFUSE):
        ck.check("self-test", "Call", bad, "self-test %d" % i)
    refused = len(ck.failures) - before
    del ck.failures[before:]
    ck.counts.pop("self-test")
    if refused != len(MUST_REFUSE):
        sys.exit("self-test: the parser refused %d of %d bad calls; it is not strict" % (refused, len(MUST_REFUSE)))


# Call type -> the field its body must be in (scheduler::call::validate's "Expecting '...' to be
# present"); REVIVE, SUPPRESS and TEARDOWN have none that must be set.
CALL_BODIES = {
    "SUBSCRIBE": "subscribe", "ACCEPT": "accept", "DECLINE": "decline",
    "ACCEPT_INVERSE_OFFERS": "accept_inverse_offers", "DECLINE_INVERSE_OFFERS": "decline_inverse_offers",
    "KILL": "kill", "SHUTDOWN": "shutdown", "ACKNOWLEDGE": "acknowledge",
    "ACKNOWLEDGE_OPERATION_STATUS": "acknowledge_operation_status", "RECONCILE": "reconcile",
    "RECONCILE_OPERATIONS": "reconcile_operations", "MESSAGE": "message", "REQUEST": "request",
    "UPDATE_FRAMEWORK": "update_framework",
}


def call_validate(call):
    """The rules of Mesos 1.11's `scheduler::call::validate` (src/master/validation.cpp) that the
    schema cannot say, in our words; the first one broken, or None."""
    if not call.HasField("type"):
        return "no `type`"
    kind = call.Type.Name(call.type)
    body = CALL_BODIES.get(kind)
    if body and not call.HasField(body):
        return "a %s call without `%s`" % (kind, body)
    if kind == "SUBSCRIBE":
        info = call.subscribe.framework_info
        if info.HasField("id") != call.HasField("framework_id") or info.id.value != call.framework_id.value:
            return "`framework_id` differs from `subscribe.framework_info.id`"
        return None
    if not call.HasField("framework_id"):
        return "no `framework_id` (every call but SUBSCRIBE has one)"
    if kind == "UPDATE_FRAMEWORK" and call.update_framework.framework_info.id.value != call.framework_id.value:
        return "`framework_id` differs from `update_framework.framework_info.id`"
    # id::UUID::fromBytes: a status update's uuid is the 16 bytes of a UUID.
    if kind == "ACKNOWLEDGE" and len(call.acknowledge.uuid) != 16:
        return "`acknowledge.uuid` is %d bytes, not a UUID's 16" % len(call.acknowledge.uuid)
    if kind == "ACKNOWLEDGE_OPERATION_STATUS":
        ack = call.acknowledge_operation_status
        if len(ack.uuid) != 16:
            return "`acknowledge_operation_status.uuid` is %d bytes, not a UUID's 16" % len(ack.uuid)
        if not ack.HasField("agent_id"):
            return "`acknowledge_operation_status` without `agent_id`"
    return None


def event_validate(event):
    """What a master's events always hold that the schema leaves optional; the first one
    missing, or None. A status update's `uuid`, when there is one, is a UUID's 16 bytes (the
    agent and the master make it with `id::UUID::random().toBytes()`), and so the session's
    acknowledgement of it can pass `call_validate`."""
    kind = event.Type.Name(event.type) if event.HasField("type") else None
    if kind == "UPDATE" and event.update.status.HasField("uuid") and len(event.update.status.uuid) != 16:
        return "`update.status.uuid` is %d bytes, not a UUID's 16" % len(event.update.status.uuid)
    if kind == "UPDATE_OPERATION_STATUS":
        st = event.update_operation_status.status
        if st.HasField("uuid") and len(st.uuid.value) != 16:
            return "`update_operation_status.status.uuid` is %d bytes, not a UUID's 16" % len(st.uuid.value)
    return None


def proto_names(desc, obj, path, found):
    """Collects, into `found`, the keys of `obj` (JSON of message `desc`) that are not a field's
    proto name but its JSON (lowerCamelCase) name. protobuf's json_format takes both; Mesos'
    master does not: src/master/http.cpp `Master::Http::scheduler` parses a JSON call with stout's
    `protobuf::parse` (3rdparty/stout/include/stout/protobuf.hpp, `internal::parse`), which finds
    each key with `FindFieldByName` and skips a key it does not find, so such a field is lost."""
    if not isinstance(obj, dict):
        return
    for key, value in obj.items():
        field = desc.fields_by_name.get(key)
        if field is None:
            field = desc.fields_by_camelcase_name.get(key)
            if field is not None:
                found.append("%s.%s (for `%s`)" % (path, key, field.name))
        if field is None or field.message_type is None:
            continue
        for i, item in enumerate(value if isinstance(value, list) else [value]):
            proto_names(field.message_type, item, "%s.%s%s" % (path, key, "[%d]" % i if isinstance(value, list) else ""),
                        found)


def run_lines(offerfit, lines):
    """Answers JSON Lines requests with `offerfit call --lines -`; one answer per line."""
    data = "".join(line + "\n" for line in lines)
    p = subprocess.run([offerfit, "call", "--lines", "-"], input=data.encode(), capture_output=True, check=False)
    answers = p.stdout.decode().splitlines()
    if len(answers) != len(lines):
        sys.exit("offerfit call --lines answered %d of %d lines: %s" % (len(answers), len(lines), p.stderr.decode()))
    return [json.loads(a) for a in answers]


# ------------------------------------------------------------------------------------------------
# session goldens and their events


def golden_transcripts():
    """[(inputs path, header, [(line number, input or None)], outputs path)] of the session goldens."""
    out = []
    for path in sorted(glob.glob(os.path.join(SESSION_DIR, "*.jsonl"))):
        if path.endswith(".out.jsonl"):
            continue
        with open(path, encoding="utf-8") as f:
            raw = f.read().splitlines()
        header = json.loads(raw[0])
        inputs = []
        for n, line in enumerate(raw[1:], 2):
            try:
                inputs.append((n, json.loads(line)))
            except ValueError:
                inputs.append((n, None))
        out.append((path, header, inputs, path[: -len(".jsonl")] + ".out.jsonl"))
    return out


class Shorthand:
    """Expands offerfit's text shorthand (`"cpus:4;mem:4096"`, `"rack:r1"`) inside Mesos JSON into
    Mesos' own form with offerfit's `parse_resources` / `parse_attributes` ops, so the rest of an
    event can be held to Mesos' schema."""

    def __init__(self, offerfit):
        self.offerfit = offerfit
        self.todo = []

    def collect(self, event):
        for key in ("offers", "inverse_offers"):
            body = event.get(key) if isinstance(event, dict) else None
            for o in (body or {}).get(key) or [] if isinstance(body, dict) else []:
                if isinstance(o, dict):
                    for field, op, answer in (("resources", "parse_resources", "resources"),
                                              ("attributes", "parse_attributes", "attributes")):
                        if isinstance(o.get(field), str):
                            self.todo.append((o, field, {"op": op, "text": o[field]}, answer))

    def expand(self):
        answers = run_lines(self.offerfit, [dumps(req) for _, _, req, _ in self.todo])
        for (o, field, req, key), a in zip(self.todo, answers):
            if not a.get("ok"):
                sys.exit("offerfit refused shorthand %s: %s" % (dumps(req), dumps(a)))
            o[field] = a[key]
        n = len(self.todo)
        self.todo = []
        return n


def check_goldens(ck, offerfit):
    shorthand = Shorthand(offerfit)
    events = []
    unknown = []
    for path, _header, inputs, out_path in golden_transcripts():
        with open(out_path, encoding="utf-8") as f:
            answers = [json.loads(line) for line in f]
        for n, answer in enumerate(answers, 1):
            ck.calls("session goldens", answer, "%s:%d" % (rel(out_path), n))
        for n, inp in inputs:
            ev = inp.get("event") if isinstance(inp, dict) else None
            if not isinstance(ev, dict):
                continue
            # Input line n (line 1 is the header) is answered by output line n - 1.
            answer = answers[n - 2] if n - 2 < len(answers) else {}
            where = "%s:%d" % (rel(path), n)
            if ev.get("type") not in ck.event_types:
                unknown.append("%s (%s)" % (where, ev.get("type")))
                continue
            if not answer.get("ok"):
                unknown.append("%s (refused by the session)" % where)
                continue
            # A status whose uuid the session refused to acknowledge (not 16 bytes: an `error`
            # notice says so) is a deliberately bad one: left out.
            if any(x.get("kind") == "error" and "not the base64 of a 16-byte UUID" in x.get("message", "")
                   for x in answer.get("notices", [])):
                unknown.append("%s (uuid not 16 bytes: not acknowledged)" % where)
                continue
            ev = copy.deepcopy(ev)
            # An offer the session reported `offer_unreadable` is a deliberately bad one: left out.
            bad = {x.get("offer_id") for x in answer.get("notices", []) if x.get("kind") == "offer_unreadable"}
            if bad and isinstance(ev.get("offers"), dict):
                ev["offers"]["offers"] = [o for o in ev["offers"].get("offers", [])
                                          if (o.get("id") or {}).get("value") not in bad]
                unknown.append("%s (offers %s: offer_unreadable)" % (where, ", ".join(sorted(bad))))
            shorthand.collect(ev)
            events.append((ev, "%s:%d: event" % (rel(path), n)))
    expanded = shorthand.expand()
    for ev, where in events:
        ck.check("events", "Event", ev, where)
    fixture = os.path.join(ROOT, "examples", "mesos-offers-event.json")
    with open(fixture, encoding="utf-8") as f:
        ck.check("events", "Event", json.load(f), rel(fixture))
    return expanded, unknown


# ------------------------------------------------------------------------------------------------
# place: golden plans and the request corpus

FRAMEWORK_ID = "fw-proto-check"


def with_framework_id(req):
    """The same `place` request with `options.framework_id` set, or None when it has one already
    (or is not a place request object)."""
    if not isinstance(req, dict) or req.get("op") != "place":
        return None
    opts = req.get("options")
    if opts is None:
        opts = {}
    if not isinstance(opts, dict) or "framework_id" in opts:
        return None
    req = dict(req)
    req["options"] = dict(opts, framework_id=FRAMEWORK_ID)
    return req


def check_place(ck, offerfit):
    lines, wheres = [], []
    for path in sorted(glob.glob(os.path.join(PLACE_DIR, "*.response.json"))):
        with open(path, encoding="utf-8") as f:
            ck.calls("place goldens", json.load(f), rel(path))
    for path in sorted(glob.glob(os.path.join(PLACE_DIR, "*.request.json"))):
        with open(path, encoding="utf-8") as f:
            req = json.load(f)
        req.setdefault("op", "place")
        variant = with_framework_id(req)
        if variant is not None:
            lines.append(dumps(variant))
            wheres.append(("place goldens", rel(path) + " (with options.framework_id)"))
    corpus = os.path.join(tempfile.mkdtemp(prefix="offerfit-corpus-"), "requests.jsonl")
    subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gen-requests.py"), "--out", corpus], check=True,
                   stdout=subprocess.DEVNULL)
    with open(corpus, encoding="utf-8") as f:
        corpus_lines = f.read().splitlines()
    for n, line in enumerate(corpus_lines, 1):
        lines.append(line)
        wheres.append(("place corpus", "gen-requests.py line %d" % n))
        try:
            variant = with_framework_id(json.loads(line))
        except (ValueError, RecursionError):  # the corpus's malformed set
            variant = None
        if variant is not None:
            lines.append(dumps(variant))
            wheres.append(("place corpus", "gen-requests.py line %d (with options.framework_id)" % n))
    for (section, where), answer in zip(wheres, run_lines(offerfit, lines)):
        ck.calls(section, answer, where)
    return len(corpus_lines)


# ------------------------------------------------------------------------------------------------
# random session transcripts

TASK_STATES = ["TASK_STAGING", "TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED", "TASK_FAILED", "TASK_KILLED",
               "TASK_LOST", "TASK_DROPPED", "TASK_GONE", "TASK_UNKNOWN", "TASK_ERROR", "TASK_UNREACHABLE",
               "TASK_KILLING", "TASK_GONE_BY_OPERATOR"]
REASONS = [None, None, "REASON_INVALID_OFFERS", "REASON_RECONCILIATION", "REASON_AGENT_REMOVED",
           "REASON_COMMAND_EXECUTOR_FAILED"]
SOURCES = [None, "SOURCE_MASTER", "SOURCE_AGENT", "SOURCE_EXECUTOR"]


class Pools:
    """What random transcripts are made of: configs, tasks, offers and other events of the goldens."""

    def __init__(self):
        self.configs, self.tasks, self.offers, self.other_events = [], [], [], []
        for _path, header, inputs, out_path in golden_transcripts():
            with open(out_path, encoding="utf-8") as f:
                answers = [json.loads(line) for line in f]
            if isinstance(header.get("config"), dict):
                cfg = copy.deepcopy(header["config"])
                cfg.get("framework", {}).pop("id", None)
                cfg.pop("tasks", None)
                self.configs.append(cfg)
            for n, inp in inputs:
                # Only inputs the session took (rule 11's bad tasks and events stay out).
                if not isinstance(inp, dict) or n - 2 >= len(answers) or not answers[n - 2].get("ok"):
                    continue
                for t in inp.get("submit") or [] if isinstance(inp.get("submit"), list) else []:
                    if isinstance(t, dict) and isinstance(t.get("id"), str):
                        self.tasks.append(t)
                ev = inp.get("event")
                if isinstance(ev, dict) and ev.get("type") == "OFFERS":
                    self.offers.extend(o for o in ev.get("offers", {}).get("offers", []) if isinstance(o, dict))
                elif isinstance(ev, dict) and ev.get("type") in ("INVERSE_OFFERS", "RESCIND_INVERSE_OFFER", "MESSAGE",
                                                                 "FAILURE", "ERROR", "HEARTBEAT",
                                                                 "UPDATE_OPERATION_STATUS"):
                    self.other_events.append(ev)
        for path in sorted(glob.glob(os.path.join(PLACE_DIR, "*.request.json"))):
            with open(path, encoding="utf-8") as f:
                req = json.load(f)
            self.tasks.extend(t for t in req.get("tasks", []) if isinstance(t, dict))
            self.offers.extend(o for o in req.get("offers", []) if isinstance(o, dict) and "agent_id" in o)
        with open(os.path.join(ROOT, "examples", "mesos-offers-event.json"), encoding="utf-8") as f:
            self.offers.extend(json.load(f)["offers"]["offers"])


class Transcript:
    """One random session run interactively through `offerfit session`, restarted at framework
    failovers from the store its notices describe (SESSION.md: `framework.id` + `tasks`)."""

    def __init__(self, ck, offerfit, pools, rng, name, outdir):
        self.ck, self.offerfit, self.pools, self.rng, self.name = ck, offerfit, pools, rng, name
        self.config = copy.deepcopy(rng.choice(pools.configs))
        self.now = 0
        self.fid = None
        self.next_id = 0
        self.store = {}  # task id -> store entry (Task + state + agent ...)
        self.offered = []  # offer ids seen, for rescinds
        self.launched = {}  # task id -> agent id
        self.proc = None
        self.log = open(os.path.join(outdir, name + ".jsonl"), "w", encoding="utf-8")
        self.steps = 0
        self.refused = 0

    def fresh(self, prefix):
        self.next_id += 1
        return "%s%d" % (prefix, self.next_id)

    def start(self):
        if self.proc:
            self.proc.stdin.close()
            self.proc.wait()
        cfg = copy.deepcopy(self.config)
        if self.fid:
            cfg.setdefault("framework", {})["id"] = self.fid
            cfg["tasks"] = list(self.store.values())
        fd, path = tempfile.mkstemp(suffix=".json", prefix="offerfit-session-config-")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(cfg, f)
        self.log.write(dumps({"about": "random transcript (scripts/check-mesos-proto.py)", "config": cfg}) + "\n")
        self.proc = subprocess.Popen([self.offerfit, "session", path], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, bufsize=1)

    def step(self, inp):
        self.steps += 1
        self.now += self.rng.choice([0, 0, 1, 1, 2, 5])
        inp = dict(now=self.now, **inp)
        line = dumps(inp)
        self.log.write(line + "\n")
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        out = self.proc.stdout.readline()
        if not out:
            sys.exit("%s: offerfit session ended at step %d" % (self.name, self.steps))
        answer = json.loads(out)
        if not answer.get("ok"):
            self.refused += 1
            return answer
        self.ck.calls("random sessions", answer, "target/mesos-proto/%s.jsonl step %d" % (self.name, self.steps))
        for c in answer.get("calls", []):
            if c.get("type") == "ACCEPT":
                for op in c.get("accept", {}).get("operations", []):
                    for ti in op.get("launch", {}).get("task_infos", []):
                        self.launched[ti["task_id"]["value"]] = ti["agent_id"]["value"]
        for note in answer.get("notices", []):
            kind = note.get("kind")
            if kind == "subscribed":
                self.fid = note["framework_id"]
            elif kind == "launching" and note.get("task_id") in self.store:
                self.store[note["task_id"]].update(state="LAUNCHING", agent_id=note["agent_id"],
                                                   hostname=note["hostname"], attributes=note.get("attributes", []))
            elif kind == "task_state" and note.get("task_id") in self.store:
                if note.get("terminal"):
                    del self.store[note["task_id"]]
                    self.launched.pop(note["task_id"], None)
                else:
                    self.store[note["task_id"]]["state"] = note["state"]
        if answer.get("wake_at") is not None and self.rng.random() < 0.3:
            self.now = max(self.now, int(answer["wake_at"]))
        return answer

    def subscribe(self):
        self.step({"connect": {}})
        self.step({"event": {"type": "SUBSCRIBED",
                             "subscribed": {"framework_id": {"value": self.fid or self.fresh("F")},
                                            "heartbeat_interval_seconds": 15}}})

    def offers(self):
        picked = []
        for o in self.rng.sample(self.pools.offers, self.rng.randint(1, min(4, len(self.pools.offers)))):
            o = copy.deepcopy(o)
            o["id"] = {"value": self.fresh("O")}
            o["framework_id"] = {"value": self.fid or "F"}
            self.offered.append(o["id"]["value"])
            picked.append(o)
        return {"event": {"type": "OFFERS", "offers": {"offers": picked}}}

    def submit(self):
        tasks = []
        for t in self.rng.sample(self.pools.tasks, self.rng.randint(1, min(3, len(self.pools.tasks)))):
            t = copy.deepcopy(t)
            t["id"] = self.fresh("task-")
            self.store[t["id"]] = dict(t, state="PENDING")
            tasks.append(t)
        answer = self.step({"submit": tasks})
        if not answer.get("ok"):
            for t in tasks:
                self.store.pop(t["id"], None)

    def update(self):
        if self.launched and self.rng.random() < 0.85:
            tid = self.rng.choice(sorted(self.launched))
            agent = self.launched[tid]
        else:
            tid, agent = self.fresh("stranger-"), "S1"
        st = {"task_id": {"value": tid}, "state": self.rng.choice(TASK_STATES), "agent_id": {"value": agent}}
        if self.rng.random() < 0.8:
            st["uuid"] = base64.b64encode(self.rng.randbytes(16)).decode()
        for key, pool in (("reason", REASONS), ("source", SOURCES)):
            v = self.rng.choice(pool)
            if v:
                st[key] = v
        return {"event": {"type": "UPDATE", "update": {"status": st}}}

    def play(self, steps):
        self.start()
        self.subscribe()
        connected = True
        for _ in range(steps):
            r = self.rng.random()
            if not connected:
                self.subscribe()
                connected = True
            elif r < 0.25:
                self.step(self.offers())
            elif r < 0.40:
                self.submit()
            elif r < 0.62:
                self.step(self.update())
            elif r < 0.67 and self.offered:
                self.step({"event": {"type": "RESCIND", "rescind": {"offer_id": {"value": self.rng.choice(self.offered)}}}})
            elif r < 0.72 and self.store:
                self.step({"kill": [self.rng.choice(sorted(self.store))]})
            elif r < 0.78 and self.pools.other_events:
                self.step({"event": copy.deepcopy(self.rng.choice(self.pools.other_events))})
            elif r < 0.90:
                self.step({"tick": {}})
            elif r < 0.96:
                self.step({"disconnected": {}})
                connected = False
            elif self.fid:
                self.start()  # framework failover: a new process from the persisted store
                connected = False
        self.proc.stdin.close()
        self.proc.wait()
        self.log.close()


def check_random(ck, offerfit, seed, count, steps):
    outdir = os.path.join(ROOT, "target", "mesos-proto")
    os.makedirs(outdir, exist_ok=True)
    pools = Pools()
    total, refused = 0, 0
    for i in range(count):
        t = Transcript(ck, offerfit, pools, random.Random("%d/%d" % (seed, i)), "random-%d-%d" % (seed, i), outdir)
        t.play(steps)
        total += t.steps
        refused += t.refused
    return total, refused


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--offerfit", default=os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")),
                                                       "debug", "offerfit"))
    ap.add_argument("--proto-root", default=PROTO_ROOT, help="holds mesos/v1/{mesos,scheduler/scheduler}.proto")
    ap.add_argument("--seed", type=int, default=1, help="seed of the random transcripts (default 1)")
    ap.add_argument("--random", type=int, default=12, help="how many random transcripts (default 12)")
    ap.add_argument("--steps", type=int, default=150, help="steps per random transcript (default 150)")
    ap.add_argument("--calls", action="append", default=[], metavar="FILE",
                    help="JSON Lines of calls a host sent (e.g. the framework example's, recorded by its test)")
    args = ap.parse_args()
    ck = Checker(args.proto_root)
    self_test(ck)
    expanded, unknown = check_goldens(ck, args.offerfit)
    corpus = check_place(ck, args.offerfit)
    steps, refused = check_random(ck, args.offerfit, args.seed, args.random, args.steps)
    for path in args.calls:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                ck.check("host calls", "Call", json.loads(line), "%s:%d" % (path, n))
    for f in ck.failures:
        print(f)
    print("Mesos 1.11.0 v1 schema (%s), protobuf %s:" % (rel(args.proto_root), __import__("google.protobuf").protobuf.__version__))
    for section in ("session goldens", "random sessions", "place goldens", "place corpus", "host calls", "events"):
        print("  %-16s %5d %s (%s)" % (section, ck.counts.get(section, 0), "events" if section == "events" else "calls",
                                      ", ".join(sorted(ck.kinds.get(section, ())))))
    print("  random sessions: seed %d, %d transcripts, %d steps (%d refused inputs), in target/mesos-proto/"
          % (args.seed, args.random, steps, refused))
    print("  place corpus: %d requests of scripts/gen-requests.py, place ones also with options.framework_id" % corpus)
    print("  events: %d shorthand resources/attributes expanded; deliberate rule 11 inputs (not Mesos 1.11 event types, refused or unreadable; "
          "bad inputs, left out): %s" % (expanded, ", ".join(unknown) or "none"))
    print("  events: %d keys in protobuf's JSON (camelCase) names, which the session accepts and a master never "
          "writes" % ck.camel_events)
    print("%d messages parsed, %d refused" % (sum(ck.counts.values()), len(ck.failures)))
    needed = ["session goldens", "random sessions", "place corpus", "events"] + (["host calls"] if args.calls else [])
    sys.exit(1 if ck.failures or not all(ck.counts.get(s) for s in needed) else 0)


if __name__ == "__main__":
    main()
