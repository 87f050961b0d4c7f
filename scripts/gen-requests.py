#!/usr/bin/env python3
"""Writes the cross-host request corpus: one contract request per line (JSON Lines, UTF-8).

    python3 scripts/gen-requests.py [--out target/requests.jsonl] [--no-malformed]

Every host (the native CLI, the C ABI through ctypes, the plain-WASM ABI through wasmtime, the
Node package) answers each line, and the answers must be byte-identical. The corpus is:

1. one request per conformance case in tests/data/conformance/vectors.json whose kind maps to
   a contract op (the mapping is `case_requests` below; a case may give several requests,
   e.g. `mesos.attributes.equal` parses both sides). The point here is identical answers
   across hosts, not the expected values: tests/conformance.rs checks those;
2. every request in examples/*.json (an object with an "op", or a list of them) and
   examples/*.jsonl, plus a `place` request built from each Mesos OFFERS event in examples/;
3. a malformed set that is valid UTF-8 text (truncated JSON, wrong types, unknown ops and
   fields, duplicate keys, NaN-like and huge numbers, enormous strings, deep nesting). Bytes
   that are not UTF-8 cannot be carried by every host's line reader the same way, so the
   Python tests add those themselves (bindings/c/tests/test_abi.py).

Output is deterministic (same bytes on every run). No line contains a raw newline or CR.
"""

import argparse
import glob
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def dumps(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def ranges_text(ranges):
    return "[" + ", ".join(f"{b}-{e}" for b, e in ranges) + "]"


def mesos_resource(r):
    """A vectors.json resource ({name, role, scalar|ranges|set, ...}) as Mesos v1 JSON."""
    out = {"name": r["name"]}
    if "scalar" in r:
        out["type"] = "SCALAR"
        out["scalar"] = {"value": r["scalar"]}
    elif "ranges" in r:
        out["type"] = "RANGES"
        out["ranges"] = {"range": [{"begin": b, "end": e} for b, e in r["ranges"]]}
    elif "set" in r:
        out["type"] = "SET"
        out["set"] = {"item": r["set"]}
    if "role" in r:
        out["role"] = r["role"]
    if "reservation" in r:
        out["reservation"] = r["reservation"]
    if "disk_source" in r:
        src = dict(r["disk_source"])
        disk = {"source": {"type": src.pop("type")}}
        if "root" in src:
            kind = disk["source"]["type"].lower()
            disk["source"][kind] = {"root": src["root"]}
        out["disk"] = disk
    return out


def mesos_attribute(a):
    """A vectors.json typed attribute as Mesos v1 JSON."""
    out = {"name": a["name"], "type": a["type"]}
    if a["type"] == "TEXT":
        out["text"] = {"value": a["text"]}
    elif a["type"] == "SCALAR":
        out["scalar"] = {"value": a["scalar"]}
    elif a["type"] == "RANGES":
        out["ranges"] = {"range": [{"begin": b, "end": e} for b, e in a["ranges"]]}
    elif a["type"] == "SET":
        out["set"] = {"item": a["set"]}
    return out


def candidate(host):
    out = {"hostname": host.get("hostname", "")}
    if "attributes" in host:
        out["attributes"] = [mesos_attribute(a) for a in host["attributes"]]
    for k in ("region", "zone"):
        if host.get(k) is not None:
            out[k] = host[k]
    return out


def offer(i, o, resources):
    return {
        "id": {"value": str(o.get("id", f"O{i}"))},
        "agent_id": {"value": f"S{i}"},
        "hostname": o.get("hostname", f"agent-{i}"),
        "resources": resources,
        "attributes": [mesos_attribute(a) for a in o.get("attributes", [])],
    }


def case_requests(case):
    """The contract requests a conformance case maps to ([] when its kind has no op)."""
    kind, inp = case["kind"], case["input"]
    if kind == "marathon.constraint.validate":
        return [{"op": "parse_constraints", "constraints": [inp["constraint"]]}]
    if kind == "marathon.constraint.eval":
        c = inp["constraint"]
        req = {
            "op": "check_constraints",
            "constraints": [{"field": c["field"], "operator": c["operator"], "value": c.get("value", "")}],
            "candidate": candidate(inp["offer"]),
            "placed": [
                dict(candidate(p), id=f"placed-{n}", group="app") for n, p in enumerate(inp.get("placed", []))
            ],
        }
        if "target_instances" in inp:
            req["instances"] = inp["target_instances"]
        return [req]
    if kind == "marathon.volume_constraint.eval":
        return [{"op": "parse_constraints", "constraints": [inp["constraint"]]}]
    if kind == "openwhisk.constraint.parse":
        return [
            {"op": "parse_constraints", "constraints": inp["strings"], "dialect": "openwhisk",
             "delimiter": inp.get("delimiter", " ")}
        ]
    if kind == "mesos.value.parse":
        return [{"op": "parse_value", "text": inp["text"]}]
    if kind == "mesos.resources.parse":
        req = {"op": "parse_resources", "text": inp["text"]}
        if "default_role" in inp:
            req["default_role"] = inp["default_role"]
        return [req]
    if kind == "mesos.resource.parse_one":
        return [{"op": "parse_resources", "text": f"{inp['name']}({inp['role']}):{inp['value']}"}]
    if kind == "mesos.resources.format":
        return [{"op": "format_resources", "resources": inp["text"]}]
    if kind == "mesos.scalar.format":
        return [{"op": "format_resources",
                 "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": inp["value"]}}]}]
    if kind == "mesos.resources.op":
        req = {"op": "resource_math", "operation": inp["op"], "left": inp["left"], "right": inp.get("right", "")}
        if "role" in inp:
            req["role"] = inp["role"]
        return [req]
    if kind == "mesos.ranges.op":
        if inp["op"] == "coalesce":
            return [{"op": "parse_value", "text": ranges_text(inp["left"])}]
        return [{"op": "resource_math", "operation": inp["op"], "left": f"ports:{ranges_text(inp['left'])}",
                 "right": f"ports:{ranges_text(inp['right'])}"}]
    if kind == "mesos.set.op":
        return [{"op": "resource_math", "operation": inp["op"], "left": "disks:{" + ",".join(inp["left"]) + "}",
                 "right": "disks:{" + ",".join(inp["right"]) + "}"}]
    if kind == "mesos.attributes.parse":
        return [{"op": "parse_attributes", "text": inp["text"]}]
    if kind == "mesos.attributes.equal":
        return [{"op": "parse_attributes", "text": inp["a"]}, {"op": "parse_attributes", "text": inp["b"]}]
    if kind == "marathon.ports.match":
        resources = [mesos_resource({"name": "cpus", "role": "*", "scalar": 4}),
                     mesos_resource({"name": "mem", "role": "*", "scalar": 4096})]
        resources += [mesos_resource({"name": "ports", "role": p["role"], "ranges": p["ranges"]})
                      for p in inp["offer_ports"]]
        r = inp["request"]
        if r["mode"] == "port_definitions":
            ports = r["ports"] if r.get("require_ports") else [0] * len(r["ports"])
        else:
            ports = [p or 0 for p in r["host_ports"]]
        task = {"id": "app", "cpus": 0.1, "mem": 32, "ports": ports, "accepted_roles": inp["accepted_roles"]}
        return [{"op": "place", "offers": [offer(1, {"hostname": "localhost"}, resources)], "tasks": [task],
                 "options": {"profile": "marathon", "roles": [r for r in inp["accepted_roles"] if r != "*"] or ["*"]}}]
    if kind == "marathon.resources.match":
        o, app = inp["offer"], inp["app"]
        resources = [mesos_resource(r) for r in o["resources"]]
        task = {"id": "app", "cpus": app.get("cpus", 0), "mem": app.get("mem", 0), "disk": app.get("disk", 0),
                "gpus": app.get("gpus", 0)}
        if app.get("port_definitions"):
            task["ports"] = app["port_definitions"] if app.get("require_ports") else [0] * len(app["port_definitions"])
        elif app.get("port_mappings"):
            task["ports"] = [m.get("host_port") or 0 for m in app["port_mappings"] if m.get("host_port") is not None]
        if app.get("accepted_resource_roles"):
            task["accepted_roles"] = app["accepted_resource_roles"]
        if app.get("constraints"):
            task["constraints"] = app["constraints"]
        if app.get("persistent_volumes"):
            task["volumes"] = [{k: v for k, v in pv.items() if k in ("type", "size", "max_size")}
                               for pv in app["persistent_volumes"]]
        of = offer(1, o, resources)
        if o.get("region") or o.get("zone"):
            of["domain"] = {"fault_domain": {"region": {"name": o.get("region") or ""},
                                             "zone": {"name": o.get("zone") or ""}}}
        options = {"profile": "marathon"}
        roles = [r for r in inp.get("selector", {}).get("roles", []) if r != "*"]
        if roles:
            options["roles"] = roles
        cfg = inp.get("config") or {}
        if cfg.get("local_region"):
            options["local_region"] = cfg["local_region"]
        return [{"op": "place", "offers": [of], "tasks": [task], "options": options}]
    if kind == "mesos_actor.match":
        offers = [offer(i, o, [mesos_resource(r) for r in o["resources"]]) for i, o in enumerate(inp["offers"], 1)]
        tasks = [{"id": t["task_id"], "cpus": t["cpus"], "mem": t["mem"], "ports": [0] * len(t.get("ports", [])),
                  "constraints": t.get("constraints", []), "dialect": "openwhisk"} for t in inp["tasks"]]
        options = {"profile": "mesos-actor"}
        if inp.get("role") and inp["role"] != "*":
            options["roles"] = [inp["role"]]
        if inp.get("port_blacklist"):
            options["port_blacklist"] = inp["port_blacklist"]
        return [{"op": "place", "offers": offers, "tasks": tasks, "options": options}]
    return []


def conformance_requests():
    with open(os.path.join(ROOT, "tests/data/conformance/vectors.json"), encoding="utf-8") as f:
        cases = json.load(f)["cases"]
    out = []
    for case in cases:
        out.extend(case_requests(case))
    return out


def example_requests():
    out = []
    for path in sorted(glob.glob(os.path.join(ROOT, "examples", "*.json"))):
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        items = data if isinstance(data, list) else [data]
        for item in items:
            if isinstance(item, dict) and "op" in item:
                out.append(item)
            elif isinstance(item, dict) and item.get("type") == "OFFERS":
                offers = item.get("offers", {}).get("offers", [])
                # A small, fixed batch: one web task, one port-hungry task, one that fits nowhere.
                tasks = [
                    {"id": "web-1", "cpus": 1, "mem": 1024, "ports": [0]},
                    {"id": "api-1", "cpus": 2, "mem": 2048, "ports": [0, 0], "constraints": ["hostname UNIQUE"]},
                    {"id": "huge-1", "cpus": 1000, "mem": 1},
                ]
                out.append({"op": "place", "offers": offers, "tasks": tasks})
                out.append({"op": "place", "offers": offers, "tasks": tasks,
                            "options": {"strategy": "spread", "framework_id": "fw-1"}})
    for path in sorted(glob.glob(os.path.join(ROOT, "examples", "*.jsonl"))):
        with open(path, encoding="utf-8") as f:
            out.extend(json.loads(line) for line in f if line.strip())
    return out


def malformed_lines():
    """Malformed requests as raw text lines (valid UTF-8, no newline inside)."""
    deep_array = "[" * 5000 + "]" * 5000
    deep_object = '{"op":"parse_value","text":' + '{"a":' * 300 + "1" + "}" * 300 + "}"
    huge_text = "x" * (2 * 1024 * 1024)
    lines = [
        "",  # an empty request
        "   ",
        "{",
        '{"op":"parse_value","text":"[1-',
        '{"op":"parse_value","text":"[1-2]"',
        '{"op":"parse_value","text":"[1-2]"}}',
        "[]",
        "null",
        "42",
        '"version"',
        "{}",
        '{"op":42}',
        '{"op":null}',
        '{"op":"no_such_op"}',
        '{"op":"parse_valu","text":"1"}',
        '{"op":"version","op":"version"}',
        '{"op":"parse_value"}',
        '{"op":"parse_value","text":5}',
        '{"op":"parse_value","text":"1","extra":true}',
        '{"op":"parse_value","text":"[5-1]"}',
        '{"op":"parse_value","text":"[0-18446744073709551615]"}',
        '{"op":"parse_value","text":"[0-18446744073709551616]"}',
        '{"op":"parse_value","text":"NaN"}',
        '{"op":"parse_value","text":"1e400"}',
        '{"op":"parse_resources","text":"cpus:NaN"}',
        '{"op":"parse_resources","text":"cpus:-1"}',
        '{"op":"parse_resources","text":"cpus:99999999999999999999"}',
        '{"op":"parse_resources","text":"ports:[1-"}',
        '{"op":"format_resources","resources":[{"name":"cpus","type":"SCALAR","scalar":{"value":1e400}}]}',
        '{"op":"format_resources","resources":{"name":"cpus"}}',
        '{"op":"resource_math","operation":"divide","left":"cpus:1","right":"cpus:1"}',
        '{"op":"parse_attributes","text":"rack"}',
        '{"op":"parse_constraints","constraints":"hostname UNIQUE"}',
        '{"op":"parse_constraints","constraints":[["hostname","NOPE"]]}',
        '{"op":"check_constraints","constraints":[],"candidate":5,"placed":[]}',
        '{"op":"place","offers":{},"tasks":[]}',
        '{"op":"place","offers":[],"tasks":[{"id":"a"},{"id":"a"}]}',
        '{"op":"place","offers":[],"tasks":[{"id":"a","cpus":-1}]}',
        '{"op":"place","offers":[],"tasks":[],"options":{"strategy":"nope"}}',
        '{"op":"parse_value","text":"\\ud800"}',
        '{"op":"parse_value","text":"\\u0000"}',
        '{"op":"parse_value","text":NaN}',
        '{"op":"parse_value","text":Infinity}',
        '{"op":"parse_value","text":"1"} trailing',
        "\ufeff{\"op\":\"version\"}",
        '{"op":"parse_value","text":"caf\u00e9 \u2603 \U0001f600"}',
        deep_array,
        deep_object,
        '{"op":"parse_value","text":"' + huge_text + '"}',
        '{"op":"' + "p" * 100_000 + '"}',
        '{"op":"parse_resources","text":"' + ";".join(f"r{i}:{i}" for i in range(20_000)) + '"}',
    ]
    for line in lines:
        assert "\n" not in line and "\r" not in line
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "target", "requests.jsonl"))
    ap.add_argument("--no-malformed", action="store_true", help="leave out the malformed set")
    args = ap.parse_args()
    lines = [dumps(r) for r in conformance_requests() + example_requests()]
    if not args.no_malformed:
        lines += malformed_lines()
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8", newline="\n") as f:
        for line in lines:
            f.write(line + "\n")
    print(f"gen-requests: wrote {len(lines)} requests to {os.path.relpath(args.out, ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
