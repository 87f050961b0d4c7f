"""Exact reference for the quality benchmark: OR-Tools CP-SAT on the problem of model.py.

Tasks of one group with the same demand and constraints are interchangeable, so the model counts
them: y[c, a] = how many tasks of class c go on agent a (an integer, 0 where the agent can never
take the class). Constraints:
- each class places at most its number of tasks;
- per agent and scalar (cpus, mem, disk, gpus, thousandths) and for the number of ports, the
  placed demand is at most the offered amount;
- per group, counting constraint (field, k) and field value v: the group's tasks on agents with
  value v are at most k (UNIQUE is k = 1);
- filters (IS, LIKE, UNLIKE) and the GPU rule remove pairs up front (model.Problem.allowed).

Objectives (what `objective: "tasks" | "resources"` asks the engine to maximise):
- `tasks`: the number of placed tasks;
- `resources`: the placed tasks' share of the instance's cpus and mem, averaged
  (model.Problem.resources_value), scaled to integers (1e9 for the whole instance).

Limits are deterministic: `max_deterministic_time` (CP-SAT's own work measure, about seconds)
with one worker, so a solve gives the same answer on a loaded machine. A wall-clock limit of
three times that guards against a stuck solve. `proven` is True when CP-SAT proves optimality
(or the objective reaches its trivial upper bound: every task placed).
"""

import time

from ortools.sat.python import cp_model

from model import SCALARS

RES_SCALE = 1_000_000_000


def classes(problem):
    """[(group, [task ids], representative task)], tasks alike in everything the model reads."""
    out = {}
    for t in problem.tasks:
        key = (t["group"], tuple(t["dem"][s] for s in SCALARS), t["nports"], tuple(t["constraints"]))
        out.setdefault(key, (t["group"], [], t))[1].append(t["id"])
    return list(out.values())


def solve(problem, objective, det_time=10.0, hint=None, workers=1):
    """Returns {objective, status, proven, value, bound, counts, wall, placed, resources}.

    `hint` maps group -> agent id -> tasks (a known feasible placement, e.g. the planted one).
    `counts` maps group -> agent id -> tasks in the best solution found.
    """
    t0 = time.perf_counter()
    m = cp_model.CpModel()
    cls = classes(problem)
    y = {}
    ubs = {}
    for ci, (group, ids, rep) in enumerate(cls):
        for ai, a in enumerate(problem.agents):
            if not problem.allowed(rep, a) or not problem.fits_empty(rep, a):
                continue
            ub = len(ids)
            for s in SCALARS:
                if rep["dem"][s]:
                    ub = min(ub, a["cap"][s] // rep["dem"][s])
            if rep["nports"]:
                ub = min(ub, a["nports"] // rep["nports"])
            for field, k in problem.groups[group]["counting"]:
                ub = min(ub, k)
            if ub > 0:
                y[ci, ai] = m.NewIntVar(0, ub, f"y{ci}_{ai}")
                ubs[ci, ai] = ub
    for ci, (group, ids, rep) in enumerate(cls):
        vs = [y[ci, ai] for ai in range(len(problem.agents)) if (ci, ai) in y]
        if vs:
            m.Add(sum(vs) <= len(ids))
    for ai, a in enumerate(problem.agents):
        terms = [(ci, v) for (ci, aj), v in y.items() if aj == ai]
        for s in SCALARS:
            lhs = [cls[ci][2]["dem"][s] * v for ci, v in terms if cls[ci][2]["dem"][s]]
            if lhs:
                m.Add(sum(lhs) <= a["cap"][s])
        lhs = [cls[ci][2]["nports"] * v for ci, v in terms if cls[ci][2]["nports"]]
        if lhs:
            m.Add(sum(lhs) <= a["nports"])
    for gname, g in problem.groups.items():
        cis = [ci for ci, c in enumerate(cls) if c[0] == gname]
        for field, k in g["counting"]:
            by_value = {}
            for (ci, ai), v in y.items():
                if ci in cis:
                    by_value.setdefault(problem.value(problem.agents[ai], field), []).append((ci, ai))
            for keys in by_value.values():
                if sum(ubs[key] for key in keys) > k:
                    m.Add(sum(y[key] for key in keys) <= k)
    weight = {}
    for ci, (group, ids, rep) in enumerate(cls):
        weight[ci] = 1 if objective == "tasks" else int(round(problem.resources_value(rep) * RES_SCALE))
    m.Maximize(sum(weight[ci] * v for (ci, ai), v in y.items()))
    upper = sum(weight[ci] * len(c[1]) for ci, c in enumerate(cls))
    if hint:
        placed_hint = {}
        for ci, (group, ids, rep) in enumerate(cls):
            left = len(ids)
            for ai, a in enumerate(problem.agents):
                n = min(left, (hint.get(group) or {}).get(a["id"], 0) - placed_hint.get((group, ai), 0))
                if (ci, ai) in y and n > 0:
                    m.AddHint(y[ci, ai], n)
                    placed_hint[(group, ai)] = placed_hint.get((group, ai), 0) + n
                    left -= n
                elif (ci, ai) in y:
                    m.AddHint(y[ci, ai], 0)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    solver.parameters.max_deterministic_time = det_time
    solver.parameters.max_time_in_seconds = max(3 * det_time, 5.0)
    solver.parameters.random_seed = 21
    status = solver.Solve(m)
    wall = time.perf_counter() - t0
    name = solver.StatusName(status)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return {"objective": objective, "status": name, "proven": False, "value": None, "bound": None,
                "counts": {}, "wall": wall, "placed": 0, "resources": 0.0}
    counts = {}
    placed = 0
    res = 0.0
    for (ci, ai), v in y.items():
        n = solver.Value(v)
        if n:
            group, ids, rep = cls[ci]
            counts.setdefault(group, {})
            aid = problem.agents[ai]["id"]
            counts[group][aid] = counts[group].get(aid, 0) + n
            placed += n
            res += n * problem.resources_value(rep)
    value = int(round(solver.ObjectiveValue()))
    proven = status == cp_model.OPTIMAL or value >= upper
    return {
        "objective": objective,
        "status": name,
        "proven": proven,
        "value": value,
        "bound": int(round(solver.BestObjectiveBound())) if not proven else value,
        "counts": counts,
        "wall": wall,
        "placed": placed,
        "resources": res,
    }
