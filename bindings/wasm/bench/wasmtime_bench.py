#!/usr/bin/env python3
"""The performance scenarios of `offerfit bench`, run through the plain-WASM module under wasmtime.

    offerfit bench --write-workloads DIR          # the native CLI writes the workloads
    python3 bindings/wasm/bench/wasmtime_bench.py --workloads DIR --module offerfit_c.wasm \\
        [--scenario kube,fenzo] [--samples 7] [--warmup 3] [--json]

The plain-WASM ABI (bindings/c/src/wasm.rs: `offerfit_alloc`, `offerfit_call`, `offerfit_free`
over linear memory, no imports) is what Python, Go and Java hosts embed; this drives it from
Python with the `wasmtime` package (the version scripts/stages/c.sh pins). The driver is
bench.mjs's: each workload is placed `batch` tasks at a time, the agents that received tasks
offered again with what remains (dropped once they have no cpus or no mem), the request text
built outside the timed region. A call is timed from writing the request into the module's
memory to reading the response out (what any host pays), in process CPU time
(`time.process_time`: waiting for a core on a shared machine is not counted). Every sample of
a single-call scenario must give the same response.

The module is compiled once (Cranelift, ahead of the first call: no warm-up tiers as in V8);
`--warmup` calls of each scenario's first request still come first (the module's memory grows
on the first calls).

`--fuel` counts instead of timing: the WebAssembly operations (wasmtime's fuel, one unit per
operator) of one call of each scenario's first request, after one warm-up call. The count
does not move with the machine's load, so two builds of the module can be compared on a busy
machine, as callgrind's instruction counts compare native builds; it weighs every operator
alike (a `memory.copy` of 700 bytes counts 1), so it is a proxy for the module's work, not a
time.
"""

import argparse
import json
import os
import sys
import time

import wasmtime

# The fuel each call starts with in `--fuel` mode: far more than any call uses.
FUEL = 1 << 62

ORDER = ["fenzo", "fenzo-distinct", "fenzo-distinct-ports", "kube", "kube-hetero", "constraints", "ports", "mantl"]


class Module:
    """One instance of the plain-WASM module: alloc, write, call, read, free both."""

    def __init__(self, path, fuel=False):
        config = wasmtime.Config()
        config.consume_fuel = fuel
        self.engine = wasmtime.Engine(config)
        self.module = wasmtime.Module.from_file(self.engine, path)
        self.store = wasmtime.Store(self.engine)
        self.fuel = fuel
        self.last_fuel = 0
        if fuel:
            self.store.set_fuel(FUEL)
        self.instance = wasmtime.Instance(self.store, self.module, [])
        ex = self.instance.exports(self.store)
        self.memory = ex["memory"]
        self.alloc, self.free, self.raw_call = ex["offerfit_alloc"], ex["offerfit_free"], ex["offerfit_call"]

    def call(self, request: bytes) -> bytes:
        n = len(request)
        ptr = self.alloc(self.store, n)
        if ptr == 0:
            raise MemoryError("offerfit_alloc returned 0")
        self.memory.write(self.store, request, ptr)
        if self.fuel:
            self.store.set_fuel(FUEL)
        packed = self.raw_call(self.store, ptr, n) & 0xFFFF_FFFF_FFFF_FFFF
        if self.fuel:
            self.last_fuel = FUEL - self.store.get_fuel()
        self.free(self.store, ptr, n)
        rptr, rlen = packed >> 32, packed & 0xFFFF_FFFF
        if rptr == 0:
            raise MemoryError("offerfit_call returned 0 (out of memory)")
        out = self.memory.read(self.store, rptr, rptr + rlen)
        self.free(self.store, rptr, rlen)
        return bytes(out)


def stats(samples):
    ms = sorted(samples)
    n = len(ms)
    if n == 0:
        median = 0.0
    elif n % 2 == 1:
        median = ms[n // 2]
    else:
        median = (ms[n // 2 - 1] + ms[n // 2]) / 2
    r = lambda x: round(x, 3)  # noqa: E731
    return {
        "median": r(median),
        "min": r(ms[0] if n else 0),
        "max": r(ms[-1] if n else 0),
        "mean": r(sum(ms) / n if n else 0),
        "samples": n,
    }


def scalar_millis(resources, name):
    return sum(round(r["scalar"]["value"] * 1000) for r in resources or [] if r.get("name") == name and "scalar" in r)


def request_text(offers, tasks, request):
    body = {"offers": offers, "tasks": tasks}
    if request.get("running"):
        body["running"] = request["running"]
    body["options"] = request["options"]
    body["op"] = "place"
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def run_workload(module, work, samples, warmup):
    request = work["request"]
    batch = max(1, work["batch"])
    live = list(request["offers"])
    by_agent = {o["agent_id"]["value"]: i for i, o in enumerate(request["offers"])}
    free_cpus = [scalar_millis(o["resources"], "cpus") for o in request["offers"]]
    total = sum(free_cpus)
    tasks_all = request["tasks"]
    calls = -(-len(tasks_all) // batch)
    reps = samples if calls == 1 else 1
    times, placed, checked, size = [], 0, True, 0
    for k in range(calls):
        text = request_text([o for o in live if o is not None], tasks_all[k * batch : (k + 1) * batch], request)
        size = max(size, len(text))
        first = None
        for _ in range(warmup if k == 0 else 0):
            first = module.call(text)
        for _ in range(reps):
            t0 = time.process_time()
            out = module.call(text)
            times.append((time.process_time() - t0) * 1e3)
            if first is None:
                first = out
            elif out != first:
                checked = False
        response = json.loads(first)
        if response.get("ok") is not True:
            raise RuntimeError(f"{work['name']}: place failed: {first[:500]!r}")
        for a in response["accept"]:
            placed += len(a["tasks"])
            i = by_agent.get(a["agent_id"])
            if i is None:
                continue
            cpus, mem = scalar_millis(a["remaining"], "cpus"), scalar_millis(a["remaining"], "mem")
            free_cpus[i] = cpus
            if live[i] is not None and cpus > 0 and mem > 0:
                live[i] = dict(live[i], resources=a["remaining"])
            else:
                live[i] = None
    free = sum(free_cpus)
    return {
        "name": work["name"],
        "agents": len(request["offers"]),
        "tasks": len(tasks_all),
        "batch": batch,
        "calls": calls,
        "placed": placed,
        "utilisation": round((total - free) / total, 4) if total else 0,
        "request_bytes": size,
        "warmup": warmup,
        "wasm_ms": stats(times),
        "checked": checked,
    }


def count_workload(module, work):
    """`--fuel`: the WebAssembly operations of one call of the workload's first request."""
    request = work["request"]
    text = request_text(request["offers"], request["tasks"][: max(1, work["batch"])], request)
    first = module.call(text)
    if module.call(text) != first:
        raise RuntimeError(f"{work['name']}: two calls of the same request answered differently")
    return {"name": work["name"], "request_bytes": len(text), "fuel": module.last_fuel}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--workloads", required=True)
    p.add_argument("--module", required=True, help="offerfit_c.wasm (offerfit-c built for wasm32-unknown-unknown)")
    p.add_argument("--scenario", help="comma-separated scenario names")
    p.add_argument("--samples", type=int, default=7)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--json", action="store_true")
    p.add_argument("--fuel", action="store_true", help="count WebAssembly operations per call instead of timing")
    args = p.parse_args()
    names = sorted(f[:-5] for f in os.listdir(args.workloads) if f.endswith(".json"))
    wanted = [n for n in (args.scenario.split(",") if args.scenario else ORDER) if n in names]
    module = Module(args.module, fuel=args.fuel)
    results = []
    for name in wanted:
        with open(os.path.join(args.workloads, f"{name}.json"), encoding="utf-8") as fh:
            work = json.load(fh)
        if not args.json:
            print(f"wasmtime: {name} ...", file=sys.stderr)
        results.append(count_workload(module, work) if args.fuel else run_workload(module, work, args.samples, args.warmup))
    if args.fuel:
        if args.json:
            print(json.dumps({"count": "wasmtime-fuel", "module": args.module, "scenarios": results}))
        else:
            for r in results:
                print(f"{r['name']:22} {r['fuel']:14,} wasm operations per call ({r['request_bytes']:,} request bytes)")
        return 0
    doc = {"clock": "process-cpu", "wasmtime": wasmtime.__version__ if hasattr(wasmtime, "__version__") else "?",
           "module": args.module, "warmup": args.warmup, "scenarios": results}
    if args.json:
        print(json.dumps(doc))
    else:
        for r in results:
            print(f"{r['name']:22} placed {r['placed']:6}  util {r['utilisation'] * 100:6.2f}%  "
                  f"{r['wasm_ms']['median']:9.3f} ms/call (median of {r['wasm_ms']['samples']})")
    if not all(r["checked"] for r in results):
        print("wasmtime: samples disagreed on the response", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
