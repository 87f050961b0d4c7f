#!/usr/bin/env python3
"""Seeded generator of small placement instances for the quality benchmark (issue 21).

    python3 benches/quality/gen.py --seeds 0:150 [--out FILE.jsonl]   # one `place` request a line
    python3 benches/quality/gen.py --seed 7 --pretty                   # one instance, readable

Each instance is an offerfit `place` request (docs/contract.md): 5-60 agents (one offer each,
text resources `cpus; mem; disk; gpus?; ports`), attributes `rack` and `zone`, and 10-300 tasks in
groups (a group is an app of identical instances, as in Marathon) with varied sizes, dynamic
ports (`ports: [0, ...]`) and constraints `hostname UNIQUE`, `rack MAX_PER k`, `rack LIKE re`,
`zone IS z`. Some instances put GPUs on a few agents, with GPU tasks (offerfit keeps GPU agents
for GPU tasks: `gpu_scheduling: restricted`).

Two kinds, about half each:
- `fit`: a planted instance. Tasks are placed one by one on a random agent that can take them
  (capacity, ports, constraints, the GPU rule); a task no agent can take is dropped. So every
  task of the request fits, often tightly: the planted placement is a witness (`planted`).
- `over`: the same groups, sized so that the demand is 1.15-1.8 times the capacity.

Deterministic: the same seed gives the same request on every run and platform (Python's
`random.Random` seeded with an integer, no hash of strings, no dict order surprises).
Importable: `instance(seed)` returns the instance (`request`, `kind`, `planted`, ...).
"""

import argparse
import json
import random
import re
import sys

GEN_VERSION = 1

# (cpus, mem MB) of agent shapes: general purpose, memory-heavy and cpu-heavy machines.
AGENT_SHAPES = [(4, 8192), (8, 16384), (8, 32768), (16, 32768), (16, 65536), (32, 131072), (4, 32768), (16, 16384)]
AGENT_SHAPE_WEIGHTS = [3, 4, 2, 3, 2, 1, 1, 1]
# Port ranges an agent offers (Mesos' default is [31000-32000]; small ranges make ports scarce).
PORT_RANGES = [[], [(31000, 31002)], [(31000, 31009)], [(31000, 31004), (32000, 32004)], [(31000, 31099)], [(31000, 32000)]]
PORT_RANGE_WEIGHTS = [1, 2, 3, 2, 3, 2]
TASK_CPUS = [0.1, 0.25, 0.5, 1, 1.5, 2, 4, 8]
TASK_CPUS_WEIGHTS = [2, 3, 4, 4, 2, 3, 2, 1]
TASK_MEM = [64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384]
TASK_MEM_WEIGHTS = [1, 2, 3, 4, 4, 3, 2, 1, 1]


def _pick(rng, values, weights):
    return rng.choices(values, weights=weights, k=1)[0]


def _ranges_text(ranges):
    return "[" + ",".join(f"{b}-{e}" for b, e in ranges) + "]"


def _agents(rng, n_agents, with_gpus):
    zones = ["a", "b", "c"][: rng.choice([2, 3, 3])]
    n_racks = max(2, min(12, n_agents // rng.randint(2, 5)))
    rack_zone = {f"r{k + 1}": zones[k % len(zones)] for k in range(n_racks)}
    racks = sorted(rack_zone, key=lambda r: int(r[1:]))
    agents = []
    for i in range(n_agents):
        rack = racks[i] if i < n_racks else rng.choice(racks)
        cpus, mem = _pick(rng, AGENT_SHAPES, AGENT_SHAPE_WEIGHTS)
        disk = rng.choice([20000, 50000, 100000, 200000])
        gpus = rng.choice([1, 2, 4]) if with_gpus and rng.random() < 0.2 else 0
        ports = _pick(rng, PORT_RANGES, PORT_RANGE_WEIGHTS)
        agents.append(
            {
                "id": f"S{i}",
                "hostname": f"h{i}",
                "offer": f"O{i}",
                "rack": rack,
                "zone": rack_zone[rack],
                "cpus": cpus * 1000,  # thousandths, as Mesos (and offerfit) count
                "mem": mem,
                "disk": disk,
                "gpus": gpus,
                "ports": ports,
            }
        )
    return agents, racks, zones


def _like_pattern(rng, racks):
    """A whole-string regex matching a random non-empty strict subset of the rack names."""
    k = rng.randint(1, max(1, len(racks) - 1))
    chosen = sorted(rng.sample([int(r[1:]) for r in racks], k))
    if all(c < 10 for c in chosen) and len(chosen) > 1 and chosen == list(range(chosen[0], chosen[-1] + 1)):
        return f"r[{chosen[0]}-{chosen[-1]}]"
    return "r(" + "|".join(str(c) for c in chosen) + ")"


def _groups(rng, racks, zones, with_gpus, n_tasks_target):
    groups = []
    total = 0
    g = 0
    while total < n_tasks_target:
        instances = 1 if rng.random() < 0.3 else rng.randint(2, 12)
        instances = min(instances, n_tasks_target - total)
        cpus = _pick(rng, TASK_CPUS, TASK_CPUS_WEIGHTS)
        mem = _pick(rng, TASK_MEM, TASK_MEM_WEIGHTS)
        profile = rng.random()
        if profile < 0.15:  # memory-heavy app
            mem = min(32768, mem * 4)
        elif profile < 0.3:  # cpu-heavy app
            cpus = min(16, cpus * 4)
        constraints = []
        if rng.random() < 0.3:
            constraints.append("hostname UNIQUE")
        if rng.random() < 0.2:
            constraints.append(f"rack MAX_PER {rng.randint(1, 3)}")
        if rng.random() < 0.15:
            constraints.append(f"rack LIKE {_like_pattern(rng, racks)}")
        if rng.random() < 0.15:
            constraints.append(f"zone IS {rng.choice(zones)}")
        groups.append(
            {
                "name": f"g{g}",
                "instances": instances,
                "cpus": int(round(cpus * 1000)),
                "mem": mem,
                "disk": 0 if rng.random() < 0.5 else rng.choice([256, 1024, 4096, 10000]),
                "gpus": rng.choice([1, 2]) if with_gpus and rng.random() < 0.1 else 0,
                "ports": _pick(rng, [0, 1, 2, 3, 5], [8, 6, 4, 1, 1]),
                "constraints": constraints,
            }
        )
        total += instances
        g += 1
    return groups


def _scale(groups, agents, load):
    """Scales cpus and mem of the groups so that the fuller of the two is `load` x capacity."""
    cap_c = sum(a["cpus"] for a in agents)
    cap_m = sum(a["mem"] for a in agents)
    dem_c = sum(g["cpus"] * g["instances"] for g in groups)
    dem_m = sum(g["mem"] * g["instances"] for g in groups)
    f = load / max(dem_c / cap_c, dem_m / cap_m)
    for g in groups:
        g["cpus"] = max(50, int(round(g["cpus"] * f / 50)) * 50)  # multiples of 0.05 cpus
        g["mem"] = max(32, int(round(g["mem"] * f / 32)) * 32)


def _attr(agent, field):
    return agent["hostname"] if field == "hostname" else agent.get(field)


def task_allowed(constraints, agent):
    """The filters (IS, LIKE) and the GPU rule that do not depend on other placements."""
    for c in constraints:
        field, op, *rest = c.split(" ", 2)
        value = rest[0] if rest else None
        v = _attr(agent, field)
        if op == "IS" and v != value:
            return False
        if op == "LIKE" and (v is None or re.fullmatch(value, v) is None):
            return False
    return True


def _plant(rng, agents, groups):
    """Places every task on a random agent that can take it; drops the tasks none can take."""
    free = {a["id"]: dict(cpus=a["cpus"], mem=a["mem"], disk=a["disk"], gpus=a["gpus"], ports=sum(e - b + 1 for b, e in a["ports"])) for a in agents}
    planted = {}
    order = [(g, k) for g in groups for k in range(g["instances"])]
    rng.shuffle(order)
    counts = {}  # (group, field, value) -> placed
    kept = {g["name"]: 0 for g in groups}
    for g, _ in order:
        options = []
        for a in agents:
            f = free[a["id"]]
            if f["cpus"] < g["cpus"] or f["mem"] < g["mem"] or f["disk"] < g["disk"] or f["gpus"] < g["gpus"] or f["ports"] < g["ports"]:
                continue
            if a["gpus"] > 0 and g["gpus"] == 0:
                continue
            if not task_allowed(g["constraints"], a):
                continue
            ok = True
            for c in g["constraints"]:
                field, op, *rest = c.split(" ", 2)
                limit = 1 if op == "UNIQUE" else int(rest[0]) if op == "MAX_PER" else None
                if limit is not None and counts.get((g["name"], field, _attr(a, field)), 0) >= limit:
                    ok = False
            if ok:
                options.append(a)
        if not options:
            continue
        a = rng.choice(options)
        f = free[a["id"]]
        for r in ("cpus", "mem", "disk", "gpus", "ports"):
            f[r] -= g[r]
        for c in g["constraints"]:
            field, op, *_ = c.split(" ", 2)
            key = (g["name"], field, _attr(a, field))
            counts[key] = counts.get(key, 0) + 1
        planted.setdefault(g["name"], {}).setdefault(a["id"], 0)
        planted[g["name"]][a["id"]] += 1
        kept[g["name"]] += 1
    for g in groups:
        g["instances"] = kept[g["name"]]
    groups[:] = [g for g in groups if g["instances"] > 0]
    return planted


def instance(seed):
    """The instance of `seed`: {name, seed, kind, request, planted, gen_version}.

    `planted` (kind `fit` only) maps group -> agent id -> tasks of the group planted there.
    """
    rng = random.Random(seed * 1_000_003 + 21)
    n_agents = rng.randint(5, 60)
    kind = "fit" if rng.random() < 0.5 else "over"
    with_gpus = rng.random() < 0.25
    agents, racks, zones = _agents(rng, n_agents, with_gpus)
    n_tasks = max(10, min(300, int(round(n_agents * rng.uniform(1.5, 6.0)))))
    if kind == "fit":
        # Planting drops what does not fit: ask for more so that about n_tasks remain.
        groups = _groups(rng, racks, zones, with_gpus, min(300, int(n_tasks * 1.2)))
        _scale(groups, agents, rng.uniform(0.75, 1.0))
        planted = _plant(rng, agents, groups)
        while sum(g["instances"] for g in groups) > 300:  # stay within the stated range
            g = groups.pop()
            planted.pop(g["name"], None)
        if sum(g["instances"] for g in groups) < 10:  # rare: add single small tasks that fit
            planted = _top_up(agents, groups, planted)
    else:
        groups = _groups(rng, racks, zones, with_gpus, n_tasks)
        _scale(groups, agents, rng.uniform(1.15, 1.8))
        planted = None
    order = [(g, k) for g in groups for k in range(g["instances"])]
    rng.shuffle(order)  # the request's task order is not the groups' order
    tasks = []
    for g, k in order:
        t = {"id": f"{g['name']}-{k}", "group": g["name"], "cpus": g["cpus"] / 1000, "mem": g["mem"]}
        if g["disk"]:
            t["disk"] = g["disk"]
        if g["gpus"]:
            t["gpus"] = g["gpus"]
        if g["ports"]:
            t["ports"] = [0] * g["ports"]
        if g["constraints"]:
            t["constraints"] = list(g["constraints"])
        tasks.append(t)
    offers = []
    for a in agents:
        res = f"cpus:{a['cpus'] / 1000:g};mem:{a['mem']};disk:{a['disk']}"
        if a["gpus"]:
            res += f";gpus:{a['gpus']}"
        if a["ports"]:
            res += f";ports:{_ranges_text(a['ports'])}"
        offers.append(
            {
                "id": a["offer"],
                "agent_id": a["id"],
                "hostname": a["hostname"],
                "resources": res,
                "attributes": f"rack:{a['rack']};zone:{a['zone']}",
            }
        )
    request = {"op": "place", "offers": offers, "tasks": tasks}
    return {
        "name": f"q{seed}",
        "seed": seed,
        "gen_version": GEN_VERSION,
        "kind": kind,
        "request": request,
        "planted": planted,
    }


def _top_up(agents, groups, planted):
    """Adds tiny unconstrained single tasks (0.05 cpus, 32 MB) until the instance has 10 tasks."""
    n = sum(g["instances"] for g in groups)
    k = 0
    for a in agents:
        if n >= 10:
            break
        if a["gpus"]:
            continue
        name = f"t{k}"
        groups.append({"name": name, "instances": 1, "cpus": 50, "mem": 32, "disk": 0, "gpus": 0, "ports": 0, "constraints": []})
        planted.setdefault(name, {})[a["id"]] = 1
        n += 1
        k += 1
    return planted


def parse_seeds(text):
    """`A:B` (B excluded) or a comma list."""
    if ":" in text:
        a, b = text.split(":", 1)
        return list(range(int(a), int(b)))
    return [int(s) for s in text.split(",") if s]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", default="0:150", help="A:B (B excluded) or a comma list (default 0:150)")
    p.add_argument("--seed", type=int, help="one seed (overrides --seeds)")
    p.add_argument("--out", help="write JSON Lines here (default: stdout)")
    p.add_argument("--pretty", action="store_true", help="indented JSON (one instance)")
    p.add_argument("--meta", action="store_true", help="write the whole instance (kind, planted), not only the request")
    args = p.parse_args(argv)
    seeds = [args.seed] if args.seed is not None else parse_seeds(args.seeds)
    out = open(args.out, "w", encoding="utf-8") if args.out else sys.stdout
    for s in seeds:
        inst = instance(s)
        obj = inst if args.meta else inst["request"]
        out.write(json.dumps(obj, indent=2 if args.pretty else None, separators=None if args.pretty else (",", ":")) + "\n")
    if args.out:
        out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
