"""The malformed-input suite (tests/data/malformed/), case by case, through every entry point:
bytes (all cases, invalid UTF-8 included), text (the cases that are text), and the typed
functions raising OfferfitError with the suite's code, message and path."""

import json
from typing import Any

import pytest

import malformed  # the suite's own runner (tests/data/malformed/malformed.py)
import offerfit

CASES = malformed.load()


def test_suite_is_loaded_whole() -> None:
    assert len(CASES) >= 190
    assert sum(not c.is_text for c in CASES) >= 8


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case_is_refused(case: Any) -> None:
    answer = offerfit.call_bytes(case.request)
    problem = malformed.judge(case, answer)
    assert problem is None, f"{case.id} (bytes): {problem}"
    if not case.is_text:
        return
    text = case.request.decode("utf-8")
    assert offerfit.call_text(text).encode("utf-8") == answer, f"{case.id}: call_text differs"
    refused = offerfit.call(text)
    assert refused == json.loads(answer)
    # As an exception: the same errors, the first one's fields as attributes.
    err = offerfit.OfferfitError(refused["errors"])
    assert (err.code, err.path) == (case.code, refused["errors"][0].get("path"))
    assert case.message_contains in err.message and case.code in str(err)


def test_typed_function_raises_the_suites_error() -> None:
    """A case of each op through its typed function (the request's fields as arguments)."""
    seen = set()
    for case in CASES:
        if not case.is_text or case.op is None or case.op in seen:
            continue
        try:
            req = json.loads(case.request)
        except (ValueError, RecursionError):
            continue
        if not isinstance(req, dict):
            continue
        req.pop("op", None)
        fn = {
            "parse_value": lambda: offerfit.parse_value(**req),
            "parse_resources": lambda: offerfit.parse_resources(**req),
            "parse_attributes": lambda: offerfit.parse_attributes(**req),
            "format_resources": lambda: offerfit.format_resources(**req),
        }.get(case.op)
        if fn is None:
            continue
        try:
            fn()
        except TypeError:
            continue
        except offerfit.OfferfitError as e:
            assert e.code == case.code, case.id
            assert case.message_contains in e.message, case.id
            if case.path is not None:
                assert e.path == case.path, case.id
            seen.add(case.op)
        else:
            pytest.fail(f"{case.id}: no OfferfitError")
    assert seen == {"parse_value", "parse_resources", "parse_attributes", "format_resources"}
