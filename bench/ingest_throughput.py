"""Ingest throughput through the HTTP Sync endpoint, against plain INSERTs, in one run.

Why a ratio: absolute numbers depend on the machine; the ratio to a raw-insert baseline measured
in the same run (same server, same rows, same concurrency) says what the de-duplication ledger,
the session upsert and the HTTP layer cost. Target: 100-event batches at ≥ 0.5 × the raw rate.
Also times the at-rest read of 100,000 events (what the checker's at-rest history costs).

    .venv/bin/python bench/ingest_throughput.py [--seconds 4] [--concurrency 4] [--database-url URL]
                                                [--minimal-endpoint]

Without a URL (or $DATABASE_URL) it starts a throwaway cluster; with one, it works in a schema
of its own that is dropped afterwards. Runs ~25 s.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date
from typing import Any

import aiohttp
import psycopg
from aiohttp import web

from harness.world.postgres import FROM_ENV, postgres
from server_stub.ingest import PostgresStore

SITE = "bench-site"
READ_SITE = "bench-read"
MONTH = date(2026, 1, 1)
READ_ROWS = 100_000
_seq = itertools.count()


def payload(tag: str) -> dict[str, Any]:
    """A payload shaped like the reference build's, with a unique eid."""
    n = next(_seq)
    return {"s": SITE, "u": "https://shop.example/products/42?utm_source=google", "sid": f"sess-{n % 500}",
            "sm": MONTH.isoformat(), "ec": "conversion", "ea": "phone_call", "el": "tel:+905551112233",
            "ev": 1, "r": "https://www.google.com/",
            "meta": {"eid": f"{tag}-{n}", "fp": "fp-8c1e2a", "gclid": "Cj0KCQiA-bench"}}


# ------------------------------------------------------------------ the endpoint under test


@contextlib.asynccontextmanager
async def endpoint(store: PostgresStore, minimal: bool) -> AsyncIterator[tuple[str, str]]:
    """(sync URL, description): the real stub with the store injected when it exists (and
    ``minimal`` is off), else a minimal handler that parses the JSON and calls ``ingest``."""
    try:
        from server_stub.app import StubServer
    except ImportError:
        StubServer = None  # noqa: N806
    if minimal:
        StubServer = None  # noqa: N806
    if StubServer is not None:
        async with StubServer(tracker_source="/* bench */", site_id=SITE, store=store) as server:
            yield server.direct_sync_url, "server_stub.app.StubServer (journal, CORS, validation) + PostgresStore"
        return

    async def sync(request: web.Request) -> web.Response:
        body = await request.read()
        doc = json.loads(body)
        events = doc.get("events") or doc.get("batch") or [doc]
        r = await store.ingest(events, body, request.content_type)
        headers = {"Retry-After": str(r.retry_after)} if r.retry_after is not None else None
        return web.json_response(r.body, status=r.status, headers=headers)

    app = web.Application()
    app.router.add_post("/api/sync", sync)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/api/sync", "minimal aiohttp handler + PostgresStore"
    finally:
        await runner.cleanup()


# ------------------------------------------------------------------ load generation


async def timed(workers: int, seconds: float, step: Callable[[], Awaitable[int]]) -> tuple[float, int]:
    """Run ``step`` in ``workers`` loops for ``seconds``; return (events/s, events)."""
    deadline = time.monotonic() + seconds
    done = 0

    async def loop() -> None:
        nonlocal done
        while time.monotonic() < deadline:
            done += await step()

    t0 = time.monotonic()
    await asyncio.gather(*(loop() for _ in range(workers)))
    return done / (time.monotonic() - t0), done


async def http_phase(url: str, batch: int, workers: int, seconds: float) -> tuple[float, Counter[int]]:
    statuses: Counter[int] = Counter()
    async with aiohttp.ClientSession() as http:
        async def step() -> int:
            events = [payload("http") for _ in range(batch)]
            body = json.dumps(events[0] if batch == 1 else {"events": events})
            async with http.post(url, data=body, headers={"Content-Type": "application/json"}) as resp:
                await resp.read()
                statuses[resp.status] += 1
                return batch if resp.status == 200 else 0

        rate, _ = await timed(workers, seconds, step)
    return rate, statuses


RAW_INSERT = """
INSERT INTO events (site_id, session_id, session_month, category, action, label, value, url,
                    referrer, metadata, payload, event_id)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
"""


async def raw_phase(dsn: str, site_uuid: str, batch: int, workers: int, seconds: float) -> float:
    """The same rows by plain INSERTs, one transaction per ``batch`` (no executemany, no COPY)."""
    conns = [await psycopg.AsyncConnection.connect(dsn) for _ in range(workers)]
    pool = asyncio.Queue[psycopg.AsyncConnection]()
    for c in conns:
        pool.put_nowait(c)

    async def step() -> int:
        conn = await pool.get()
        try:
            async with conn.transaction():
                for _ in range(batch):
                    p = payload("raw")
                    await conn.execute(RAW_INSERT, (
                        site_uuid, p["sid"], p["sm"], p["ec"], p["ea"], p["el"], p["ev"], p["u"], p["r"],
                        psycopg.types.json.Jsonb(p["meta"]), psycopg.types.json.Jsonb(p), p["meta"]["eid"]))
        finally:
            pool.put_nowait(conn)
        return batch

    try:
        rate, _ = await timed(workers, seconds, step)
    finally:
        for c in conns:
            await c.close()
    return rate


async def read_back(store: PostgresStore, dsn: str) -> tuple[float, int]:
    """Fill a site with 100,000 events server-side, then time ``store.rows()`` for it."""
    await store.ensure_site(READ_SITE, "read.example")
    sample = json.dumps(payload("read") | {"s": READ_SITE})
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        await conn.execute(
            "INSERT INTO events (site_id, session_id, session_month, category, action, payload, event_id)"
            " SELECT s.id, 'sess-' || (g %% 500), %s, 'conversion', 'phone_call',"
            "        jsonb_set(%s::jsonb, '{meta,eid}', to_jsonb('read-' || g)), 'read-' || g"
            " FROM sites s, generate_series(1, %s) g WHERE s.public_id = %s",
            (MONTH, sample, READ_ROWS, READ_SITE))
    t0 = time.monotonic()
    rows = await store.rows({READ_SITE})
    return time.monotonic() - t0, len(rows)


async def main(seconds: float, workers: int, database_url: str | None, minimal: bool) -> int:
    t_start = time.monotonic()
    async with postgres(FROM_ENV if database_url is None else database_url) as pg:
        store = await PostgresStore.connect(pg.dsn, create_months=[MONTH], max_connections=workers)
        await store.ensure_site(SITE, "shop.example")
        try:
            async with endpoint(store, minimal) as (url, what):
                async with await psycopg.AsyncConnection.connect(pg.dsn) as conn:
                    row = await (await conn.execute("SELECT id FROM sites WHERE public_id = %s", (SITE,))).fetchone()
                site_uuid = str(row[0]) if row else ""
                print(f"PostgreSQL {pg.version} ({pg.kind}); endpoint: {what}; {workers} concurrent clients, "
                      f"{seconds:g} s per phase")
                raw100 = await raw_phase(pg.dsn, site_uuid, 100, workers, seconds)
                http100, st100 = await http_phase(url, 100, workers, seconds)
                raw1 = await raw_phase(pg.dsn, site_uuid, 1, workers, seconds)
                http1, st1 = await http_phase(url, 1, workers, seconds)
                read_s, n = await read_back(store, pg.dsn)
        finally:
            await store.close()
    ratio100, ratio1 = http100 / raw100, http1 / raw1
    print(f"{'':34}{'events/s':>10}  {'raw INSERT events/s':>20}  {'ratio':>6}")
    print(f"{'100-event batches via HTTP':34}{http100:10.0f}  {raw100:20.0f}  {ratio100:6.2f}   statuses {dict(st100)}")
    print(f"{'single events via HTTP':34}{http1:10.0f}  {raw1:20.0f}  {ratio1:6.2f}   statuses {dict(st1)}")
    print(f"batch target (ratio >= 0.5): {'met' if ratio100 >= 0.5 else 'NOT met'}")
    print(f"at-rest read of {n:,} events with PostgresStore.rows(): {read_s:.2f} s")
    print(f"total {time.monotonic() - t_start:.1f} s")
    return 0 if ratio100 >= 0.5 else 1


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=4.0, help="duration of each of the 4 phases")
    ap.add_argument("--concurrency", type=int, default=4, help="concurrent clients / connections")
    ap.add_argument("--database-url", default=None, help="use this server (a schema of its own) instead")
    ap.add_argument("--minimal-endpoint", action="store_true",
                    help="measure through the minimal handler even when the real stub is importable")
    args = ap.parse_args()
    raise SystemExit(asyncio.run(main(args.seconds, args.concurrency, args.database_url, args.minimal_endpoint)))
