"""Fixtures for the ingest tests: one PostgreSQL for the whole session, a fresh schema per test.

The cluster is throwaway (or ``$DATABASE_URL``'s server, see ``harness.world.postgres``) and is
shared by all tests of the session because starting one costs ~0.5 s; tests are isolated by
schema instead. Tests skip with the reason when PostgreSQL is not installed.
"""
from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import psycopg
import pytest
import pytest_asyncio
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from harness.world.postgres import PgHandle, PostgresUnavailable, find_binaries, postgres
from server_stub.ingest import PostgresStore

SITE = "site-a"
JAN = date(2026, 1, 1)


def binaries_or_skip() -> None:
    try:
        find_binaries()
    except PostgresUnavailable as e:
        pytest.skip(str(e))


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def pg() -> AsyncIterator[PgHandle]:
    """The session's database server."""
    try:
        cm = postgres()
        handle = await cm.__aenter__()
    except PostgresUnavailable as e:
        pytest.skip(f"PostgreSQL unavailable: {e}")
    try:
        yield handle
    finally:
        await cm.__aexit__(None, None, None)


@pytest_asyncio.fixture(loop_scope="session")
async def dsn(pg: PgHandle) -> AsyncIterator[str]:
    """A DSN whose search_path is a fresh, empty schema (dropped after the test)."""
    schema = f"t_{secrets.token_hex(5)}"
    async with await psycopg.AsyncConnection.connect(pg.dsn, autocommit=True) as conn:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
    # Keep the handle's own options (an external run's search_path) and append ours: the last
    # "-c search_path" wins.
    options = f"{conninfo_to_dict(pg.dsn).get('options', '')} -c search_path={schema}".strip()
    yield make_conninfo(pg.dsn, options=options)
    async with await psycopg.AsyncConnection.connect(pg.dsn, autocommit=True) as conn:
        await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest_asyncio.fixture(loop_scope="session")
async def store(dsn: str) -> AsyncIterator[PostgresStore]:
    """A store with site ``site-a`` registered and January 2026 partitioned."""
    s = await PostgresStore.connect(dsn, create_months=[JAN])
    await s.ensure_site(SITE, "site-a.test")
    try:
        yield s
    finally:
        await s.close()


def event(eid: str | None = None, *, site: str = SITE, sm: str = "2026-01-01", sid: str = "sess-1",
          **fields: Any) -> dict[str, Any]:
    """A payload as the reference build sends it."""
    meta: dict[str, Any] = {"fp": "fp-1", "gclid": "g-1"}
    if eid is not None:
        meta["eid"] = eid
    payload: dict[str, Any] = {"s": site, "u": "http://127.0.0.1/", "sid": sid, "sm": sm,
                               "ec": "interaction", "ea": "view", "el": "", "ev": 1, "r": "", "meta": meta}
    payload.update(fields)
    return payload


async def count(dsn: str, sql: str, *params: Any) -> int:
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        cur = await conn.execute(sql, params or None)
        row = await cur.fetchone()
        return int(row[0]) if row else 0
