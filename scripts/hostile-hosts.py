#!/usr/bin/env python3
"""The hostile-request battery of issue 20 through every host, as the issue's checker runs it.

Each request of `offerfit::bench_gen::hostile` (written by `offerfit bench --write-hostile DIR`)
is answered in a child process of its own by each host:

  cli     `offerfit call FILE` (the CLI's streaming reader)
  c       `offerfit_call` of the C ABI (ctypes on libofferfit_c.so)
  engine  `offerfit_engine_call` of the C ABI, on an engine made with default options
  wasm    `offerfit_call` of the plain-WASM ABI (offerfit_c.wasm under wasmtime)
  node    `call` of the npm package under Node (bindings/wasm, its `pkg/` built by the wasm
          stage; not in the default --hosts: `--hosts cli,c,engine,wasm,node`)

and each answer is checked: one JSON object on one line, no larger than the cost model's
answer bound (docs/limits.md, "Answer size"; the same rule as
`offerfit::bench_gen::hostile::answer_bound`), the child's peak resident memory under 256 MiB
and, with --time, its wall time under 2 s. Nothing may abort, trap or answer twice.

    python3 scripts/hostile-hosts.py --cheap              # what CI runs (debug builds)
    python3 scripts/hostile-hosts.py --json > hosts.json  # the issue's sizes (release builds)

Artifacts default to $CARGO_TARGET_DIR (or target/) as bindings/c/tests/test_abi.py finds
them; --release takes the CLI and the C library from release/. The wasm host needs the
`wasmtime` Python package (scripts/stages/c.sh installs it in target/abi-venv; --python
names the interpreter for the children).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))

# The cost model's answer bound (src/bench_gen/hostile.rs; docs/limits.md, "Answer size").
ANSWER_SLACK = 4096
LAUNCH_SLACK = 512
LAUNCH_FACTOR = 24
REMAINING_FACTOR = 16
DECLINE_SLACK = 96
REPEAT_BUDGET = 16 << 20  # Limits::repeat_budget() with the default request_bytes
MEMORY_LIMIT = 256 << 20
TIME_LIMIT = 2.0
HOSTS = ("cli", "c", "engine", "wasm")
ALL_HOSTS = HOSTS + ("node",)

# The node child: the package's `call` on the request text, its answer to a file, the call's
# time and the module's linear memory to stdout.
NODE_CHILD = r"""
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
const [pkg, requestPath, answerPath] = process.argv.slice(-3);
const { call } = await import(pathToFileURL(join(pkg, 'js/node.mjs')).href);
const raw = createRequire(import.meta.url)(join(pkg, 'pkg/node/offerfit_wasm.js'));
const text = readFileSync(requestPath, 'utf8');
// V8 compiles a module's functions on their first call: two small calls first, so that the
// time measured is the request's, as wasmtime's compiling of the module is left out above.
call('{"op":"version"}');
call('{"op":"place","offers":[{"id":"o","agent_id":"a","hostname":"h","resources":"cpus:1"}],"tasks":[{"id":"t","cpus":1}]}');
const start = performance.now();
const answer = call(text);
const took = (performance.now() - start) / 1000;
writeFileSync(answerPath, answer);
let memory = 0;
try { memory = raw.__memory().buffer.byteLength; } catch { memory = 0; }
console.log(JSON.stringify({ call_s: took, memory_bytes: memory }));
"""


def compact(v):
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False)


def answer_bound(request, answer):
    """(bound, remaining, copied) as `answer_bound` in src/bench_gen/hostile.rs."""
    n = len(request)
    bound, remaining, copied = n + ANSWER_SLACK, 0, 0
    if not (isinstance(answer, dict) and answer.get("ok") is True and "accept" in answer):
        return bound, remaining, copied
    try:
        req = json.loads(request)
    except ValueError:
        req = {}
    own = {}
    for t in req.get("tasks") or []:
        if isinstance(t, dict) and isinstance(t.get("id"), str):
            own[t["id"]] = len(compact(t).encode())
    times = 2 if answer.get("calls") is not None else 1
    for acc in answer["accept"]:
        remaining += len(compact(acc.get("remaining")).encode())
        for launch in acc.get("tasks") or []:
            bound += LAUNCH_SLACK + LAUNCH_FACTOR * own.get(launch.get("task_id"), 0)
            for r in launch.get("resources") or []:
                bare = {k: v for k, v in r.items() if k not in ("scalar", "ranges", "set")}
                copied += times * len(compact(bare).encode())
            if times == 2:
                copied += len(acc.get("agent_id", "").encode())
    # Every task gets an answer (an unplaced one its reasons and the nearest agent's id and
    # hostname, copied from the offers); every unused offer one decline.
    for u in answer.get("unplaced") or []:
        bound += LAUNCH_SLACK + LAUNCH_FACTOR * own.get(u.get("task_id"), 0)
        near = u.get("nearest") or {}
        # quoted apart from the launches' copies (a budget of their own in the engine)
        bound += sum(len((near.get(k) or "").encode()) for k in ("agent_id", "hostname"))
    for d in answer.get("decline") or []:
        bound += times * (DECLINE_SLACK + len((d.get("offer_id") or "").encode()))
    return bound + remaining + copied, remaining, copied


def check(request, answer_bytes):
    """The checks of one answer: a list of failures (empty when it passes) and its outcome."""
    problems = []
    text = answer_bytes.decode("utf-8", "replace")
    if "\n" in text:
        problems.append("the answer spans lines")
    try:
        answer = json.loads(text)
    except ValueError as e:
        return [f"not JSON: {e}"], "not JSON"
    if not isinstance(answer, dict):
        return ["not a JSON object"], "not an object"
    outcome = "ok" if answer.get("ok") is True else ((answer.get("errors") or [{}])[0].get("code") or "?")
    bound, remaining, copied = answer_bound(request, answer)
    if len(answer_bytes) > bound:
        problems.append(f"answer of {len(answer_bytes)} bytes over its bound {bound}")
    if remaining > REMAINING_FACTOR * len(request):
        problems.append(f"remaining of {remaining} bytes over {REMAINING_FACTOR} x the request")
    if copied > REPEAT_BUDGET:
        problems.append(f"launches copy {copied} bytes of metadata, over the budget {REPEAT_BUDGET}")
    return problems, outcome


# ---------------------------------------------------------------------------------------------
# children: one call in a fresh process, the answer to a file, the call's own time to stdout


def child(host, artifact, request_path, answer_path):
    with open(request_path, "rb") as f:
        request = f.read()
    extra = {}
    if host in ("c", "engine"):
        import ctypes

        lib = ctypes.CDLL(artifact)
        lib.offerfit_call.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_size_t)]
        lib.offerfit_call.restype = ctypes.c_void_p
        lib.offerfit_engine_new.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_void_p)]
        lib.offerfit_engine_new.restype = ctypes.c_void_p
        lib.offerfit_engine_call.argtypes = [
            ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_size_t)]
        lib.offerfit_engine_call.restype = ctypes.c_void_p
        lib.offerfit_engine_free.argtypes = [ctypes.c_void_p]
        lib.offerfit_string_free.argtypes = [ctypes.c_void_p]
        n = ctypes.c_size_t(0)
        if host == "engine":
            err = ctypes.c_void_p(0)
            engine = lib.offerfit_engine_new(None, 0, ctypes.byref(err))
            assert engine and not err.value, "offerfit_engine_new failed"
            start = time.perf_counter()
            ptr = lib.offerfit_engine_call(engine, request, len(request), ctypes.byref(n))
        else:
            start = time.perf_counter()
            ptr = lib.offerfit_call(request, len(request), ctypes.byref(n))
        took = time.perf_counter() - start
        assert ptr, "offerfit returned NULL"
        answer = ctypes.string_at(ptr, n.value)
        lib.offerfit_string_free(ptr)
    elif host == "wasm":
        import wasmtime

        config = wasmtime.Config()
        try:
            # Compiled once, loaded by the next children (wasmtime's own on-disk cache).
            config.cache = True
        except Exception:  # noqa: BLE001 - a wasmtime without a cache compiles every time
            pass
        engine = wasmtime.Engine(config)
        store = wasmtime.Store(engine)
        instance = wasmtime.Instance(store, wasmtime.Module.from_file(engine, artifact), [])
        ex = instance.exports(store)
        memory, alloc, free, call = ex["memory"], ex["offerfit_alloc"], ex["offerfit_free"], ex["offerfit_call"]
        ptr = alloc(store, len(request))
        assert ptr != 0, "offerfit_alloc returned 0"
        memory.write(store, request, ptr)
        start = time.perf_counter()
        packed = call(store, ptr, len(request)) & 0xFFFF_FFFF_FFFF_FFFF
        took = time.perf_counter() - start
        out, n = packed >> 32, packed & 0xFFFF_FFFF
        assert out != 0, "offerfit_call returned 0 (out of memory)"
        answer = bytes(memory.read(store, out, out + n))
        free(store, out, n)
        free(store, ptr, len(request))
        # The instance's own peak: its linear memory only grows.
        extra = {"memory_bytes": memory.size(store) * 65536}
    else:
        raise SystemExit(f"unknown host {host}")
    with open(answer_path, "wb") as f:
        f.write(answer)
    print(json.dumps({"call_s": took, **extra}))


# ---------------------------------------------------------------------------------------------
# the parent


def measure(argv, timeout):
    """Runs argv and reads the child's own rusage (peak RSS, CPU): exit status (None when
    killed for taking longer than `timeout`), wall seconds, peak RSS bytes, CPU seconds.
    Started by subprocess (vfork + exec), so the child's peak is not this process's size."""
    # A child's peak as wait4 reports it starts at this (Python) process's own size (Linux
    # carries the exec'ing process's high-water mark over); GNU time's child starts from
    # time's few pages, so its %M is the host's own peak.
    timer = "/usr/bin/time" if os.path.exists("/usr/bin/time") else None
    peak_file = os.path.join(tempfile.gettempdir(), f"hostile-peak-{os.getpid()}")
    if timer:
        argv = [timer, "-f", "%M", "-o", peak_file] + list(argv)
    start = time.monotonic()
    proc = subprocess.Popen(argv)
    deadline = start + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            proc.kill()
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = -9
            return None, time.monotonic() - start, usage.ru_maxrss * 1024, usage.ru_utime + usage.ru_stime
        time.sleep(0.005)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - start
    peak = usage.ru_maxrss * 1024
    if timer:
        try:
            with open(peak_file) as f:
                peak = int(f.read().split()[-1]) * 1024
        except (OSError, ValueError, IndexError):
            pass
    return proc.returncode, wall, peak, usage.ru_utime + usage.ru_stime


def run_case(host, artifacts, python, request_path, work, timeout):
    answer_path = os.path.join(work, "answer")
    stdout_path = os.path.join(work, "stdout")
    if os.path.exists(answer_path):
        os.remove(answer_path)
    if host == "cli":
        argv = ["sh", "-c", 'exec "$0" call "$1" >"$2" 2>/dev/null', artifacts["cli"], request_path, answer_path]
    elif host == "node":
        argv = ["sh", "-c", 'exec node --input-type=module -e "$0" "$1" "$2" "$3" >"$4"',
                NODE_CHILD, artifacts["node"], request_path, answer_path, stdout_path]
    else:
        art = artifacts["wasm" if host == "wasm" else "lib"]
        argv = ["sh", "-c", 'exec "$0" "$1" --child "$2" "$3" "$4" "$5" >"$6"',
                python, os.path.abspath(__file__), host, art, request_path, answer_path, stdout_path]
    code, wall, rss, cpu = measure(argv, timeout)
    result = {"host": host, "wall_s": round(wall, 3), "cpu_s": round(cpu, 3), "peak_rss_mib": round(rss / 2**20, 1)}
    if code is None:
        result.update(outcome=f"timed out after {timeout} s", problems=["timed out"])
        return result
    answer = open(answer_path, "rb").read() if os.path.exists(answer_path) else b""
    if host == "cli":
        # `offerfit call` ends its one answer with a newline; exit 0 (ok) or 1 (refused).
        if code not in (0, 1):
            result.update(outcome=f"exit {code}", problems=[f"the CLI exited {code}"])
            return result
        if not answer.endswith(b"\n"):
            result.update(outcome="no newline", problems=["the CLI's answer does not end with a newline"])
            return result
        answer = answer[:-1]
    elif code != 0:
        result.update(outcome=f"exit {code}", problems=[f"the host died (exit {code})"])
        return result
    else:
        try:
            reported = json.load(open(stdout_path))
            result["call_s"] = round(reported["call_s"], 3)
            if "memory_bytes" in reported:
                result["wasm_memory_mib"] = round(reported["memory_bytes"] / 2**20, 1)
        except (OSError, ValueError, KeyError):
            pass
    request = open(request_path, "rb").read()
    problems, outcome = check(request, answer)
    # The WASM instance is held to its linear memory (the wasmtime or Node process also holds
    # the compiled module, and Node the request as a JS string); the other hosts to the whole
    # process.
    used = result.get("wasm_memory_mib", 0) * 2**20 if host in ("wasm", "node") else rss
    if used > MEMORY_LIMIT:
        problems.append(f"peak memory {used} bytes over 256 MiB")
    result.update(outcome=outcome, request_bytes=len(request), answer_bytes=len(answer), problems=problems)
    return result


def artifacts_of(args):
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
    profile = "release" if args.release else "debug"
    return {
        "cli": args.cli or os.path.join(target, profile, "offerfit"),
        "lib": args.lib or os.path.join(target, profile, "libofferfit_c.so"),
        "wasm": args.wasm or os.path.join(target, "wasm32-unknown-unknown", "release", "offerfit_c.wasm"),
        "node": getattr(args, "node_package", None) or os.path.join(ROOT, "bindings", "wasm"),
    }


def run_all(args):
    artifacts = artifacts_of(args)
    hosts = [h for h in args.hosts.split(",") if h]
    for h in hosts:
        if h not in ALL_HOSTS:
            raise SystemExit(f"unknown host {h} (one of {', '.join(ALL_HOSTS)})")
        need = {"cli": "cli", "c": "lib", "engine": "lib", "wasm": "wasm", "node": "node"}[h]
        built = os.path.join(artifacts[need], "pkg", "node") if h == "node" else artifacts[need]
        if not os.path.exists(built):
            raise SystemExit(f"{h}: {built} does not exist; build it first")
    with tempfile.TemporaryDirectory(prefix="hostile-") as work:
        cases = args.cases
        if not cases:
            cases = os.path.join(work, "cases")
            cmd = [artifacts["cli"], "bench", "--write-hostile", cases] + (["--cheap"] if args.cheap else [])
            subprocess.run(cmd, check=True, stderr=subprocess.DEVNULL)
        index = json.load(open(os.path.join(cases, "index.json")))
        if args.only:
            index = [c for c in index if c["name"] in args.only.split(",")]
        results = []
        for c in index:
            for h in hosts:
                r = run_case(h, artifacts, args.python, os.path.join(cases, c["name"] + ".json"), work, args.timeout)
                r.update(name=c["name"], item=c["item"])
                # The call itself where the host is a library (loading it, or compiling the
                # WASM module, is the host's start-up); the whole process for the CLI.
                took = r.get("call_s", r.get("wall_s", 0))
                if args.time and took > TIME_LIMIT:
                    r.setdefault("problems", []).append(f"{took} s over {TIME_LIMIT} s")
                results.append(r)
                if args.verbose:
                    print(json.dumps(r), file=sys.stderr)
    return results


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:6])
        return 0
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--cheap", action="store_true", help="the CI sizes")
    p.add_argument("--hosts", default=",".join(HOSTS), help="comma-separated: cli,c,engine,wasm,node")
    p.add_argument("--only", help="comma-separated case names")
    p.add_argument("--release", action="store_true", help="the CLI and C library from release/")
    p.add_argument("--cli"), p.add_argument("--lib"), p.add_argument("--wasm")
    p.add_argument("--node-package", help="the npm package's directory (default bindings/wasm, its pkg/ built)")
    p.add_argument("--cases", help="a directory of `offerfit bench --write-hostile`")
    p.add_argument("--python", default=sys.executable, help="the interpreter for the C and wasm children")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds before a child is killed")
    p.add_argument("--time", action="store_true", help="also fail answers slower than 2 s (release builds)")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.add_argument("--verbose", action="store_true", help="print each result to stderr as it comes")
    args = p.parse_args()
    results = run_all(args)
    failed = [r for r in results if r["problems"]]
    if args.json:
        print(json.dumps({"results": results}, indent=1))
    else:
        print(f"{'case':28} {'host':7} {'req KiB':>9} {'ans KiB':>9} {'outcome':22} {'wall s':>7} {'call s':>7} "
              f"{'RSS MiB':>8} {'wasm MiB':>8}")
        for r in results:
            call = f"{r['call_s']:7.3f}" if "call_s" in r else f"{'':7}"
            wasm = f"{r['wasm_memory_mib']:8.1f}" if "wasm_memory_mib" in r else f"{'':8}"
            print(f"{r['name']:28} {r['host']:7} {r.get('request_bytes', 0) / 1024:9.1f} "
                  f"{r.get('answer_bytes', 0) / 1024:9.1f} {r['outcome'][:22]:22} {r['wall_s']:7.3f} {call} "
                  f"{r['peak_rss_mib']:8.1f} {wasm}{'  FAIL: ' + '; '.join(r['problems']) if r['problems'] else ''}")
    print(f"{len(results) - len(failed)} of {len(results)} answers pass", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
