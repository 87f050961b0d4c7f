#!/usr/bin/env python3
"""Parses every Mesos call of the session goldens (tests/data/session/*.out.jsonl) strictly with
protobuf's own JSON parser, as the outside harness does: unknown fields, wrong types and bad
enum names fail, and every proto2 `required` field must be set.

Needs the Python packages `protobuf` and `grpcio-tools` (for protoc), and Apache Mesos'
`include/` directory (mesos/v1/mesos.proto, mesos/v1/scheduler/scheduler.proto), which the
repository does not ship:

    python3 tests/data/session/check_calls_protobuf.py --proto-root /path/to/mesos/include [FILES...]

FILES default to every `*.out.jsonl` beside this script; any JSON Lines file of session
outputs works (`offerfit session CONFIG.json < inputs > outputs`). Exits 1 on any failure.
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--proto-root", required=True)
    ap.add_argument("files", nargs="*")
    args = ap.parse_args()
    out = tempfile.mkdtemp()
    subprocess.run([sys.executable, "-m", "grpc_tools.protoc", "-I", args.proto_root, "--python_out", out,
                    "mesos/v1/mesos.proto", "mesos/v1/scheduler/scheduler.proto"], check=True)
    sys.path.insert(0, out)
    from google.protobuf import json_format
    from mesos.v1.scheduler import scheduler_pb2

    files = args.files or sorted(glob.glob(os.path.join(HERE, "*.out.jsonl")))
    calls = failures = 0
    kinds = set()
    for f in files:
        for n, line in enumerate(open(f), 1):
            answer = json.loads(line)
            for c in answer.get("calls", []):
                calls += 1
                kinds.add(c.get("type"))
                msg = scheduler_pb2.Call()
                try:
                    json_format.Parse(json.dumps(c), msg, ignore_unknown_fields=False)
                    missing = msg.FindInitializationErrors()
                    if missing:
                        raise ValueError("required fields not set: %s" % ", ".join(missing))
                except Exception as e:  # noqa: BLE001 - report every kind of refusal
                    failures += 1
                    print("%s:%d: %s: %s\n  %s" % (os.path.basename(f), n, c.get("type"), e, json.dumps(c)[:400]))
    print("%d calls (%s) parsed, %d refused" % (calls, ", ".join(sorted(kinds)), failures))
    sys.exit(1 if failures or not calls else 0)


if __name__ == "__main__":
    main()
