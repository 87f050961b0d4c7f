"""Every request of the cross-host corpus (scripts/gen-requests.py) gets, through the package,
the very bytes `offerfit call --lines` writes; the typed functions give the same answers."""

import json
from typing import Any, Callable, Dict, List

import pytest

import offerfit
from conftest import cli_lines, load_requests

REQUESTS = load_requests()


@pytest.fixture(scope="module")
def answers() -> List[bytes]:
    return cli_lines(REQUESTS)


def test_corpus_is_whole() -> None:
    assert len(REQUESTS) >= 270


@pytest.mark.parametrize("i", range(len(REQUESTS)))
def test_call_bytes_matches_cli(answers: List[bytes], i: int) -> None:
    assert offerfit.call_bytes(REQUESTS[i]) == answers[i]


def test_call_text_and_call_match_cli(answers: List[bytes]) -> None:
    for req, expected in zip(REQUESTS, answers):
        text = req.decode("utf-8")
        assert offerfit.call_text(text) == expected.decode("utf-8")
        assert offerfit.call(text) == json.loads(expected)


def _typed(req: Dict[str, Any]) -> Callable[[], Any]:
    """The typed function call for a request, with its fields as arguments."""
    r = dict(req)
    op = r.pop("op")
    if op == "version":
        assert not r
        return offerfit.version
    if op == "parse_value":
        return lambda: offerfit.parse_value(**r)
    if op == "parse_resources":
        return lambda: offerfit.parse_resources(**r)
    if op == "format_resources":
        return lambda: offerfit.format_resources(**r)
    if op == "resource_math":
        return lambda: offerfit.resource_math(r.pop("operation"), r.pop("left"), r.pop("right", None), **r)
    if op == "parse_attributes":
        return lambda: offerfit.parse_attributes(**r)
    if op == "parse_constraints":
        return lambda: offerfit.parse_constraints(r.pop("constraints"), **r)
    if op == "check_constraints":
        return lambda: offerfit.check_constraints(r.pop("constraints"), r.pop("candidate"), **r)
    if op == "place":
        opts = r.pop("options", {})
        return lambda: offerfit.place(r.pop("offers"), r.pop("tasks"), **r, **opts)
    raise KeyError(op)


SINGLE_FIELD = {"parse_value": "value", "parse_resources": "resources", "format_resources": "text",
                "parse_attributes": "attributes"}


def test_typed_functions_match_cli(answers: List[bytes]) -> None:
    """Each well-formed request of a known op, through its typed function: the result is the
    CLI's answer without `ok`, or an OfferfitError carrying the CLI's errors."""
    checked = 0
    for req_bytes, expected_bytes in zip(REQUESTS, answers):
        try:
            req = json.loads(req_bytes)
        except (ValueError, RecursionError):
            continue
        expected = json.loads(expected_bytes)
        if not isinstance(req, dict) or req.get("op") not in offerfit.version()["ops"]:
            continue
        # Requests a dict cannot carry (duplicate keys, numbers Python reads as float("inf"), ...)
        # are for call_bytes above.
        if json.dumps(req, separators=(",", ":"), ensure_ascii=False).encode("utf-8", "replace") != req_bytes:
            continue
        if req["op"] == "place" and not isinstance(req.get("options", {}), dict):
            continue
        try:
            fn = _typed(req)
        except (KeyError, TypeError):
            continue
        try:
            got = fn()
        except TypeError:
            continue  # a field the typed signature does not take (e.g. an unknown field): call() covers it
        except offerfit.OfferfitError as e:
            assert expected["ok"] is False, (req_bytes[:200], e)
            assert e.errors == expected["errors"]
            assert e.code == expected["errors"][0]["code"]
            checked += 1
            continue
        assert expected["ok"] is True, req_bytes[:200]
        del expected["ok"]
        op = req["op"]
        if op in SINGLE_FIELD:
            assert got == expected[SINGLE_FIELD[op]]
        elif op == "resource_math":
            assert got == (expected["result"] if "result" in expected else expected["resources"])
        else:
            assert got == expected
        checked += 1
    assert checked >= 150, checked
