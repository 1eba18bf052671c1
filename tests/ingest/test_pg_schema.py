"""Migrations and monthly partitions (SPEC §6)."""
from __future__ import annotations

from datetime import date

import psycopg
import pytest

from server_stub.ingest.migrate import apply_migrations, load_migrations

from .conftest import count

pytestmark = [pytest.mark.postgres, pytest.mark.asyncio(loop_scope="session")]


async def partitions(dsn: str, parent: str) -> list[str]:
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        cur = await conn.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = %s::regclass ORDER BY 1", (parent,))
        return [r[0] for r in await cur.fetchall()]


async def test_migrations_apply_once_and_are_recorded(dsn: str) -> None:
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        first = await apply_migrations(conn)
        second = await apply_migrations(conn)
    assert first == [m.name for m in load_migrations()] and len(first) >= 2
    assert second == []
    assert await count(dsn, "SELECT count(*) FROM schema_migrations") == len(first)


async def test_create_next_month_partitions_uses_the_given_base_date(dsn: str) -> None:
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        await apply_migrations(conn)
        await conn.execute("SELECT create_next_month_partitions(%s)", (date(2026, 1, 31),))
        await conn.execute("SELECT create_next_month_partitions(%s)", (date(2026, 12, 25),))
        await conn.execute("SELECT create_next_month_partitions(%s)", (date(2026, 12, 1),))  # idempotent
        await conn.execute("SELECT create_month_partitions(%s)", (date(2026, 3, 17),))
    assert await partitions(dsn, "events") == ["events_2026_02", "events_2026_03", "events_2027_01"]
    assert await partitions(dsn, "sessions") == ["sessions_2026_02", "sessions_2026_03", "sessions_2027_01"]


async def test_no_default_partition(dsn: str) -> None:
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        await apply_migrations(conn)
        cur = await conn.execute(
            "SELECT count(*) FROM pg_partitioned_table WHERE partdefid <> 0")
        row = await cur.fetchone()
        assert row is not None and row[0] == 0
        await conn.execute("INSERT INTO sites (public_id) VALUES ('s')")
        with pytest.raises(psycopg.errors.CheckViolation, match="no partition"):
            await conn.execute(
                "INSERT INTO events (site_id, session_month, payload)"
                " SELECT id, '2026-05-01', '{}' FROM sites")
