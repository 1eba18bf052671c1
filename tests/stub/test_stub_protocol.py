"""SPEC §5 body rules, as pure functions: every shape of garbage gets a precise 4xx."""
from __future__ import annotations

import json

import pytest

from server_stub.sync_protocol import MAX_BODY_BYTES, MAX_EVENTS, parse_body


def ev(**fields: object) -> dict[str, object]:
    return {"s": "site-a", "ec": "interaction", "ea": "view", "sm": "2026-01-01", **fields}


def body(obj: object) -> bytes:
    return json.dumps(obj).encode()


def test_single_payload_is_one_event() -> None:
    parsed = parse_body(body(ev(meta={"eid": "e1"})))
    assert parsed.ok and parsed.status is None
    assert [(e.index, e.eid, e.error) for e in parsed.events] == [(0, "e1", None)]
    assert parsed.payloads == [ev(meta={"eid": "e1"})]
    assert parsed.site == "site-a"


@pytest.mark.parametrize("key", ["events", "batch"])
def test_wrappers_carry_1_to_100_events(key: str) -> None:
    items = [ev(meta={"eid": f"e{i}"}) for i in range(MAX_EVENTS)]
    parsed = parse_body(body({key: items}))
    assert parsed.ok
    assert [e.eid for e in parsed.events] == [f"e{i}" for i in range(MAX_EVENTS)]


def test_non_string_eid_is_not_an_eid() -> None:
    parsed = parse_body(body(ev(meta={"eid": 7})))
    assert parsed.ok and parsed.events[0].eid is None


GARBAGE_400: list[tuple[bytes, str]] = [
    (b"", "empty body"),
    (b" \n\t ", "empty body"),
    (b"not json", "bad JSON"),
    (b"{\"s\": \"site-a\"", "bad JSON"),
    (b"\xff\xfe{}", "invalid UTF-8 at byte 0"),
    (b'{"s": "caf\xe9"}', "invalid UTF-8 at byte 10"),
    (b'{"s": "site-a", "ev": NaN}', "bad JSON"),
    (b'{"s": "site-a", "ev": Infinity}', "bad JSON"),
    (b'{"ev": ' + b"9" * 5000 + b"}", "bad JSON"),
    (b"[" * 100_000 + b"]" * 100_000, "bad JSON"),
    (b"null", "body must be a JSON object (got null)"),
    (b"42", "body must be a JSON object (got number)"),
    (b'"text"', "body must be a JSON object (got string)"),
    (b"[]", "body must be a JSON object (got array)"),
    (b'[{"s": "site-a"}]', "body must be a JSON object (got array)"),
    (b'{"events": {}}', "'events' must be an array (got object)"),
    (b'{"batch": null}', "'batch' must be an array (got null)"),
    (b'{"events": []}', "'events' has 0 events, allowed 1–100"),
    (body({"batch": [ev()] * 101}), "'batch' has 101 events, allowed 1–100"),
    (body({"events": [ev()], "batch": [ev()]}), "both 'events' and 'batch' present"),
    (body({"events": [ev(), ev(s="site-b")]}), "mixed sites in one batch"),
]


@pytest.mark.parametrize(("raw", "message"), GARBAGE_400, ids=[m for _, m in GARBAGE_400])
def test_garbage_is_400_with_a_specific_message(raw: bytes, message: str) -> None:
    parsed = parse_body(raw)
    assert parsed.status == 400
    assert parsed.error is not None and message in parsed.error
    assert parsed.payloads == [] or parsed.error.startswith("mixed")


def test_mixed_sites_mark_the_odd_event() -> None:
    parsed = parse_body(body({"events": [ev(), ev(), ev(s="site-b")]}))
    assert parsed.status == 400
    assert [e.error for e in parsed.events][:2] == [None, None]
    assert "site 'site-b' differs from 'site-a'" in (parsed.events[2].error or "")


SCHEMA_422: list[tuple[dict[str, object], str]] = [
    ({"ec": "x"}, "s: required"),
    (ev(s=None), "s: required"),
    (ev(s=""), "s: must not be empty"),
    (ev(s="x" * 129), "s: 129 chars, limit 128"),
    (ev(s=12), "s: must be a string (got number)"),
    (ev(el="x" * 513), "el: 513 chars, limit 512"),
    (ev(el=5), "el: must be a string (got number)"),
    (ev(el=["a"]), "el: must be a string (got array)"),
    (ev(u="x" * 4097), "u: 4097 chars, limit 4096"),
    (ev(r="x" * 2049), "r: 2049 chars, limit 2048"),
    (ev(r=True), "r: must be a string (got boolean)"),
]


@pytest.mark.parametrize(("payload", "message"), SCHEMA_422, ids=[m for _, m in SCHEMA_422])
def test_schema_violations_are_422(payload: dict[str, object], message: str) -> None:
    parsed = parse_body(body(payload))
    assert parsed.status == 422
    assert parsed.invalid == (0,)
    assert parsed.events[0].error == message
    answer = parsed.answer_body()
    assert answer["invalid"] == [0] and answer["errors"] == {"0": message}


def test_limits_are_inclusive_and_null_optionals_are_absent() -> None:
    parsed = parse_body(body(ev(s="x" * 128, el="x" * 512, u="x" * 4096, r="x" * 2048)))
    assert parsed.ok
    assert parse_body(body(ev(el=None, u=None, r=None))).ok


def test_poison_event_is_named_and_the_others_stay_valid() -> None:
    items = [ev(meta={"eid": "a"}), "oops", ev(meta={"eid": "c"}, el="x" * 600), ev(meta={"eid": "d"})]
    parsed = parse_body(body({"batch": items}))
    assert parsed.status == 422
    assert parsed.invalid == (1, 2)
    assert parsed.events[1].error == "event is not an object (got string)"
    assert parsed.events[1].payload == {}
    assert parsed.events[2].eid == "c" and "el: 600 chars" in (parsed.events[2].error or "")
    assert [e.eid for e in parsed.events if e.error is None] == ["a", "d"]


def test_over_the_limit_is_413() -> None:
    parsed = parse_body(b" " * (MAX_BODY_BYTES + 1))
    assert parsed.status == 413
    assert parse_body(body(ev(pad=" " * (MAX_BODY_BYTES - 200)))).ok
