"""One judgement of what no store can keep, made by the Sync protocol for memory and PostgreSQL
alike: ~900 levels of nesting, NUL characters, 1e400 are 422 (never stored, never a 500)."""
from __future__ import annotations

import json

import pytest

from server_stub.sync_protocol import MAX_DEPTH, parse_body


def _event(**extra: object) -> dict[str, object]:
    return {"s": "site", "ec": "conversion", "ea": "phone_call", "u": "http://127.0.0.1/", "sm": "2026-01-01", **extra}


def _deep(levels: int) -> dict[str, object]:
    root: dict[str, object] = {}
    cur = root
    for _ in range(levels):
        cur["a"] = {}
        cur = cur["a"]  # type: ignore[assignment]
    return root


@pytest.mark.parametrize("body,why", [
    (json.dumps(_event(meta=_deep(900))), "nested deeper"),
    (json.dumps(_event(el="a\u0000b")), "NUL"),
    (json.dumps(_event(meta={"k\u0000": 1})), "NUL"),
    (json.dumps(_event()).replace('"s": "site"', '"s": "site", "v": 1e400'), "not a finite number"),
])
def test_unstorable_events_are_422_for_every_store(body: str, why: str) -> None:
    parsed = parse_body(body.encode())
    assert parsed.status == 422 and why in (parsed.error or ""), parsed.error
    json.dumps([e.payload for e in parsed.events])  # the journal can always write what it keeps


def test_nesting_up_to_the_limit_is_fine() -> None:
    assert parse_body(json.dumps(_event(meta=_deep(MAX_DEPTH - 2))).encode()).status is None


async def test_gzip_garbage_is_400_journaled_and_the_control_app_keeps_answering(stub, http) -> None:
    headers = {"Content-Encoding": "gzip", "Content-Type": "application/json"}
    async with http.post(stub.direct_sync_url, data=b"\x1f\x8b not gzip at all", headers=headers) as resp:
        assert resp.status == 400 and "content-encoding" in (await resp.json())["error"].lower()
    entry = stub.journal.entries()[-1]
    assert entry.status == 400
    async with http.get(f"{stub.control_url}/__control/journal",
                        headers={"X-Tank-Control": stub.control_token}) as resp:
        assert resp.status == 200 and (await resp.json())[-1]["status"] == 400
