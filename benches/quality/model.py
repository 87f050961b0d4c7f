"""The placement problem of a `place` request, read independently of offerfit, and a checker
of offerfit's answers against it (quality benchmark, issue 21).

Only the part of the contract the generator (gen.py) uses is read: one or more offers per agent
with text (or Mesos JSON) resources `cpus`, `mem`, `disk`, `gpus` (unreserved) and `ports`
ranges, attributes as text or Mesos JSON; tasks with `id`, `group`, `cpus`, `mem`, `disk`,
`gpus`, dynamic ports (`0` entries) and hard constraints `UNIQUE`, `MAX_PER`, `IS`, `LIKE`,
`UNLIKE`. Anything else is refused (`Unsupported`), so the reference never silently models a
different problem than the one offerfit was given.

The rules, from docs/placement.md and docs/constraints.md:
- an agent's offers pool; a task takes its scalars from the agent's free amounts (thousandths,
  as Mesos counts) and as many distinct free ports of the agent's ranges (1-65535) as it has
  dynamic ports;
- `gpu_scheduling: restricted` (the default): a task without GPUs never goes on an agent that
  offers GPUs;
- `field IS v`: the agent's value equals v; `LIKE re` / `UNLIKE re`: the value does / does not
  match the whole-string regex; a missing field fails every operator but `UNLIKE`;
- `field UNIQUE` / `field MAX_PER k`: fewer than 1 / k placed tasks of the task's group share
  the agent's value. The generator's groups are homogeneous (every member carries the same
  constraints), so this is the same as "at most 1 / k tasks of the group per value".
"""

import re


class Unsupported(ValueError):
    """The request uses something the reference does not model."""


SCALARS = ("cpus", "mem", "disk", "gpus")


def milli(x):
    """A Mesos scalar in thousandths (Mesos rounds scalars to three decimals)."""
    return int(round(float(x) * 1000))


def _parse_ranges(text):
    text = text.strip()
    if not (text.startswith("[") and text.endswith("]")):
        raise Unsupported(f"ranges {text!r}")
    out = []
    for part in text[1:-1].split(","):
        part = part.strip()
        if not part:
            continue
        b, e = part.split("-")
        out.append((int(b), int(e)))
    return out


def _resources(res):
    """{scalar name: thousandths}, [port ranges] of an offer's resources (text or JSON)."""
    scal = {}
    ports = []
    if isinstance(res, str):
        for item in res.split(";"):
            item = item.strip()
            if not item:
                continue
            name, value = item.split(":", 1)
            name = name.strip()
            if "(" in name:
                name, role = name.split("(", 1)
                if role.rstrip(")") != "*":
                    raise Unsupported(f"reserved resource {item!r}")
            if name == "ports":
                ports += _parse_ranges(value)
            elif name in SCALARS:
                scal[name] = scal.get(name, 0) + milli(value)
            else:
                raise Unsupported(f"resource {name!r}")
    else:
        for r in res:
            if r.get("reservations") or r.get("role", "*") != "*":
                raise Unsupported("reserved resource")
            if r["name"] == "ports":
                ports += [(int(x["begin"]), int(x["end"])) for x in r["ranges"]["range"]]
            elif r["name"] in SCALARS:
                scal[r["name"]] = scal.get(r["name"], 0) + milli(r["scalar"]["value"])
            else:
                raise Unsupported(f"resource {r['name']!r}")
    return scal, ports


def _attributes(attrs):
    out = {}
    if attrs is None:
        return out
    if isinstance(attrs, str):
        for item in attrs.split(";"):
            if item.strip():
                k, v = item.split(":", 1)
                out.setdefault(k.strip(), v.strip())  # the agent's first attribute of that name
    else:
        for a in attrs:
            if a.get("type", "TEXT") != "TEXT":
                raise Unsupported("non-text attribute")
            out.setdefault(a["name"], a["text"]["value"])
    return out


def merge_ranges(ranges):
    """Sorted, coalesced, clipped to 1-65535 (offerfit never hands out ports outside)."""
    rs = sorted((max(1, b), min(65535, e)) for b, e in ranges if min(65535, e) >= max(1, b))
    out = []
    for b, e in rs:
        if out and b <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((b, e))
    return out


def parse_constraint(c):
    if not isinstance(c, str):
        raise Unsupported(f"constraint {c!r} (only the text form)")
    parts = c.strip().split(None, 2)
    if len(parts) < 2:
        raise Unsupported(f"constraint {c!r}")
    field, op = parts[0], parts[1].upper()
    value = parts[2].strip() if len(parts) > 2 else None
    if field == "@hostname":
        field = "hostname"
    if op == "UNIQUE" and value is None:
        return (field, "MAX_PER", 1)
    if op == "MAX_PER":
        return (field, "MAX_PER", int(value))
    if op in ("IS", "LIKE", "UNLIKE") and value is not None:
        return (field, op, value)
    raise Unsupported(f"constraint {c!r}")


class Problem:
    """Agents and tasks of a `place` request.

    agents: [{id, hostname, offers, attrs, cap: {scalar: thousandths}, ports: [(b, e)], nports}]
    tasks: [{id, group, dem: {scalar: thousandths}, nports, constraints: [(field, op, value)]}]
    """

    def __init__(self, request):
        opts = request.get("options") or {}
        if opts.get("gpu_scheduling", "restricted") != "restricted":
            raise Unsupported("gpu_scheduling")
        if request.get("running"):
            raise Unsupported("running tasks")
        by_agent = {}
        self.agents = []
        for o in request["offers"]:
            aid = o["agent_id"]["value"] if isinstance(o["agent_id"], dict) else o["agent_id"]
            oid = o["id"]["value"] if isinstance(o["id"], dict) else o["id"]
            scal, ports = _resources(o["resources"])
            if aid not in by_agent:
                a = {"id": aid, "hostname": o["hostname"], "offers": [], "attrs": _attributes(o.get("attributes")),
                     "cap": {s: 0 for s in SCALARS}, "ports": []}
                by_agent[aid] = a
                self.agents.append(a)
            a = by_agent[aid]
            a["offers"].append(oid)
            for s, v in scal.items():
                a["cap"][s] += v
            a["ports"] += ports
        for a in self.agents:
            a["ports"] = merge_ranges(a["ports"])
            a["nports"] = sum(e - b + 1 for b, e in a["ports"])
        self.tasks = []
        for t in request["tasks"]:
            extra = set(t) - {"id", "group", "cpus", "mem", "disk", "gpus", "ports", "constraints"}
            if extra:
                raise Unsupported(f"task fields {sorted(extra)}")
            ports = t.get("ports") or []
            if any(p != 0 for p in ports):
                raise Unsupported("fixed ports")
            self.tasks.append({
                "id": t["id"],
                "group": t.get("group", t["id"]),
                "dem": {s: milli(t.get(s, 0)) for s in SCALARS},
                "nports": len(ports),
                "constraints": [parse_constraint(c) for c in t.get("constraints") or []],
            })
        self.agent_index = {a["id"]: i for i, a in enumerate(self.agents)}
        self.task_index = {t["id"]: i for i, t in enumerate(self.tasks)}
        self.total = {s: sum(a["cap"][s] for a in self.agents) for s in SCALARS}
        # Groups and their counting constraints ((field, k) pairs), which must be homogeneous.
        self.groups = {}
        for t in self.tasks:
            counting = sorted((f, v) for f, op, v in t["constraints"] if op == "MAX_PER")
            g = self.groups.setdefault(t["group"], {"counting": counting, "tasks": []})
            if g["counting"] != counting:
                raise Unsupported(f"group {t['group']!r}: members with different UNIQUE/MAX_PER constraints")
            g["tasks"].append(t)

    def value(self, agent, field):
        return agent["hostname"] if field == "hostname" else agent["attrs"].get(field)

    def allowed(self, task, agent):
        """Everything that does not depend on other placements: filters, GPU rule, and a
        missing field under a counting constraint."""
        if agent["cap"]["gpus"] > 0 and task["dem"]["gpus"] == 0:
            return False
        for field, op, value in task["constraints"]:
            v = self.value(agent, field)
            if op == "UNLIKE":
                if v is not None and re.fullmatch(value, v) is not None:
                    return False
            elif v is None:
                return False
            elif op == "IS" and v != value:
                return False
            elif op == "LIKE" and re.fullmatch(value, v) is None:
                return False
        return True

    def fits_empty(self, task, agent):
        return all(task["dem"][s] <= agent["cap"][s] for s in SCALARS) and task["nports"] <= agent["nports"]

    def resources_value(self, task):
        """A task's share of the instance's cpus and mem, averaged: the `resources` objective."""
        c = task["dem"]["cpus"] / self.total["cpus"] if self.total["cpus"] else 0.0
        m = task["dem"]["mem"] / self.total["mem"] if self.total["mem"] else 0.0
        return (c + m) / 2


def _task_resources(resources):
    scal = {}
    ports = []
    for r in resources:
        if r.get("reservations"):
            raise ValueError("reserved resource in an answer")
        if r["name"] == "ports":
            for x in r["ranges"]["range"]:
                ports += list(range(int(x["begin"]), int(x["end"]) + 1))
        else:
            scal[r["name"]] = scal.get(r["name"], 0) + milli(r["scalar"]["value"])
    return scal, ports


def check_answer(problem, answer):
    """Checks an offerfit `place` answer independently. Returns (placement, violations):
    placement maps task id -> agent id; violations is a list of strings (empty when feasible)."""
    bad = []
    if not answer.get("ok"):
        return {}, [f"not ok: {answer.get('errors')}"]
    placement = {}
    seen_offers = []
    used = {a["id"]: {s: 0 for s in SCALARS} for a in problem.agents}
    ports_used = {a["id"]: [] for a in problem.agents}
    for acc in answer.get("accept", []):
        aid = acc["agent_id"]
        if aid not in problem.agent_index:
            bad.append(f"accept names unknown agent {aid}")
            continue
        agent = problem.agents[problem.agent_index[aid]]
        for oid in acc["offer_ids"]:
            if oid not in agent["offers"]:
                bad.append(f"offer {oid} accepted on agent {aid} that did not offer it")
            seen_offers.append(oid)
        for pt in acc["tasks"]:
            tid = pt["task_id"]
            if tid not in problem.task_index:
                bad.append(f"unknown task {tid}")
                continue
            if tid in placement:
                bad.append(f"task {tid} placed twice")
            placement[tid] = aid
            task = problem.tasks[problem.task_index[tid]]
            try:
                scal, ports = _task_resources(pt["resources"])
            except (KeyError, ValueError) as e:
                bad.append(f"task {tid}: resources unreadable ({e})")
                continue
            for s in SCALARS:
                if scal.get(s, 0) != task["dem"][s]:
                    bad.append(f"task {tid} takes {s} {scal.get(s, 0) / 1000} but asks {task['dem'][s] / 1000}")
                used[aid][s] += scal.get(s, 0)
            for s in scal:
                if s not in SCALARS:
                    bad.append(f"task {tid} takes unexpected {s}")
            if len(ports) != task["nports"] or sorted(pt.get("ports", [])) != sorted(ports):
                bad.append(f"task {tid}: ports {pt.get('ports')} / resources {ports}, asks {task['nports']}")
            for p in ports:
                if not any(b <= p <= e for b, e in agent["ports"]):
                    bad.append(f"task {tid}: port {p} not offered by {aid}")
            ports_used[aid] += ports
            if not problem.allowed(task, agent):
                bad.append(f"task {tid} on {aid} breaks a filter constraint or the GPU rule")
    for d in answer.get("decline", []):
        seen_offers.append(d["offer_id"])
    all_offers = [o for a in problem.agents for o in a["offers"]]
    if sorted(seen_offers) != sorted(all_offers):
        bad.append("offers not each accepted or declined exactly once")
    unplaced = [u["task_id"] for u in answer.get("unplaced", [])]
    if sorted(unplaced + list(placement)) != sorted(t["id"] for t in problem.tasks) or len(set(unplaced)) != len(unplaced):
        bad.append("tasks not each placed or unplaced exactly once")
    for a in problem.agents:
        for s in SCALARS:
            if used[a["id"]][s] > a["cap"][s]:
                bad.append(f"agent {a['id']}: {s} {used[a['id']][s] / 1000} placed > {a['cap'][s] / 1000} offered")
        if len(set(ports_used[a["id"]])) != len(ports_used[a["id"]]):
            bad.append(f"agent {a['id']}: a port given twice")
    bad += check_counts(problem, placement)
    return placement, bad


def check_counts(problem, placement):
    """UNIQUE / MAX_PER: per group and field value, at most k placed tasks."""
    bad = []
    for gname, g in problem.groups.items():
        for field, k in g["counting"]:
            per = {}
            for t in g["tasks"]:
                if t["id"] in placement:
                    agent = problem.agents[problem.agent_index[placement[t["id"]]]]
                    v = problem.value(agent, field)
                    per[v] = per.get(v, 0) + 1
            for v, n in per.items():
                if v is None or n > k:
                    bad.append(f"group {gname}: {n} tasks with {field}={v}, at most {k}")
    return bad


def free_after(problem, placement):
    """{agent id: {scalar: free thousandths}} once `placement` (task id -> agent id) is made."""
    free = {a["id"]: dict(a["cap"]) for a in problem.agents}
    for tid, aid in placement.items():
        t = problem.tasks[problem.task_index[tid]]
        for s in SCALARS:
            free[aid][s] -= t["dem"][s]
    return free


def stranded(problem, placement):
    """Capacity left where it cannot be used: the free cpus of agents whose free mem is below the
    smallest mem any task of the instance asks, and the free mem of agents whose free cpus are
    below the smallest cpus. Returns (cpus share, mem share) of the instance's totals."""
    if not problem.tasks:
        return 0.0, 0.0
    min_c = min(t["dem"]["cpus"] for t in problem.tasks)
    min_m = min(t["dem"]["mem"] for t in problem.tasks)
    free = free_after(problem, placement)
    sc = sum(f["cpus"] for f in free.values() if f["mem"] < min_m and f["cpus"] >= min_c)
    sm = sum(f["mem"] for f in free.values() if f["cpus"] < min_c and f["mem"] >= min_m)
    return sc / max(1, problem.total["cpus"]), sm / max(1, problem.total["mem"])


def check_placement(problem, placement):
    """Violations of a task id -> agent id placement (no ports chosen: counts only): capacity,
    port counts, filters, the GPU rule, UNIQUE / MAX_PER. Checks the reference's solutions."""
    bad = []
    free = free_after(problem, placement)
    nports = {a["id"]: a["nports"] for a in problem.agents}
    for tid, aid in placement.items():
        t = problem.tasks[problem.task_index[tid]]
        nports[aid] -= t["nports"]
        if not problem.allowed(t, problem.agents[problem.agent_index[aid]]):
            bad.append(f"task {tid} on {aid} breaks a filter constraint or the GPU rule")
    for aid, f in free.items():
        for s, v in f.items():
            if v < 0:
                bad.append(f"agent {aid}: {s} over capacity by {-v / 1000}")
        if nports[aid] < 0:
            bad.append(f"agent {aid}: {-nports[aid]} ports too many")
    return bad + check_counts(problem, placement)
