#!/usr/bin/env python3
"""A Mesos framework scheduler built on `offerfit session` (Python 3 standard library only).

The host loop of docs/session.md, for real: the session (a child process speaking JSON Lines)
makes every decision; this file owns the HTTP connection to the master (Mesos v1 scheduler
API, POST /api/v1/scheduler, RecordIO stream, Mesos-Stream-Id), the clock and the store.

    python3 examples/framework/scheduler.py --master http://HOST:5050 \
        --config examples/framework/config.json --tasks examples/framework/tasks.json

The store (--state, JSON) keeps the framework id and every task as the notices described it;
it is written (fsync + rename) before the calls of the answer that produced the notices are
sent, so a crash never loses a launch the master may have received. On start the session is
configured with `framework.id` and the stored tasks (failover without launching twice), and the
tasks of --tasks not in the store are submitted.
"""

import argparse
import http.client
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

API = "/api/v1/scheduler"


def log(*a):
    print("scheduler:", *a, file=sys.stderr, flush=True)


class Store:
    """The durable state: {"framework_id": str|None, "tasks": {id: task record}}."""

    def __init__(self, path):
        self.path = path
        self.data = {"framework_id": None, "tasks": {}}
        if os.path.exists(path):
            with open(path) as f:
                self.data = json.load(f)

    def save(self):
        d = os.path.dirname(os.path.abspath(self.path))
        fd, tmp = tempfile.mkstemp(dir=d, prefix=".state-")
        with os.fdopen(fd, "w") as f:
            json.dump(self.data, f, indent=1, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)

    def apply(self, notice):
        """Takes in one notice; returns True when the store changed."""
        kind, tasks = notice.get("kind"), self.data["tasks"]
        if kind == "subscribed":
            changed = self.data.get("framework_id") != notice["framework_id"]
            self.data["framework_id"] = notice["framework_id"]
            return changed
        if kind == "launching":
            t = tasks.setdefault(notice["task_id"], {"id": notice["task_id"]})
            t.update(state="LAUNCHING", agent_id=notice["agent_id"], hostname=notice["hostname"],
                     attributes=notice.get("attributes", []))
            for key in ("region", "zone"):
                if key in notice:
                    t[key] = notice[key]
                else:
                    t.pop(key, None)
            return True
        if kind == "task_state" and notice.get("known", True):
            tid = notice["task_id"]
            if tid not in tasks:
                return False
            if notice.get("terminal"):
                del tasks[tid]
            else:
                tasks[tid]["state"] = notice["state"]
            return True
        return False


class Session:
    """`offerfit session CONFIG.json` as a child process: one line in, one line out."""

    def __init__(self, binary, config):
        self.cfg = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
        json.dump(config, self.cfg)
        self.cfg.close()
        self.proc = subprocess.Popen([binary, "session", self.cfg.name], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, bufsize=1)
        self.last_now = 0.0

    def step(self, kind, value):
        now = max(self.last_now, time.time())
        self.last_now = now
        self.proc.stdin.write(json.dumps({"now": now, kind: value}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("offerfit session exited")
        out = json.loads(line)
        if not out.get("ok"):
            raise RuntimeError("the session refused %s: %s" % (kind, out.get("errors")))
        return out

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()
        os.unlink(self.cfg.name)


class Master:
    """The connection to the leading master: the subscription stream and the calls."""

    def __init__(self, url, events):
        self.url = url.rstrip("/")
        self.events = events  # queue of ("event", dict, gen) / ("broken", reason, gen)
        self.stream_id = None
        self.gen = 0

    def _conn(self, url):
        u = urllib.parse.urlsplit(url)
        cls = http.client.HTTPSConnection if u.scheme == "https" else http.client.HTTPConnection
        return cls(u.hostname, u.port or (443 if u.scheme == "https" else 80), timeout=None), u

    def subscribe(self, call):
        """POSTs SUBSCRIBE (following 307 to the leader) and starts reading the stream."""
        self.gen += 1
        gen, body, url = self.gen, json.dumps(call).encode(), self.url + API
        for _ in range(5):
            conn, u = self._conn(url)
            conn.request("POST", u.path or API, body=body,
                         headers={"Content-Type": "application/json", "Accept": "application/json",
                                  "Connection": "close"})
            resp = conn.getresponse()
            if resp.status in (301, 302, 307, 308):
                location = resp.getheader("Location", "")
                resp.read()
                conn.close()
                # Mesos answers a non-leading master's SUBSCRIBE with 307 and a scheme-relative
                # `Location: //leader:5050/api/v1/scheduler`.
                url = urllib.parse.urljoin(url, location)
                self.url = url[: -len(API)] if url.endswith(API) else url
                log("redirected to the leading master", self.url)
                continue
            if resp.status != 200:
                text = resp.read()[:200]
                conn.close()
                raise ConnectionError("SUBSCRIBE answered %d: %r" % (resp.status, text))
            self.stream_id = resp.getheader("Mesos-Stream-Id")
            threading.Thread(target=self._read, args=(conn, resp, gen), daemon=True).start()
            return
        raise ConnectionError("too many redirects")

    def _read(self, conn, resp, gen):
        """RecordIO: `<length>\\n<length bytes of JSON>`, repeated."""
        try:
            while True:
                header = resp.readline()
                if not header:
                    raise EOFError("stream closed")
                if not header.strip():
                    continue
                record = resp.read(int(header))
                self.events.put(("event", json.loads(record), gen))
        except Exception as e:  # the stream broke, whichever way
            self.events.put(("broken", repr(e), gen))
        finally:
            conn.close()

    def post(self, call):
        conn, u = self._conn(self.url + API)
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.stream_id:
            headers["Mesos-Stream-Id"] = self.stream_id
        try:
            conn.request("POST", u.path, body=json.dumps(call).encode(), headers=headers)
            resp = conn.getresponse()
            text = resp.read()
            if resp.status != 202:
                log("%s answered %d: %r" % (call.get("type"), resp.status, text[:200]))
        finally:
            conn.close()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--master", required=True, help="http://HOST:5050 (any master: redirects are followed)")
    p.add_argument("--config", required=True, help="the session config (docs/session.md)")
    p.add_argument("--tasks", help="a JSON list of tasks (place Task JSON) to run")
    p.add_argument("--state", default="framework-state.json", help="the store (default %(default)s)")
    p.add_argument("--offerfit", default=os.environ.get("OFFERFIT", shutil.which("offerfit") or "offerfit"))
    args = p.parse_args(argv)

    store = Store(args.state)
    with open(args.config) as f:
        config = json.load(f)
    if store.data.get("framework_id"):
        config.setdefault("framework", {})["id"] = store.data["framework_id"]
    config["tasks"] = list(store.data["tasks"].values())
    new = []
    if args.tasks:
        with open(args.tasks) as f:
            new = [t for t in json.load(f) if t["id"] not in store.data["tasks"]]
    for t in new:
        store.data["tasks"][t["id"]] = dict(t, state="PENDING")
    store.save()
    log("framework id %s, %d stored tasks, %d new" % (store.data.get("framework_id"), len(config["tasks"]), len(new)))

    events = queue.Queue()
    master = Master(args.master, events)
    session = Session(args.offerfit, config)
    wake_at = [None]

    def handle(out):
        """Persist the notices, then send the calls; returns the inputs the notices ask for."""
        changed = False
        follow = []
        for n in out["notices"]:
            changed |= store.apply(n)
            if n["kind"] == "reconnect":
                follow.append(("connect", {}))
            elif n["kind"] in ("unplaced", "error", "offer_unreadable"):
                log(json.dumps(n)[:300])
        if changed:
            store.save()  # before any call of this answer
        for call in out["calls"]:
            try:
                if call["type"] == "SUBSCRIBE":
                    master.subscribe(call)
                else:
                    master.post(call)
            except (OSError, http.client.HTTPException) as e:
                log("%s failed: %r" % (call["type"], e))
                if call["type"] == "SUBSCRIBE":
                    follow.append(("disconnected", {}))
        wake_at[0] = out["wake_at"]
        return follow

    def feed(kind, value):
        pending = [(kind, value)]
        while pending:
            k, v = pending.pop(0)
            pending.extend(handle(session.step(k, v)))

    try:
        feed("connect", {})
        if new:
            feed("submit", new)
        while True:
            timeout = None if wake_at[0] is None else max(0.0, wake_at[0] - time.time())
            try:
                kind, value, gen = events.get(timeout=timeout)
            except queue.Empty:
                feed("tick", {})
                continue
            if gen != master.gen:
                continue  # an old stream's leftovers
            if kind == "event":
                feed("event", value)
            else:
                log("stream broke:", value)
                master.stream_id = None
                feed("disconnected", {})
    except KeyboardInterrupt:
        pass
    finally:
        session.close()


if __name__ == "__main__":
    main()
