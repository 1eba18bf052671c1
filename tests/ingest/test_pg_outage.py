"""The database stopped for a while: 503 with Retry-After, then 200 again (own cluster)."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from harness.world.postgres import PgHandle, postgres
from server_stub.ingest import PostgresStore
from server_stub.ingest.store import IngestDatabaseUnavailable

from .conftest import JAN, SITE, binaries_or_skip, event

pytestmark = [pytest.mark.postgres, pytest.mark.asyncio(loop_scope="session")]


@pytest_asyncio.fixture(loop_scope="session")
async def own_pg() -> AsyncIterator[PgHandle]:
    """A cluster of its own: stopping the session's server would disturb other tests."""
    binaries_or_skip()
    async with postgres(None) as handle:
        yield handle


async def test_stopped_server_is_503_with_retry_after_then_200(own_pg: PgHandle) -> None:
    store = await PostgresStore.connect(own_pg.dsn, create_months=[JAN], acquire_timeout=0.5)
    try:
        await store.ensure_site(SITE, "site-a.test")
        assert (await store.ingest([event("before")], b"", "application/json")).status == 200
        await own_pg.stop_server()
        for i in range(3):  # a dead pooled connection, then no connection at all
            r = await store.ingest([event(f"down{i}")], b"", "application/json")
            assert (r.status, r.processed, r.retry_after) == (503, False, 2), r.body
        await own_pg.start_server()
        statuses = []
        for attempt in range(20):  # the pool reconnects within ~1 s; bounded, no fixed sleep
            r = await store.ingest([event("after")], b"", "application/json")
            statuses.append(r.status)
            if r.status == 200:
                break
            assert r.status == 503 and r.retry_after == 2
            await asyncio.sleep(0.25)
        assert statuses[-1] == 200, statuses
        assert [e.eid for e in await store.rows()] == ["before", "after"]
    finally:
        await store.close()


async def test_connect_to_a_stopped_server_is_a_clear_error(own_pg: PgHandle) -> None:
    await own_pg.stop_server()
    try:
        with pytest.raises(IngestDatabaseUnavailable, match="cannot prepare the ingest database"):
            await PostgresStore.connect(own_pg.dsn)
    finally:
        await own_pg.start_server()
