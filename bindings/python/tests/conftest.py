"""Shared fixtures: the CLI to compare with, the request corpus, the malformed suite.

Environment (scripts/stages/python.sh sets them; the defaults suit a repository checkout):

    OFFERFIT_CLI       $CARGO_TARGET_DIR/debug/offerfit (CARGO_TARGET_DIR defaults to target/)
    OFFERFIT_REQUESTS  target/requests.jsonl (written by scripts/gen-requests.py when absent)
"""

import os
import subprocess
import sys
from typing import List

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
TARGET = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
sys.path.insert(0, os.path.join(ROOT, "tests", "data", "malformed"))


def cli_path() -> str:
    path = os.environ.get("OFFERFIT_CLI") or os.path.join(TARGET, "debug", "offerfit")
    if not os.path.exists(path):
        pytest.fail(f"OFFERFIT_CLI: {path} does not exist; build it (cargo build -p offerfit-cli)", pytrace=False)
    return path


def load_requests() -> List[bytes]:
    path = os.environ.get("OFFERFIT_REQUESTS") or os.path.join(ROOT, "target", "requests.jsonl")
    if not os.path.exists(path):
        subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gen-requests.py"), "--out", path], check=True)
    with open(path, "rb") as f:
        lines = f.read().split(b"\n")
    assert lines[-1] == b"", f"{path} must end with a newline"
    return lines[:-1]


def cli_lines(requests: List[bytes]) -> List[bytes]:
    """Answers `requests` (bytes without newlines) with one `offerfit call --lines` process."""
    assert all(b"\n" not in r and not r.endswith(b"\r") for r in requests)
    proc = subprocess.run([cli_path(), "call", "--lines"], input=b"".join(r + b"\n" for r in requests),
                          capture_output=True, timeout=600)
    assert proc.returncode in (0, 1), f"offerfit call --lines exited {proc.returncode}: {proc.stderr[-2000:]!r}"
    out = proc.stdout.split(b"\n")
    assert out[-1] == b"" and len(out) - 1 == len(requests), f"{len(requests)} requests, {len(out) - 1} answers"
    return out[:-1]


def cli_one(request: bytes) -> bytes:
    """`offerfit call` on stdin, for one request (which may hold newlines)."""
    proc = subprocess.run([cli_path(), "call"], input=request, capture_output=True, timeout=120)
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    return proc.stdout.rstrip(b"\n")
