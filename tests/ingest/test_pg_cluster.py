"""The throwaway cluster leaves nothing behind; an external URL gets a schema of its own."""
from __future__ import annotations

import asyncio
import os
import signal
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from harness.contract.errors import EnvironmentProblem
from harness.world.postgres import PgHandle, PostgresUnavailable, ThrowawayCluster, find_binaries, postgres

from .conftest import binaries_or_skip

pytestmark = [pytest.mark.postgres, pytest.mark.asyncio(loop_scope="session")]


def processes_mentioning(text: str) -> list[int]:
    """Live (non-zombie) processes whose command line contains ``text`` (like ``pgrep -f``)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if text in cmd and state != "Z" and int(entry) != os.getpid():
            found.append(int(entry))
    return found


def pid_alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def assert_gone(root: Path, pid: int | None) -> None:
    assert not root.exists(), f"{root} left behind"
    assert processes_mentioning(str(root)) == []
    assert pid is None or not pid_alive(pid), f"postmaster {pid} still running"


@pytest.fixture
def tmp_root() -> Iterator[Path]:
    """A temp dir the postgres user can traverse (pytest's tmp_path is private to root)."""
    binaries_or_skip()
    root = Path(tempfile.mkdtemp(prefix="tank-pg-test-"))
    root.chmod(0o755)
    yield root
    root.rmdir()  # fails the test run loudly if a cluster dir was left inside


async def test_cluster_is_removed_after_the_context(tmp_root: Path) -> None:
    async with postgres(None, tmp_root=str(tmp_root)) as h:
        assert isinstance(h, ThrowawayCluster) and h.kind == "throwaway"
        assert h.version.startswith(tuple("0123456789"))
        async with await psycopg.AsyncConnection.connect(h.dsn) as conn:
            assert (await (await conn.execute("SELECT 1")).fetchone()) == (1,)
        root, pid = h.root, h.pid
        assert pid is not None and processes_mentioning(str(root))
    assert_gone(root, pid)
    h.kill()  # idempotent


async def test_exception_inside_the_context_cleans_up(tmp_root: Path) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        async with postgres(None, tmp_root=str(tmp_root)) as h:
            root, pid = h.root, h.pid
            raise RuntimeError("boom")
    assert_gone(root, pid)


@pytest.mark.parametrize("delay", [0.05, 0.3, 1.5])  # during initdb / start / while in use
async def test_cancellation_at_any_point_cleans_up(tmp_root: Path, delay: float) -> None:
    async def run() -> None:
        async with postgres(None, tmp_root=str(tmp_root)):
            await asyncio.Event().wait()

    task = asyncio.create_task(run())
    await asyncio.sleep(delay)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert list(tmp_root.iterdir()) == []
    assert processes_mentioning(str(tmp_root)) == []


async def test_ctrl_c_in_a_harness_process_cleans_up(tmp_root: Path) -> None:
    script = (
        "import asyncio, sys\n"
        "from harness.world.postgres import postgres\n"
        "async def main():\n"
        f"    async with postgres(None, tmp_root={str(tmp_root)!r}) as h:\n"
        "        print(h.root, flush=True)\n"
        "        await asyncio.Event().wait()\n"
        "try:\n"
        "    asyncio.run(main())\n"
        "except KeyboardInterrupt:\n"
        "    sys.exit(130)\n"
    )
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", script, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)
    try:
        line = await asyncio.wait_for(proc.stdout.readline(), 30)  # type: ignore[union-attr]
        root = Path(line.decode().strip())
        assert root.is_dir(), (line, await proc.stderr.read())  # type: ignore[union-attr]
        proc.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(proc.wait(), 30) == 130
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert_gone(root, None)


async def test_missing_binaries_is_a_one_line_environment_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(PostgresUnavailable, match=r"^PostgreSQL server binaries not found: apt-get install postgresql$"):
        find_binaries([])
    assert issubclass(PostgresUnavailable, EnvironmentProblem)  # the CLI exits 2 with the one line


async def test_external_url_gets_a_fresh_schema_and_only_that_is_dropped(pg: PgHandle) -> None:
    url = pg.dsn
    async with postgres(url) as a, postgres(url) as b:
        assert (a.kind, b.kind) == ("external", "external") and a.dsn != b.dsn
        async with await psycopg.AsyncConnection.connect(a.dsn, autocommit=True) as conn:
            await conn.execute("CREATE TABLE mine (x int)")
            schema = (await (await conn.execute("SELECT current_schema()")).fetchone())[0]  # type: ignore[index]
        async with await psycopg.AsyncConnection.connect(b.dsn, autocommit=True) as conn:
            assert (await (await conn.execute("SELECT to_regclass('mine')")).fetchone()) == (None,)
        with pytest.raises(RuntimeError, match="throwaway"):
            await a.stop_server()
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        cur = await conn.execute("SELECT count(*) FROM pg_namespace WHERE nspname = %s", (schema,))
        assert await cur.fetchone() == (0,)
        assert (await (await conn.execute("SELECT 1")).fetchone()) == (1,)  # the server still runs


async def test_database_url_from_the_environment_is_read_at_call_time(pg: PgHandle, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", pg.dsn)
    async with postgres() as h:
        assert h.kind == "external"


async def test_unreachable_url_is_a_clear_error_without_the_password() -> None:
    with pytest.raises(PostgresUnavailable, match=r"127\.0\.0\.1:9/x") as info:
        async with postgres("postgresql://u:secret@127.0.0.1:9/x?connect_timeout=2"):
            pass
    assert "secret" not in str(info.value)
