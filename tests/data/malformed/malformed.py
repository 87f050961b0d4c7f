#!/usr/bin/env python3
"""The malformed-input suite for Python hosts (README.md beside this file has the format).

As a library (the C ABI / plain-WASM tests):

    import sys; sys.path.insert(0, "tests/data/malformed")
    import malformed
    for case in malformed.load():              # every case, in file order
        answer = my_host_call(case.request)    # bytes in, bytes or str out
        problem = malformed.judge(case, answer)
        assert problem is None, f"{case.id}: {problem}"

As a program, it runs the suite through the CLI, `offerfit call --lines` (cases whose request
holds a newline go alone through `offerfit call FILE`), and exits 1 on any failure:

    python3 tests/data/malformed/malformed.py --cli target/debug/offerfit
"""
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from typing import List, Optional

HERE = os.path.dirname(os.path.abspath(__file__))


@dataclass
class Case:
    file: str
    id: str
    op: Optional[str]
    request: bytes
    code: str
    message_contains: str
    path: Optional[str]

    @property
    def is_text(self) -> bool:
        """False for the raw-byte cases (`request_hex`), which text-only hosts skip."""
        try:
            self.request.decode("utf-8")
            return True
        except UnicodeDecodeError:
            return False


def build_request(line: dict) -> bytes:
    """`request` (text) or `request_hex` (bytes), with every `expand` entry applied in order."""
    if ("request" in line) == ("request_hex" in line):
        raise ValueError(f"{line.get('id')}: needs exactly one of request / request_hex")
    data = bytes.fromhex(line["request_hex"]) if "request_hex" in line else line["request"].encode("utf-8")
    for e in line.get("expand", []):
        marker = e["marker"].encode("utf-8")
        if marker not in data:
            raise ValueError(f"{line.get('id')}: marker {e['marker']!r} not in the request")
        data = data.replace(marker, e["repeat"].encode("utf-8") * e["times"], 1)
    return data


def load(directory: str = HERE) -> List[Case]:
    cases = []
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".jsonl"):
            continue
        with open(os.path.join(directory, name), encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    continue
                d = json.loads(line)
                cases.append(Case(name, d["id"], d.get("op"), build_request(d), d["code"],
                                  d.get("message_contains", ""), d.get("path")))
    return cases


def judge(case: Case, answer) -> Optional[str]:
    """None when `answer` (bytes or str) is a correct refusal of `case`, else what is wrong."""
    if isinstance(answer, bytes):
        answer = answer.decode("utf-8")
    answer = answer.rstrip("\n")
    if "\n" in answer:
        return "the answer spans several lines"
    try:
        v = json.loads(answer)
    except ValueError as e:
        return f"the answer is not JSON ({e}): {answer[:300]}"
    if not isinstance(v, dict) or v.get("ok") is not False:
        return f"expected ok:false, got {answer[:300]}"
    first = (v.get("errors") or [{}])[0]
    if first.get("code") != case.code:
        return f"expected code {case.code!r}, got {first.get('code')!r}: {first.get('message')}"
    if case.message_contains not in first.get("message", ""):
        return f"message {first.get('message')!r} lacks {case.message_contains!r}"
    if case.path is not None and first.get("path") != case.path:
        return f"expected path {case.path!r}, got {first.get('path')!r}"
    return None


def run_cli(cli: str) -> int:
    cases = load()
    lines = [c for c in cases if b"\n" not in c.request and b"\r" not in c.request]
    alone = [c for c in cases if c not in lines]
    failures = []
    proc = subprocess.run([cli, "call", "--lines"], input=b"".join(c.request + b"\n" for c in lines),
                          capture_output=True, timeout=600)
    if proc.returncode != 1:
        failures.append(f"`call --lines` exited {proc.returncode}, expected 1: {proc.stderr[-500:]!r}")
    answers = proc.stdout.split(b"\n")
    if answers and answers[-1] == b"":
        answers.pop()
    if len(answers) != len(lines):
        failures.append(f"{len(lines)} requests but {len(answers)} answer lines")
    for case, answer in zip(lines, answers):
        problem = judge(case, answer)
        if problem:
            failures.append(f"{case.id}: {problem}")
    for case in alone:
        with tempfile.NamedTemporaryFile(delete=False) as f:
            f.write(case.request)
        try:
            p = subprocess.run([cli, "call", f.name], capture_output=True, timeout=120)
        finally:
            os.unlink(f.name)
        problem = judge(case, p.stdout) or (None if p.returncode == 1 else f"exit status {p.returncode}")
        if problem:
            failures.append(f"{case.id} (alone): {problem}")
    for f in failures:
        print(f, file=sys.stderr)
    print(f"malformed suite through the CLI: {len(cases) - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "--cli":
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(run_cli(sys.argv[2]))
