#!/usr/bin/env python3
"""Placement quality benchmark (issue 21): offerfit's answers against an exact reference.

    benches/quality/run.sh [--quick] [--seeds A:B] [--report benches/QUALITY.md --section NAME]
    (run.sh makes the cached venv with OR-Tools and builds the release CLI, then runs this file)

For every seeded instance of gen.py and every strategy (binpack, the default, spread,
first_fit; times each `objective` when the engine takes the option), runs the release
`offerfit call` on the `place` request, checks the answer independently (model.check_answer:
resources, ports unique and offered, constraints, every task and offer accounted for), and
compares it with CP-SAT's best placement for both objectives (solve.py): tasks placed and the
placed share of cpus and mem. Reports, per run:

- placed / optimum (tasks) over all instances: mean and worst;
- when every task fits: how often all are placed, the mean and worst share placed;
- over capacity: the ratio to the optimum of each objective (tasks, resources), mean and worst;
- stranded capacity: free cpus on agents without the memory for the smallest task, and free
  memory on agents without the cpus for it, as shares of the instance's totals;
- time: offerfit's wall time per call (a process per call, start-up included, see `startup`),
  CP-SAT's per solve.

"Optimum" is the best known value: CP-SAT's (proven or not; `proven` counts the proven ones)
or an offerfit answer that beat an unproven CP-SAT solution. CP-SAT results are cached by
request, objective and solver settings (`--cache`), so re-running after an engine change
solves nothing again. Writes JSON (`--json`), markdown (`--md`), and with `--report FILE`
replaces the section between `<!-- quality:NAME:begin -->` and `<!-- quality:NAME:end -->`.
"""

import argparse
import datetime
import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

# OR-Tools first: in ortools 9.15 some import orders have crashed the solver here.
try:
    import solve as cpsat  # noqa: E402
    from ortools import __version__ as ORTOOLS_VERSION  # noqa: E402
except ImportError:  # --no-reference runs without OR-Tools
    cpsat = None
    ORTOOLS_VERSION = None
import gen  # noqa: E402
import model  # noqa: E402

SOLVE_VERSION = 1  # bump when solve.py's model changes (invalidates the cache)
STRATEGIES = ["binpack", "spread", "first_fit"]
OBJECTIVES = ["tasks", "resources"]


def offerfit_path(arg):
    if arg:
        return arg
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
    return os.path.join(target, "release", "offerfit")


def call(cli, request):
    """(answer, wall seconds) of one `offerfit call` process."""
    text = json.dumps(request, separators=(",", ":"))
    t0 = time.perf_counter()
    p = subprocess.run([cli, "call"], input=text.encode(), capture_output=True, check=False)
    wall = time.perf_counter() - t0
    if p.returncode not in (0, 1):
        raise RuntimeError(f"offerfit call exited {p.returncode}: {p.stderr.decode()[:500]}")
    return json.loads(p.stdout), wall


def objective_supported(cli):
    ans, _ = call(cli, {"op": "place", "offers": [], "tasks": [], "options": {"objective": "tasks"}})
    return bool(ans.get("ok"))


def batch_ms(cli, requests):
    """Mean ms per request when one `offerfit call --lines` process answers them all, the
    start-up of that process taken out (the `version` call's median): closer to the engine's
    own time than a process per call."""
    text = "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in requests)
    t0 = time.perf_counter()
    p = subprocess.run([cli, "call", "--lines"], input=text.encode(), capture_output=True, check=False)
    wall = time.perf_counter() - t0
    if p.returncode not in (0, 1):
        raise RuntimeError(f"offerfit call --lines exited {p.returncode}")
    return wall * 1000 / len(requests)


def startup_ms(cli, n=15):
    return statistics.median(call(cli, {"op": "version"})[1] for _ in range(n)) * 1000


def with_options(request, strategy, objective):
    req = dict(request)
    opts = dict(req.get("options") or {})
    if strategy != "binpack":  # binpack is the default: leave it out, measure the default
        opts["strategy"] = strategy
    if objective:
        opts["objective"] = objective
    if opts:
        req["options"] = opts
    return req


def cache_key(request, objective, det_time):
    h = hashlib.sha256()
    h.update(json.dumps(request, sort_keys=True, separators=(",", ":")).encode())
    h.update(f"|{objective}|{det_time}|{ORTOOLS_VERSION}|{SOLVE_VERSION}".encode())
    return h.hexdigest()


def load_cache(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def save_cache(path, cache):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:  # one entry a line: small diffs
        f.write("{\n" + ",\n".join(f"{json.dumps(k)}: {json.dumps(cache[k], sort_keys=True, separators=(',', ':'))}"
                                    for k in sorted(cache)) + "\n}\n")
    os.replace(tmp, path)


def counts_placement(problem, counts):
    """A task id -> agent id placement from CP-SAT's group -> agent -> count solution."""
    placement = {}
    for gname, per_agent in counts.items():
        ids = [t["id"] for t in problem.groups[gname]["tasks"]]
        for aid, n in sorted(per_agent.items()):
            for _ in range(n):
                placement[ids.pop()] = aid
    return placement


def pct(x):
    return "–" if x is None else f"{100 * x:.1f}%"


def mean(xs):
    return statistics.fmean(xs) if xs else None


def summarize(instances, run):
    """Aggregates the per-instance records of one run (strategy/objective)."""
    rows = [i["runs"][run] for i in instances]
    fits = [(i, r) for i, r in zip(instances, rows) if i["fits"]]
    over = [(i, r) for i, r in zip(instances, rows) if not i["fits"]]
    ratio_t = [r["placed"] / i["best_tasks"] if i["best_tasks"] else 1.0 for i, r in zip(instances, rows)]
    fit_share = [r["placed"] / i["tasks"] for i, r in fits]
    over_t = [r["placed"] / i["best_tasks"] if i["best_tasks"] else 1.0 for i, r in over]
    over_r = [r["resources"] / i["best_resources"] if i["best_resources"] else 1.0 for i, r in over]
    walls = sorted(r["wall_ms"] for r in rows)
    return {
        "instances": len(rows),
        "infeasible_answers": sum(1 for r in rows if r["violations"]),
        "placed_over_optimum_mean": mean(ratio_t),
        "placed_over_optimum_worst": min(ratio_t),
        "fits_instances": len(fits),
        "fits_all_placed": sum(1 for i, r in fits if r["placed"] == i["tasks"]),
        "fits_all_placed_share": (sum(1 for i, r in fits if r["placed"] == i["tasks"]) / len(fits)) if fits else None,
        "fits_tasks_placed_mean": mean(fit_share),
        "fits_tasks_placed_worst": min(fit_share) if fit_share else None,
        "over_instances": len(over),
        "over_tasks_ratio_mean": mean(over_t),
        "over_tasks_ratio_worst": min(over_t) if over_t else None,
        "over_resources_ratio_mean": mean(over_r),
        "over_resources_ratio_worst": min(over_r) if over_r else None,
        "stranded_cpus_mean": mean([r["stranded_cpus"] for r in rows]),
        "stranded_mem_mean": mean([r["stranded_mem"] for r in rows]),
        "stranded_cpus_over_mean": mean([r["stranded_cpus"] for _, r in over]),
        "stranded_mem_over_mean": mean([r["stranded_mem"] for _, r in over]),
        "wall_ms_median": statistics.median(walls),
        "wall_ms_p95": walls[min(len(walls) - 1, int(0.95 * len(walls)))],
        "wall_ms_max": walls[-1],
        "evaluations_mean": mean([r["evaluations"] for r in rows if r["evaluations"] is not None]),
    }


def markdown(result):
    m = result["meta"]
    out = []
    out.append(
        f"Run {m['date']} on `{m['commit']}` ({m['machine']}); seeds {m['seeds']} ({m['instances']} instances: "
        f"{m['fits']} where every task fits, {m['over']} over capacity; requests sha256 `{m['requests_sha256'][:16]}`); "
        f"CP-SAT deterministic limit {m['det_time']} s, OR-Tools {m['ortools']}; command `{m['command']}`."
    )
    out.append("")
    out.append("| run | infeasible answers | placed / optimum (mean, worst) | fits: all placed | fits: tasks placed (mean, worst) "
               "| over: tasks / optimum (mean, worst) | over: resources / optimum (mean, worst) | stranded cpus, mem (over) "
               "| offerfit ms per call (median, p95) | ms per request in one process (mean) |")
    out.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for run, s in result["summary"].items():
        out.append(
            f"| {run} | {s['infeasible_answers']} | {pct(s['placed_over_optimum_mean'])}, {pct(s['placed_over_optimum_worst'])} "
            f"| {s['fits_all_placed']} of {s['fits_instances']} ({pct(s['fits_all_placed_share'])}) "
            f"| {pct(s['fits_tasks_placed_mean'])}, {pct(s['fits_tasks_placed_worst'])} "
            f"| {pct(s['over_tasks_ratio_mean'])}, {pct(s['over_tasks_ratio_worst'])} "
            f"| {pct(s['over_resources_ratio_mean'])}, {pct(s['over_resources_ratio_worst'])} "
            f"| {pct(s['stranded_cpus_over_mean'])}, {pct(s['stranded_mem_over_mean'])} "
            f"| {s['wall_ms_median']:.1f}, {s['wall_ms_p95']:.1f} | {s['batch_ms_mean']:.1f} |"
        )
    worst = []
    for run in result["summary"]:
        fits = sorted((i["runs"][run]["placed"] / i["tasks"], i["name"], i["runs"][run]["placed"], i["tasks"])
                      for i in result["instances"] if i["fits"])
        missed = [f"{name} {placed}/{n}" for share, name, placed, n in fits[:6] if share < 1]
        if missed:
            worst.append(f"{run}: {', '.join(missed)}")
    if worst:
        out.append("")
        out.append("Worst instances where every task fits (placed / tasks; `gen.py --seed N --pretty` prints qN): "
                   + "; ".join(worst) + ".")
    ref = result["reference"]
    out.append("")
    if not ref:
        out.append("No reference (`--no-reference`): the optimum is the best answer of the runs above.")
        out.append("")
    if ref:
        out.append("| CP-SAT objective | proven optimal | solve s (median, max) | gap to bound of the unproven (mean, worst) "
                   "| stranded cpus, mem (over) |")
        out.append("| --- | --- | --- | --- | --- |")
        for obj, r in ref.items():
            out.append(f"| {obj} | {r['proven']} of {r['instances']} | {r['wall_median']:.2f}, {r['wall_max']:.2f} "
                       f"| {pct(r['gap_mean'])}, {pct(r['gap_worst'])} "
                       f"| {pct(r['stranded_cpus_over_mean'])}, {pct(r['stranded_mem_over_mean'])} |")
        out.append("")
    out.append(f"offerfit ms per call is the wall time of one `offerfit call` process (release build), start-up "
               f"included: a `version` call takes {m['startup_ms']:.1f} ms (median); ms per request in one process: "
               f"all the run's requests through one `offerfit call --lines` (JSON in and out included). Objective option: "
               f"{'sent (' + ', '.join(OBJECTIVES) + ')' if m['objective_supported'] else 'not accepted by this engine, not sent'}.")
    return "\n".join(out) + "\n"


def replace_section(path, name, text):
    begin, end = f"<!-- quality:{name}:begin -->", f"<!-- quality:{name}:end -->"
    with open(path, encoding="utf-8") as f:
        doc = f.read()
    if begin in doc and end in doc:
        a = doc.index(begin) + len(begin)
        b = doc.index(end)
        doc = doc[:a] + "\n" + text + doc[b:]
    else:
        doc = doc.rstrip("\n") + f"\n\n{begin}\n{text}{end}\n"
    with open(path, "w", encoding="utf-8") as f:
        f.write(doc)


def git_commit(report=None):
    """HEAD, with `+dirty` when tracked files differ (the report being written aside)."""
    try:
        rev = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
        exclude = [f":(exclude){os.path.relpath(os.path.abspath(report), ROOT)}"] if report else []
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no", "--", "."] + exclude,
                               capture_output=True, text=True, check=True).stdout.strip()
        return rev + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, Linux {platform.release()}, load {os.getloadavg()[0]:.1f}"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", default="0:150", help="A:B (B excluded) or a comma list (default 0:150)")
    p.add_argument("--quick", action="store_true",
                   help="seeds 0:12 (a smoke run; their CP-SAT results are committed, so nothing is solved)")
    p.add_argument("--offerfit", help="the CLI (default: $CARGO_TARGET_DIR or target, release/offerfit)")
    p.add_argument("--strategies", default=",".join(STRATEGIES))
    p.add_argument("--objectives", default="auto",
                   help="auto (none, then each objective when the engine accepts the option), none, or a comma list")
    p.add_argument("--det-time", type=float, default=5.0, help="CP-SAT deterministic time limit per solve (default 5)")
    p.add_argument("--no-reference", action="store_true", help="skip CP-SAT (ratios then use the best offerfit answer)")
    p.add_argument("--cache", default=os.path.join(ROOT, "target", "quality", "reference-cache.json"),
                   help="where new CP-SAT results are kept (default target/quality/reference-cache.json)")
    p.add_argument("--reference", default=os.path.join(HERE, "reference.json"),
                   help="committed CP-SAT results, read first (default benches/quality/reference.json)")
    p.add_argument("--update-reference", action="store_true",
                   help="write this run's CP-SAT results (for its seeds) into --reference")
    p.add_argument("--json", default=os.path.join(ROOT, "target", "quality", "results.json"))
    p.add_argument("--md", default=os.path.join(ROOT, "target", "quality", "results.md"))
    p.add_argument("--report", help="a markdown file to write the tables into (a marked section)")
    p.add_argument("--section", default="latest", help="the section's name in --report (default latest)")
    args = p.parse_args(argv)
    if args.quick and args.seeds == "0:150":
        args.seeds = "0:12"
    if not args.no_reference and cpsat is None:
        p.error("OR-Tools is not installed: use benches/quality/run.sh (it makes the venv) or --no-reference")
    cli = offerfit_path(args.offerfit)
    if not os.access(cli, os.X_OK):
        p.error(f"no offerfit CLI at {cli}: cargo build --release -p offerfit-cli")
    seeds = gen.parse_seeds(args.seeds)
    strategies = [s for s in args.strategies.split(",") if s]
    supported = objective_supported(cli)
    if args.objectives == "auto":
        objectives = [None] + OBJECTIVES if supported else [None]  # None: the engine's default
    elif args.objectives == "none":
        objectives = [None]
    else:
        objectives = [o for o in args.objectives.split(",") if o]
    runs = [(s, o) for s in strategies for o in objectives]
    run_name = {(s, o): s + (" (default)" if s == "binpack" else "") + (f" / {o}" if o else "") for s, o in runs}

    committed = load_cache(args.reference)
    cache = load_cache(args.cache)
    used = {}
    instances = []
    digest = hashlib.sha256()
    t_start = time.time()
    for n, seed in enumerate(seeds):
        inst = gen.instance(seed)
        req = inst["request"]
        digest.update(json.dumps(req, sort_keys=True, separators=(",", ":")).encode() + b"\n")
        prob = model.Problem(req)
        rec = {"name": inst["name"], "seed": seed, "kind": inst["kind"], "agents": len(prob.agents),
               "tasks": len(prob.tasks), "runs": {}, "reference": {}}
        for s, o in runs:
            ans, wall = call(cli, with_options(req, s, o))
            placement, bad = model.check_answer(prob, ans)
            sc, sm = model.stranded(prob, placement)
            rec["runs"][run_name[s, o]] = {
                "placed": len(placement),
                "resources": sum(prob.resources_value(prob.tasks[prob.task_index[t]]) for t in placement),
                "violations": bad[:10],
                "stranded_cpus": sc,
                "stranded_mem": sm,
                "wall_ms": wall * 1000,
                "evaluations": (ans.get("stats") or {}).get("evaluations"),
            }
        if not args.no_reference:
            for obj in OBJECTIVES:
                key = cache_key(req, obj, args.det_time)
                if key in committed and key not in cache:
                    cache[key] = committed[key]
                if key not in cache:
                    r = cpsat.solve(prob, obj, det_time=args.det_time, hint=inst["planted"])
                    cache[key] = {k: r[k] for k in ("status", "proven", "value", "bound", "wall", "placed", "resources", "counts")}
                    save_cache(args.cache, cache)
                used[key] = cache[key]
                rec["reference"][obj] = dict(cache[key])
                ref_placement = counts_placement(prob, cache[key]["counts"])
                ref_bad = model.check_placement(prob, ref_placement)
                if ref_bad or len(ref_placement) != cache[key]["placed"]:
                    raise RuntimeError(f"{inst['name']}: CP-SAT's {obj} solution fails the checker: {ref_bad[:5]}")
                sc, sm = model.stranded(prob, ref_placement)
                rec["reference"][obj].update(stranded_cpus=sc, stranded_mem=sm)
                del rec["reference"][obj]["counts"]
        ref_t = rec["reference"].get("tasks", {})
        ref_r = rec["reference"].get("resources", {})
        rec["best_tasks"] = max([r["placed"] for r in rec["runs"].values() if not r["violations"]]
                                + [ref_t.get("placed", 0), ref_r.get("placed", 0)])
        rec["best_resources"] = max([r["resources"] for r in rec["runs"].values() if not r["violations"]]
                                    + [ref_t.get("resources", 0.0), ref_r.get("resources", 0.0)])
        rec["fits"] = inst["kind"] == "fit" or rec["best_tasks"] == rec["tasks"]  # planted ones fit by construction
        rec["fits_proven_not"] = bool(ref_t.get("proven")) and ref_t.get("placed", 0) < rec["tasks"]
        instances.append(rec)
        line = " ".join(f"{k.split(' ')[0]}={v['placed']}" + ("!" if v["violations"] else "") for k, v in rec["runs"].items())
        print(f"[{n + 1}/{len(seeds)}] {inst['name']} {inst['kind']:4} agents={rec['agents']} tasks={rec['tasks']} "
              f"best={rec['best_tasks']} {line} ({time.time() - t_start:.0f} s)", file=sys.stderr, flush=True)

    if args.update_reference:
        committed.update(used)
        save_cache(args.reference, committed)
    summary = {run_name[r]: summarize(instances, run_name[r]) for r in runs}
    start = startup_ms(cli)
    for s, o in runs:
        reqs = [with_options(gen.instance(seed)["request"], s, o) for seed in seeds]
        summary[run_name[s, o]]["batch_ms_mean"] = max(0.0, batch_ms(cli, reqs) - start / len(reqs))
    reference = {}
    if not args.no_reference:
        for obj in OBJECTIVES:
            rs = [i["reference"][obj] for i in instances]
            gaps = [(r["bound"] - r["value"]) / r["bound"] for r in rs if not r["proven"] and r["bound"]]
            walls = [r["wall"] for r in rs]
            over = [r for r, i in zip(rs, instances) if not i["fits"]]
            reference[obj] = {"instances": len(rs), "proven": sum(1 for r in rs if r["proven"]),
                              "stranded_cpus_over_mean": mean([r["stranded_cpus"] for r in over]),
                              "stranded_mem_over_mean": mean([r["stranded_mem"] for r in over]),
                              "wall_median": statistics.median(walls), "wall_max": max(walls),
                              "gap_mean": mean(gaps), "gap_worst": max(gaps) if gaps else None}
    argv_text = " ".join(["benches/quality/run.sh"] + (argv if argv is not None else sys.argv[1:]))
    meta = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": git_commit(args.report),
        "machine": machine(),
        "seeds": args.seeds,
        "instances": len(instances),
        "fits": sum(1 for i in instances if i["fits"]),
        "over": sum(1 for i in instances if not i["fits"]),
        "command": argv_text,
        "det_time": args.det_time,
        "ortools": ORTOOLS_VERSION,
        "gen_version": gen.GEN_VERSION,
        "requests_sha256": digest.hexdigest(),
        "objective_supported": supported,
        "startup_ms": start,
    }
    result = {"meta": meta, "summary": summary, "reference": reference, "instances": instances}
    for path in (args.json, args.md):
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(args.json, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)
    text = markdown(result)
    with open(args.md, "w", encoding="utf-8") as f:
        f.write(text)
    if args.report:
        replace_section(args.report, args.section, text)
    print(text)
    bad = sum(s["infeasible_answers"] for s in summary.values())
    if bad:
        print(f"{bad} infeasible answers: see {args.json}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
