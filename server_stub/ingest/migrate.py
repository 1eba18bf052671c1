"""Plain SQL migrations, applied in file-name order and recorded in ``schema_migrations``.

Why plain SQL files: the schema is the contract with the seed's real database (SPEC §6) and is
read by people who know SQL, not this code. Applying is idempotent (recorded versions are
skipped) and serialised with an advisory lock, so two stores starting at once are safe.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

from psycopg import AsyncConnection

_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True)
class Migration:
    version: str  # "001"
    name: str  # "001_schema.sql"
    sql: str


def load_migrations() -> list[Migration]:
    """Every ``migrations/NNN_name.sql`` shipped with the package, in order."""
    folder = resources.files("server_stub.ingest") / "migrations"
    found = []
    for entry in folder.iterdir():
        m = _NAME.match(entry.name)
        if m:
            found.append(Migration(m.group(1), entry.name, entry.read_text(encoding="utf-8")))
    found.sort(key=lambda mig: mig.version)
    versions = [mig.version for mig in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"two migrations share a version number: {versions}")
    return found


async def apply_migrations(conn: AsyncConnection) -> list[str]:
    """Apply the missing migrations in one transaction; return the names applied now."""
    applied_now: list[str] = []
    async with conn.transaction():
        await conn.execute(
            "SELECT pg_advisory_xact_lock(hashtext('tank_migrations:' || current_schema()))"
        )
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version text PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        cur = await conn.execute("SELECT version FROM schema_migrations")
        done = {row[0] for row in await cur.fetchall()}
        for mig in load_migrations():
            if mig.version in done:
                continue
            await conn.execute(mig.sql.encode())  # no parameters: several statements allowed
            await conn.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)", (mig.version, mig.name)
            )
            applied_now.append(mig.name)
    return applied_now
