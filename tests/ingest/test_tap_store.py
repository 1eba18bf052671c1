"""TapStore against a tiny aiohttp upstream: bytes forwarded as-is, answers passed through."""
from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestServer

from harness.world.postgres import PgHandle
from server_stub.ingest import TapStore

pytestmark = pytest.mark.asyncio(loop_scope="session")


@dataclass
class Upstream:
    url: str
    seen: list[tuple[bytes, str]] = field(default_factory=list)
    answers: list[web.Response] = field(default_factory=list)  # next answers; default 200 {ok:true}
    hang: bool = False


@pytest_asyncio.fixture(loop_scope="session")
async def upstream() -> AsyncIterator[Upstream]:
    up = Upstream(url="")
    release = asyncio.Event()

    async def sync(request: web.Request) -> web.StreamResponse:
        up.seen.append((await request.read(), request.headers.get("Content-Type", "")))
        if up.hang:
            await release.wait()
        return up.answers.pop(0) if up.answers else web.json_response({"ok": True, "accepted": 1})

    app = web.Application()
    app.router.add_post("/api/sync", sync)
    server = TestServer(app)  # cancels the handlers of dropped clients
    await server.start_server(shutdown_timeout=0.1)
    up.url = str(server.make_url("/api/sync"))
    yield up
    release.set()
    await server.close()


async def test_forwards_the_raw_body_and_content_type(upstream: Upstream) -> None:
    tap = TapStore(upstream.url)
    try:
        raw = b'{"events":[{"s":"a","meta":{"eid":"e1"}}]}'
        r = await tap.ingest([{"s": "a"}], raw, "text/plain;charset=UTF-8")
    finally:
        await tap.close()
    assert upstream.seen == [(raw, "text/plain;charset=UTF-8")]
    assert (r.status, r.processed, r.body, r.retry_after) == (200, True, {"ok": True, "accepted": 1}, None)


async def test_passes_status_body_and_retry_after_through(upstream: Upstream) -> None:
    upstream.answers = [web.json_response({"ok": False}, status=503, headers={"Retry-After": "7"}),
                        web.Response(status=202, text="queued"),
                        web.json_response([1, 2], status=429, headers={"Retry-After": "later"})]
    tap = TapStore(upstream.url)
    try:
        a, b, c = [await tap.ingest([{}], b"{}", "application/json") for _ in range(3)]
    finally:
        await tap.close()
    assert (a.status, a.processed, a.retry_after, a.body) == (503, False, 7, {"ok": False})
    assert (b.status, b.processed, b.body) == (202, True, {"upstream_text": "queued"})
    assert (c.status, c.retry_after, c.body) == (429, None, {"upstream": [1, 2]})


async def test_unreachable_upstream_is_503_and_a_slow_one_504(upstream: Upstream) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]  # bound, never listening: connection refused
        tap = TapStore(f"http://127.0.0.1:{closed_port}/api/sync")
        try:
            r = await tap.ingest([{}], b"{}", "application/json")
        finally:
            await tap.close()
    assert (r.status, r.processed, r.retry_after) == (503, False, 2) and "unreachable" in r.body["error"]
    upstream.hang = True
    slow = TapStore(upstream.url, timeout_s=0.2)
    try:
        r = await slow.ingest([{}], b"{}", "application/json")
    finally:
        await slow.close()
    assert (r.status, r.processed) == (504, False)


async def test_rows_are_unobservable_without_a_query() -> None:
    tap = TapStore("http://127.0.0.1:1/api/sync")
    assert await tap.rows() is None
    with pytest.raises(ValueError, match="needs a DSN"):
        TapStore("http://127.0.0.1:1/api/sync", at_rest_query="SELECT 1")
    with pytest.raises(ValueError, match="http"):
        TapStore("127.0.0.1:1/api/sync")


@pytest.mark.postgres
async def test_rows_from_an_at_rest_query(pg: PgHandle) -> None:
    query = """SELECT * FROM (VALUES
        ('e1', 'site-a', 's1', DATE '2026-01-01', 'interaction', 'view', '{"el": "x"}'::jsonb, 'events_2026_01'),
        (NULL, 'site-b', NULL, NULL, NULL, NULL, NULL, NULL)
    ) AS t(eid, site, session_id, session_month, ec, ea, payload, partition)"""
    tap = TapStore("http://127.0.0.1:1/api/sync", at_rest_query=query, dsn=pg.dsn)
    rows = await tap.rows({"site-a"})
    assert rows is not None and len(rows) == 1
    assert (rows[0].eid, rows[0].session_month, rows[0].payload, rows[0].partition) == (
        "e1", "2026-01-01", {"el": "x"}, "events_2026_01")
    assert len(await tap.rows() or []) == 2
    bad = TapStore("http://127.0.0.1:1/api/sync", at_rest_query="SELECT 1 AS eid", dsn=pg.dsn)
    with pytest.raises(ValueError, match="missing: site, session_id"):
        await bad.rows()
