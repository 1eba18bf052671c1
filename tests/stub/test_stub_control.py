"""The control app: journal and rows as JSON, faults scripted over HTTP, precise 400s."""
from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest

from harness.contract.control import TOKEN_HEADER
from server_stub.app import StubServer

EventFactory = Callable[..., dict[str, object]]


async def control(http: aiohttp.ClientSession, stub: StubServer, method: str, path: str,
                  body: Any = None, raw: bytes | None = None) -> tuple[int, Any]:
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    headers = {TOKEN_HEADER: stub.control_token, "Content-Type": "application/json"}
    async with http.request(method, f"{stub.control_url}/__control/{path}", data=data, headers=headers) as resp:
        return resp.status, await resp.json()


async def sync(http: aiohttp.ClientSession, stub: StubServer, payload: dict[str, object]) -> int:
    async with http.post(stub.direct_sync_url, json=payload) as resp:
        return resp.status


async def test_health(stub: StubServer, http: aiohttp.ClientSession) -> None:
    status, body = await control(http, stub, "GET", "health")
    assert status == 200 and body["ok"] is True and body["store"] == "memory"
    assert body["sync_url"] == stub.direct_sync_url and body["site_url"] == stub.site_url


async def test_journal_since_and_rows(stub: StubServer, http: aiohttp.ClientSession, event: EventFactory) -> None:
    for eid in ("a", "b"):
        assert await sync(http, stub, event(eid)) == 200
    status, entries = await control(http, stub, "GET", "journal?since=1")
    assert status == 200 and [e["seq"] for e in entries] == [2]
    assert entries[0]["events"][0]["eid"] == "b" and entries[0]["processed"] is True
    status, rows = await control(http, stub, "GET", "rows")
    assert status == 200 and [r["eid"] for r in rows] == ["a", "b"]
    assert rows[0]["session_month"] == "2026-01-01"


async def test_faults_over_http(stub: StubServer, http: aiohttp.ClientSession, event: EventFactory) -> None:
    push = {"push": [{"status": 503}, {"status": 429, "retry_after": 9}]}
    status, body = await control(http, stub, "POST", "faults", push)
    assert status == 200 and body["state"]["queue"] == [{"status": 503}, {"status": 429, "retry_after": 9}]
    assert [await sync(http, stub, event("a")) for _ in range(3)] == [503, 429, 200]
    await control(http, stub, "POST", "faults", {"default": {"status": 500}})
    assert await sync(http, stub, event("a")) == 500
    await control(http, stub, "POST", "faults", {"clear": True})
    assert await sync(http, stub, event("a")) == 200
    await control(http, stub, "POST", "faults", {"random": {"p": 1, "fault": {"status": 502}, "seed": 4}})
    assert await sync(http, stub, event("a")) == 502
    status, state = await control(http, stub, "GET", "faults")
    assert state["random"] == {"p": 1.0, "fault": {"status": 502}, "seed": 4}
    await control(http, stub, "POST", "faults", {"random": {"p": 0, "fault": None}})
    assert await sync(http, stub, event("a")) == 200


async def test_release_and_reset(stub: StubServer, http: aiohttp.ClientSession, event: EventFactory) -> None:
    await control(http, stub, "POST", "faults", {"push": [{"hang": True}]})
    hung = asyncio.ensure_future(sync(http, stub, event("a")))
    await stub.journal.wait_for(lambda e: e.outcome == "hung")
    status, body = await control(http, stub, "POST", "faults", {"release": True})
    assert status == 200 and body["released"] == 1
    assert await hung == 200
    await control(http, stub, "POST", "faults", {"default": {"status": 503}})
    status, _ = await control(http, stub, "POST", "reset")
    assert status == 200 and stub.journal.entries() == []
    assert stub.faults.state()["default"] is None
    assert await sync(http, stub, event("b")) == 200


@pytest.mark.parametrize(("body", "message"), [
    (b"not json", "body: not JSON"),
    (b"[1]", "body: must be a JSON object, got list"),
    (b"{}", "unknown or missing key(s) []"),
    (b'{"pusj": []}', "unknown or missing key(s) ['pusj']"),
    (b'{"push": {"status": 503}}', "push: must be an array of faults, got dict"),
    (b'{"push": [{"status": 503}, {"status": 1}]}', "push[1]: status: must be an integer 200–599, got 1"),
    (b'{"default": {"hang": false}}', "hang: must be true, got False"),
    (b'{"random": 0.5}', "random: must be an object {p, fault, seed}"),
    (b'{"random": {"p": 2, "fault": {"ok": true}}}', "random.p: must be a number 0–1, got 2"),
    (b'{"random": {"p": 0.5}}', "random.fault: required"),
    (b'{"random": {"p": 0.5, "fault": {"ok": true}, "seed": "s"}}', "random.seed: must be an integer"),
    (b'{"random": {"p": 0.5, "fault": {"x": 1}}}', "random.fault: unknown fault key(s) ['x']"),
    (b'{"clear": "yes"}', "clear: must be true, got 'yes'"),
])
async def test_bad_fault_bodies_are_400_and_change_nothing(stub: StubServer, http: aiohttp.ClientSession,
                                                           body: bytes, message: str) -> None:
    stub.faults.push({"status": 503})
    status, answer = await control(http, stub, "POST", "faults", raw=body)
    assert status == 400 and message in answer["error"], answer
    assert stub.faults.state()["queue"] == [{"status": 503}]


@pytest.mark.parametrize(("method", "path", "status", "message"), [
    ("GET", "journal?since=x", 400, "since: must be an integer"),
    ("GET", "journal?since=-1", 400, "since: must be >= 0"),
    ("GET", "nope", 404, "Not Found"),
    ("GET", "reset", 405, "Method Not Allowed"),
])
async def test_bad_control_requests(stub: StubServer, http: aiohttp.ClientSession, method: str, path: str,
                                    status: int, message: str) -> None:
    got, answer = await control(http, stub, method, path)
    assert got == status and message in answer["error"]
