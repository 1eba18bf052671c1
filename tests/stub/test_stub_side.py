"""Declared side endpoints: answered 200 as the build expects, journaled with their body, outside
the fault plan and the store; an undeclared path stays 404."""
from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from server_stub.app import StubServer

SIDE = "/api/call-intent"
ORIGIN = "http://127.0.0.1:9999"


@pytest.fixture
async def side_stub(tmp_path: Path) -> AsyncIterator[StubServer]:
    async with StubServer(tracker_source="/* noop */", site_id="site-a", site_dir=tmp_path / "site",
                          side_endpoints=(SIDE,)) as server:
        yield server


async def test_a_declared_side_endpoint_is_answered_and_journaled(side_stub: StubServer,
                                                                 http: aiohttp.ClientSession) -> None:
    base = f"http://127.0.0.1:{side_stub.sync_port}"
    asked = {"Origin": ORIGIN, "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "x-intent"}
    async with http.options(base + SIDE, headers=asked) as resp:
        assert resp.status == 204
        assert resp.headers["Access-Control-Allow-Methods"].startswith("PUT")
        assert resp.headers["Access-Control-Allow-Headers"] == "x-intent"
    async with http.post(base + SIDE, data=b'{"tel":"tel:+1"}', headers={"Origin": ORIGIN}) as resp:
        assert resp.status == 200 and await resp.json() == {"ok": True}
        assert resp.headers["Access-Control-Allow-Origin"] == ORIGIN
    async with http.post(base + "/api/other", data=b"{}") as resp:
        assert resp.status == 404
    entries = side_stub.journal.entries()
    assert [(e.method, e.path, e.status, e.outcome) for e in entries] == [
        ("OPTIONS", SIDE, 204, "answered"), ("POST", SIDE, 200, "answered"), ("POST", "/api/other", 404, "answered")]
    assert entries[1].body_sample == '{"tel":"tel:+1"}' and entries[1].events == () and not entries[1].processed
    assert await side_stub.store.rows() == []


async def test_side_requests_draw_no_fault(side_stub: StubServer, http: aiohttp.ClientSession) -> None:
    """The Sync fault sequence is the scenario's: a side request must not consume a draw."""
    side_stub.faults.push({"status": 503})
    base = f"http://127.0.0.1:{side_stub.sync_port}"
    async with http.post(base + SIDE, data=b"x") as resp:
        assert resp.status == 200
    async with http.post(side_stub.direct_sync_url, data=b"[]", headers={"Content-Type": "application/json"}) as resp:
        assert resp.status == 503
