#!/usr/bin/env python3
"""scheduler.py against a scripted fake Mesos master (standard library only).

Two HTTP servers: a non-leading master that answers SUBSCRIBE with 307 and a scheme-relative
Location (as Mesos does), and the leader, which answers SUBSCRIBE with a RecordIO stream
(SUBSCRIBED, OFFERS, then UPDATEs once the ACCEPT came), breaks the first stream once the
updates were acknowledged, and records every POSTed call with its headers and a snapshot of the
scheduler's state file at the moment the call arrived. Then the scheduler is killed and
restarted from its state file. Run: `python3 examples/framework/test_scheduler.py` or pytest.
Needs the `offerfit` binary: $OFFERFIT, else $CARGO_TARGET_DIR/debug/offerfit, else
target/debug/offerfit (build it with `cargo build -p offerfit-cli`).
"""

import base64
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def offerfit_binary():
    if os.environ.get("OFFERFIT"):
        return os.environ["OFFERFIT"]
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    return os.path.join(target, "debug", "offerfit")


def record(obj):
    data = json.dumps(obj).encode()
    return b"%d\n%s" % (len(data), data)


def uuid_of(task_id):
    """A status update uuid as an agent makes it: 16 bytes (here the task id, padded), base64."""
    return base64.b64encode(task_id.encode().ljust(16, b"\0")[:16]).decode()


class FakeMaster:
    """The leader's script and the record of everything the scheduler POSTed."""

    def __init__(self, state_path):
        self.state_path = state_path
        self.calls = []  # dicts: type, body, stream_id header, state snapshot, server
        self.cond = threading.Condition()
        self.subscriptions = 0
        self.stop = threading.Event()

    def add(self, entry):
        with self.cond:
            self.calls.append(entry)
            self.cond.notify_all()

    def wait_for(self, pred, timeout=30):
        deadline = time.time() + timeout
        with self.cond:
            while not pred(self.calls):
                left = deadline - time.time()
                if left <= 0:
                    raise AssertionError("timed out; calls: %s" % [c["type"] for c in self.calls])
                self.cond.wait(left)

    def snapshot(self):
        try:
            with open(self.state_path) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None


def handler_for(master, role, leader_port=None):
    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def log_message(self, *a):
            pass

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            entry = {"type": body.get("type"), "body": body, "server": role,
                     "stream_id": self.headers.get("Mesos-Stream-Id"),
                     "accept": self.headers.get("Accept"), "state": master.snapshot()}
            master.add(entry)
            if role == "follower":
                self.send_response(307)
                self.send_header("Location", "//127.0.0.1:%d/api/v1/scheduler" % leader_port)
                self.end_headers()
                return
            if body.get("type") != "SUBSCRIBE":
                self.send_response(202)
                self.end_headers()
                return
            with master.cond:
                master.subscriptions += 1
                n = master.subscriptions
            stream = "stream-%d" % n
            entry["served_stream"] = stream
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Mesos-Stream-Id", stream)
            self.end_headers()
            w = self.wfile
            w.write(record({"type": "SUBSCRIBED", "subscribed": {
                "framework_id": {"value": "FW-1"}, "heartbeat_interval_seconds": 15}}))
            w.flush()
            if n == 1:
                offers = [{"id": {"value": "O%d" % i}, "framework_id": {"value": "FW-1"},
                           "agent_id": {"value": "S%d" % i}, "hostname": "h%d" % i,
                           "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 4}},
                                         {"name": "mem", "type": "SCALAR", "scalar": {"value": 4096}}]}
                          for i in (1, 2)]
                w.write(record({"type": "OFFERS", "offers": {"offers": offers}}))
                w.flush()
                master.wait_for(lambda cs: sum(c["type"] == "ACCEPT" for c in cs) >= 2)
                for c in [c for c in master.calls if c["type"] == "ACCEPT"]:
                    agent = c["body"]["accept"]["operations"][0]["launch"]["task_infos"][0]["agent_id"]
                    for op in c["body"]["accept"]["operations"]:
                        for ti in op.get("launch", {}).get("task_infos", []):
                            uuid = uuid_of(ti["task_id"]["value"])
                            w.write(record({"type": "UPDATE", "update": {"status": {
                                "task_id": ti["task_id"], "state": "TASK_RUNNING", "agent_id": agent,
                                "source": "SOURCE_EXECUTOR", "uuid": uuid}}}))
                w.flush()
                master.wait_for(lambda cs: sum(c["type"] == "ACKNOWLEDGE" for c in cs) >= 2)
                return  # HTTP/1.0: closing the connection breaks the stream
            try:
                while not master.stop.is_set():
                    w.write(record({"type": "HEARTBEAT"}))
                    w.flush()
                    master.stop.wait(0.2)
            except OSError:
                pass  # the scheduler was killed

    return H


class SchedulerTest(unittest.TestCase):
    def test_against_scripted_master(self):
        binary = offerfit_binary()
        self.assertTrue(os.path.exists(binary), "no offerfit binary at %s" % binary)
        tmp = tempfile.mkdtemp()
        state = os.path.join(tmp, "state.json")
        config = os.path.join(tmp, "config.json")
        with open(os.path.join(HERE, "config.json")) as f:
            cfg = json.load(f)
        cfg["session"]["resubscribe_backoff"] = [0.2, 1]
        with open(config, "w") as f:
            json.dump(cfg, f)
        master = FakeMaster(state)
        leader = http.server.ThreadingHTTPServer(("127.0.0.1", 0), None)
        leader.RequestHandlerClass = handler_for(master, "leader")
        follower = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), handler_for(master, "follower", leader.server_address[1]))
        for s in (leader, follower):
            threading.Thread(target=s.serve_forever, daemon=True).start()
        cmd = [sys.executable, os.path.join(HERE, "scheduler.py"), "--master",
               "http://127.0.0.1:%d" % follower.server_address[1], "--config", config,
               "--tasks", os.path.join(HERE, "tasks.json"), "--state", state, "--offerfit", binary]
        try:
            # Run 1: redirect, subscribe, launch, acknowledge, broken stream, reconnect.
            p = subprocess.Popen(cmd)
            try:
                master.wait_for(lambda cs: sum(c["type"] == "SUBSCRIBE" and c["server"] == "leader"
                                               for c in cs) >= 2)
                master.wait_for(lambda cs: any(c["type"] == "RECONCILE" for c in cs))
            finally:
                p.kill()
                p.wait()
            # Run 2: a framework failover from the state file.
            n_before = len(master.calls)
            p = subprocess.Popen(cmd)
            try:
                master.wait_for(lambda cs: any(c["type"] == "RECONCILE" for c in cs[n_before:]))
            finally:
                p.kill()
                p.wait()
        finally:
            master.stop.set()
            leader.shutdown()
            follower.shutdown()

        calls = master.calls
        if os.environ.get("OFFERFIT_RECORDED_CALLS"):  # for scripts/check-mesos-proto.py --calls
            with open(os.environ["OFFERFIT_RECORDED_CALLS"], "w", encoding="utf-8") as f:
                f.writelines(json.dumps(c["body"]) + "\n" for c in calls)
        subs = [c for c in calls if c["type"] == "SUBSCRIBE"]
        # A start's SUBSCRIBE reaches the follower and is redirected to the leader; the
        # reconnect goes to the leader it already knows.
        self.assertEqual([c["server"] for c in subs], ["follower", "leader", "leader", "follower", "leader"])
        self.assertTrue(all(c["accept"] == "application/json" for c in subs))
        first, reconnect, restart = subs[1], subs[2], subs[4]
        self.assertNotIn("framework_id", first["body"])
        self.assertNotIn("id", first["body"]["subscribe"]["framework_info"])
        for s in (reconnect, restart):
            self.assertEqual(s["body"]["framework_id"], {"value": "FW-1"})
            self.assertEqual(s["body"]["subscribe"]["framework_info"]["id"], {"value": "FW-1"})
        # Every other call carries the stream id of the subscription it belongs to, and the
        # framework id.
        stream = None
        for c in calls:
            if c["type"] == "SUBSCRIBE":
                stream = c.get("served_stream", stream)
                continue
            self.assertEqual(c["stream_id"], stream, c)
            self.assertEqual(c["body"]["framework_id"], {"value": "FW-1"})
        # One ACCEPT per agent with a LAUNCH (hostname UNIQUE), after which the state file
        # already held the framework id and both launches.
        accepts = [c for c in calls if c["type"] == "ACCEPT"]
        launched = sorted(ti["task_id"]["value"] for c in accepts for op in c["body"]["accept"]["operations"]
                          if op["type"] == "LAUNCH" for ti in op["launch"]["task_infos"])
        self.assertEqual(launched, ["web-1", "web-2"])
        for c in accepts:
            st = c["state"]
            self.assertEqual(st["framework_id"], "FW-1")
            for op in c["body"]["accept"]["operations"]:
                for ti in op.get("launch", {}).get("task_infos", []):
                    t = st["tasks"][ti["task_id"]["value"]]
                    self.assertEqual(t["state"], "LAUNCHING")
                    self.assertEqual(t["agent_id"], ti["agent_id"]["value"])
        # Each update acknowledged with its uuid.
        acks = sorted(c["body"]["acknowledge"]["uuid"] for c in calls if c["type"] == "ACKNOWLEDGE")
        self.assertEqual(acks, sorted(uuid_of(t) for t in ("web-1", "web-2")))
        # After the restart: the running tasks reconciled, never launched again.
        after = calls[calls.index(restart):]
        self.assertFalse([c for c in after if c["type"] == "ACCEPT"])
        rec = [c for c in after if c["type"] == "RECONCILE"][0]["body"]["reconcile"]["tasks"]
        self.assertEqual(sorted(t["task_id"]["value"] for t in rec), ["web-1", "web-2"])
        with open(state) as f:
            final = json.load(f)
        self.assertEqual({k: v["state"] for k, v in final["tasks"].items()},
                         {"web-1": "TASK_RUNNING", "web-2": "TASK_RUNNING"})


if __name__ == "__main__":
    unittest.main()
