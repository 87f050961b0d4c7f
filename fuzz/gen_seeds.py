#!/usr/bin/env python3
"""Generates the committed seed corpora under fuzz/seeds/<target>/ from the conformance
vectors (tests/data/conformance/vectors.json), the examples (examples/), the malformed-input
suite (tests/data/malformed/*.jsonl) and a few hand-written inputs for what those lack.

Run from anywhere: python3 fuzz/gen_seeds.py. Deterministic: the same tree gives the same
files (named by the SHA-1 of their content, as libFuzzer names corpus files). Existing seeds
are replaced, so a seed that is no longer generated disappears.
"""
import hashlib
import json
import random
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "fuzz" / "seeds"

TARGETS = [
    "call_json",
    "parse_constraint",
    "roundtrip_constraint",
    "parse_resources",
    "roundtrip_resources",
    "parse_attributes",
    "place_arbitrary",
    "diff_reference",
]

# Inputs the conformance data does not cover: every operator, quoting, sets, versions,
# comparisons, dialect corners, resource and attribute syntax corners.
EXTRA_CONSTRAINTS = [
    "hostname UNIQUE",
    "@hostname CLUSTER host1",
    "rack GROUP_BY 3",
    "rack GROUP_BY",
    "rack LIKE r[12]",
    "rack UNLIKE r(1|2)",
    "rack MAX_PER 2",
    "jdk IS 1.0",
    "zone IN {a,b,c}",
    "zone NOT_IN {a}",
    "gpu EXISTS",
    "gpu NOT_EXISTS",
    "level >= 2.5",
    "level < 10",
    "level <= 3",
    "level > 0",
    "os_version VERSION >=1.2, <2",
    '"my field" LIKE "a b"',
    "@region CLUSTER us-east-1",
    "@zone UNIQUE",
    "rack LIKE (?=r)r\\d+",
    "rack  group_by   3",
    "att1 LIKE v1",
    "att2 UNLIKE v2",
    "rack\nLIKE\nr[12]",
    "hostname\nUNIQUE",
    "\\|\natt1|LIKE|v.*",
    ",\natt1,UNLIKE,v2",
]
EXTRA_RESOURCES = [
    "cpus:4;mem:1024;disk:0;ports:[31000-32000]",
    "cpus(web):2;cpus(*):1;mem(web/api):512",
    "cpus(role, principal):1",
    "disks:{sda1,sda2};ports:[1-1, 3-5]",
    "gpus:2;cpus:0.001;mem:1.2345",
    "ports:[0-18446744073709551615]",
    "cpus:99999999999.999",
    "cpus:-1",
    "cpus:nan",
    "mem:1e400",
    "ports:[5-1]",
    "name:text-value",
    "cpus :  4 ; mem : 1024 ",
    "*\ncpus:1",
    "web\ncpus:2;mem(web):3",
]
EXTRA_ATTRIBUTES = [
    "rack:r1;zone:a",
    "node_id:mesos-agent-01;rack:r1;att1:v1;level:2.5",
    "ports:[10000-20000, 30000-50000];rack:rack1,rack2",
    "set:{a,b,c};scalar:1.0005",
    "level:-3",
    "empty:",
    ":value",
    "a:b:c",
]
EXTRA_VALUES = ["[31000-32000, 32001-32005]", "{a,b}", "45.55", "text", "[1-2b]", "[", "{", "1e3"]


def write(target, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    d = SEEDS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()).write_bytes(data)


def attr_text(a):
    """An attribute of the conformance shorthand as Mesos text."""
    t = a.get("type")
    if t == "SCALAR":
        v = a.get("scalar")
        return f"{a['name']}:{v}"
    if t == "RANGES":
        return a["name"] + ":[" + ", ".join(f"{b}-{e}" for b, e in a.get("ranges", [])) + "]"
    if t == "SET":
        return a["name"] + ":{" + ",".join(a.get("set", [])) + "}"
    return f"{a['name']}:{a.get('text', '')}"


def constraint_forms(c):
    """(text, lines) of a constraint in any of its forms."""
    if isinstance(c, list):
        return " ".join(str(x) for x in c), "\n".join(str(x) for x in c)
    if isinstance(c, dict):
        parts = [c.get("field", ""), c.get("operator", "")]
        if c.get("value"):
            parts.append(c["value"])
        return " ".join(parts), "\n".join(parts)
    return str(c), str(c)


def main():
    vectors = json.loads((ROOT / "tests/data/conformance/vectors.json").read_text())
    if SEEDS.exists():
        shutil.rmtree(SEEDS)
    requests = []
    constraints, resources, attributes, values = [], [], [], []
    for case in vectors["cases"]:
        kind, inp = case["kind"], case["input"]
        if kind.startswith("marathon.constraint") or kind == "marathon.volume_constraint.eval":
            text, lines = constraint_forms(inp["constraint"])
            constraints += [text, lines]
            requests.append({"op": "parse_constraints", "constraints": [inp["constraint"]]})
            if kind == "marathon.constraint.eval":
                cand = {
                    "hostname": inp["offer"]["hostname"],
                    "attributes": ";".join(attr_text(a) for a in inp["offer"].get("attributes", [])),
                }
                placed = [
                    {
                        "id": f"p{i}",
                        "group": "app",
                        "hostname": p["hostname"],
                        "attributes": ";".join(attr_text(a) for a in p.get("attributes", [])),
                    }
                    for i, p in enumerate(inp.get("placed", []))
                ]
                req = {"op": "check_constraints", "constraints": [inp["constraint"]], "candidate": cand, "placed": placed}
                if "target_instances" in inp:
                    req["instances"] = inp["target_instances"]
                requests.append(req)
        elif kind == "openwhisk.constraint.parse":
            constraints += inp["strings"]
            requests.append(
                {"op": "parse_constraints", "constraints": inp["strings"], "dialect": "openwhisk", "delimiter": inp["delimiter"]}
            )
        elif kind in ("mesos.resources.parse", "mesos.resources.format"):
            resources.append(inp["text"])
            requests.append({"op": "parse_resources", "text": inp["text"]})
            requests.append({"op": "format_resources", "resources": inp["text"]})
        elif kind == "mesos.resources.op":
            resources += [inp["left"], inp["right"]] if isinstance(inp.get("right"), str) else [inp["left"]]
            op = {"add": "add", "subtract": "subtract", "contains": "contains", "equal": "equal"}.get(inp["op"])
            if op and isinstance(inp.get("left"), str) and isinstance(inp.get("right"), str):
                requests.append({"op": "resource_math", "operation": op, "left": inp["left"], "right": inp["right"]})
        elif kind == "mesos.value.parse":
            values.append(inp["text"])
            requests.append({"op": "parse_value", "text": inp["text"]})
        elif kind == "mesos.attributes.parse":
            attributes.append(inp["text"])
            requests.append({"op": "parse_attributes", "text": inp["text"]})
        elif kind == "mesos.attributes.equal":
            attributes += [inp["a"], inp["b"]]
    constraints += EXTRA_CONSTRAINTS
    resources += EXTRA_RESOURCES
    attributes += EXTRA_ATTRIBUTES
    values += EXTRA_VALUES

    # The examples: the agent flags file (resources and attributes), the offers event and
    # the place request.
    flags = (ROOT / "examples/agent-flags.txt").read_text()
    for line in flags.splitlines():
        line = line.strip().strip('"')
        for key, bucket in (("--resources=", resources), ("MESOS_RESOURCES=", resources),
                            ("--attributes=", attributes), ("MESOS_ATTRIBUTES=", attributes)):
            if line.startswith(key):
                bucket.append(line[len(key):].strip('"'))
    place = json.loads((ROOT / "examples/place-request.json").read_text())
    requests.append(place)
    requests.append({"op": "version"})

    for c in constraints:
        write("parse_constraint", c)
        write("roundtrip_constraint", c)
    for r in resources + values:
        write("parse_resources", r)
        write("roundtrip_resources", r)
    for a in attributes:
        write("parse_attributes", a)
    for r in requests:
        write("call_json", json.dumps(r, separators=(",", ":")))
    # The malformed suite: every bad request is a good seed for the dispatcher.
    for f in sorted((ROOT / "tests/data/malformed").glob("*.jsonl")):
        for line in f.read_text().splitlines():
            if line.strip():
                case = json.loads(line)
                if "request_hex" in case:
                    req = bytes.fromhex(case["request_hex"])
                else:
                    req = case["request"].encode("utf-8")
                # Huge expansions stay small here: the structure matters, not the size.
                for e in case.get("expand", []):
                    req = req.replace(e["marker"].encode(), e["repeat"].encode() * min(e["times"], 100), 1)
                write("call_json", req)
    # Structured targets read `arbitrary` bytes: a spread of deterministic random inputs.
    rng = random.Random(6)
    for target in ("place_arbitrary", "diff_reference"):
        for n in (16, 32, 64, 128, 256, 512, 1024, 2048):
            for _ in range(3):
                write(target, bytes(rng.randrange(256) for _ in range(n)))
    for t in TARGETS:
        count = len(list((SEEDS / t).iterdir())) if (SEEDS / t).exists() else 0
        print(f"{t}: {count} seeds")


if __name__ == "__main__":
    main()
