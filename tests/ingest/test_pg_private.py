"""The throwaway PostgreSQL answers only the harness: a password no one else knows, on TCP and on
its private socket directory."""
from __future__ import annotations

import stat

import psycopg
import pytest

from harness.world.postgres import ThrowawayCluster, postgres
from tests.ingest.test_pg_cluster import tmp_root  # noqa: F401 - the fixture

from .conftest import binaries_or_skip


@pytest.mark.postgres
async def test_only_the_password_holder_gets_in(tmp_root) -> None:  # noqa: F811
    binaries_or_skip()
    async with postgres(None, tmp_root=str(tmp_root)) as h:
        assert isinstance(h, ThrowawayCluster)
        async with await psycopg.AsyncConnection.connect(h.dsn) as conn:
            assert (await (await conn.execute("SELECT 1")).fetchone()) == (1,)
        for params in ({"host": "127.0.0.1"}, {"host": str(h.sock)}):
            with pytest.raises(psycopg.OperationalError, match="password"):
                await psycopg.AsyncConnection.connect(port=h.port, user="postgres", dbname="postgres",
                                                      connect_timeout=5, **params)
        assert stat.S_IMODE(h.sock.stat().st_mode) == 0o700
        assert not (h.root / "pwfile").exists(), "the password file is removed once initdb has read it"
