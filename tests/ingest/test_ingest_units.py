"""Pure pieces of the ingest package: payload → row, the token bucket, Retry-After parsing."""
from __future__ import annotations

from datetime import date

import pytest

from server_stub.ingest.ratelimit import TokenBucket
from server_stub.ingest.rows import Unstorable, event_id, session_month, to_row
from server_stub.ingest.tap import parse_retry_after


@pytest.mark.parametrize(("sm", "month"), [
    ("2026-01-01", date(2026, 1, 1)), ("2026-02", date(2026, 2, 1)), ("2026-12-31", date(2026, 12, 1))])
def test_session_month_accepts_month_forms(sm: str, month: date) -> None:
    assert session_month(sm) == month


@pytest.mark.parametrize(("sm", "message"), [
    (None, "missing"), (202601, "missing"), ("2026-1-01", "form"), ("2026-00-01", "not a valid month"),
    ("January", "form")])
def test_session_month_rejects_with_a_reason(sm: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        session_month(sm)


@pytest.mark.parametrize(("meta", "eid"), [
    ({"eid": "a"}, "a"), ({"eid": 7}, "7"), ({"eid": ""}, None), ({}, None), ("x", None), ({"eid": True}, None)])
def test_event_id(meta: object, eid: str | None) -> None:
    assert event_id({"meta": meta}) == eid


def test_to_row_maps_fields_and_keeps_the_payload() -> None:
    p = {"s": "x", "sid": "s1", "sm": "2026-03-01", "ec": "conversion", "ea": "phone_call", "el": "tel:1",
         "ev": "3", "u": "http://a/", "r": "http://b/", "meta": {"eid": "e", "fp": "f", "gclid": "g"}}
    row = to_row(4, p)
    assert row == {"ord": 4, "eid": "e", "session_id": "s1", "session_month": "2026-03-01",
                   "category": "conversion", "action": "phone_call", "label": "tel:1", "value": 3.0,
                   "url": "http://a/", "referrer": "http://b/", "gclid": "g", "fingerprint": "f",
                   "metadata": p["meta"], "payload": p}


@pytest.mark.parametrize("ev", ["abc", "inf", "NaN", True, [1], None])
def test_non_numeric_value_is_null_not_an_error(ev: object) -> None:
    assert to_row(0, {"sm": "2026-01-01", "ev": ev})["value"] is None


def test_unstorable_names_index_and_field() -> None:
    with pytest.raises(Unstorable) as info:
        to_row(3, {"sm": "2026-01-01", "meta": {"list": ["ok", "bad\x00"]}})
    assert (info.value.index, info.value.field) == (3, "payload.meta.list[1]")
    with pytest.raises(Unstorable, match="not an object"):
        to_row(0, ["not", "a", "dict"])  # type: ignore[arg-type]


def test_token_bucket_allows_bursts_then_says_how_long_to_wait() -> None:
    now = [0.0]
    bucket = TokenBucket(2.0, clock=lambda: now[0])
    assert [bucket.take() for _ in range(3)] == [None, None, 1]
    now[0] = 0.5  # one token refilled
    assert bucket.take() is None and bucket.take() == 1
    with pytest.raises(ValueError, match="> 0"):
        TokenBucket(0)


@pytest.mark.parametrize(("value", "seconds"), [
    ("3", 3), (" 0 ", 0), ("Thu, 01 Jan 1970 00:00:10 GMT", 10), ("soon", None), ("", None), (None, None), ("-1", None)])
def test_parse_retry_after(value: str | None, seconds: int | None) -> None:
    assert parse_retry_after(value, now=0.0) == seconds
