"""A PostgreSQL database for one run: a throwaway cluster, or a fresh schema in a given database.

Why both: CI and engineers' machines have the server binaries but no running server, so by
default the harness starts its own cluster in a temp dir (``initdb`` + ``pg_ctl``, ~0.5 s) and
removes it afterwards. With ``DATABASE_URL`` (or an explicit URL) the harness uses that server
but never starts, stops or drops anything it did not create: it makes a schema
``tank_run_<hex>`` for the run, points the handle's DSN at it (``search_path``) and drops only
that schema at the end, so concurrent runs against one server do not collide.

Cleanup of a throwaway cluster happens on normal exit, on exceptions and on cancellation
(Ctrl-C), and as a last resort through ``atexit`` and ``PgHandle.kill()`` (synchronous, for the
harness's process registry). Cleanup is synchronous on purpose: a second cancellation cannot
interrupt it halfway and leave a server running.
"""
from __future__ import annotations

import asyncio
import atexit
import contextlib
import enum
import logging
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Literal

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from harness.contract.errors import EnvironmentProblem
from harness.world import reaper

log = logging.getLogger(__name__)

POSTGRES_USER = "postgres"  # the system user initdb/pg_ctl run as when we are root
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 15.0


class PostgresUnavailable(EnvironmentProblem):
    """No usable PostgreSQL: binaries missing, cluster failed to start, URL unreachable."""


class _Env(enum.Enum):
    FROM_ENV = "from-env"


FROM_ENV = _Env.FROM_ENV
"""Default of ``postgres()``: read ``DATABASE_URL`` when called (not at import time)."""


class PgHandle:
    """What a run gets: a DSN, what kind of database it is, and (throwaway only) server control."""

    kind: Literal["throwaway", "external"]

    def __init__(self, dsn: str, version: str) -> None:
        self.dsn = dsn
        self.version = version  # server_version, e.g. "15.14 (Debian 15.14-0+deb12u1)"

    @property
    def pid(self) -> int | None:
        """Postmaster pid of a throwaway cluster (for a process registry); None otherwise."""
        return None

    async def stop_server(self) -> None:
        """Stop the server ("database stopped for a while" fault). Throwaway clusters only."""
        raise RuntimeError(f"stop_server() needs a throwaway cluster; this run uses an {self.kind} database")

    async def start_server(self) -> None:
        """Start the server again after ``stop_server()``. Throwaway clusters only."""
        raise RuntimeError(f"start_server() needs a throwaway cluster; this run uses an {self.kind} database")

    def kill(self) -> None:
        """Last-resort synchronous cleanup; idempotent, never raises."""


# ---------------------------------------------------------------- throwaway cluster


def find_binaries(search: Sequence[str] | None = None) -> Path:
    """Directory holding ``initdb`` and ``pg_ctl``: newest /usr/lib/postgresql/*/bin, else PATH."""
    if search is None:
        roots = sorted(
            Path("/usr/lib/postgresql").glob("*/bin"),
            key=lambda p: [int(x) if x.isdigit() else 0 for x in p.parent.name.split(".")],
            reverse=True,
        )
        search = [str(p) for p in roots]
    for d in search:
        if (Path(d) / "initdb").is_file() and (Path(d) / "pg_ctl").is_file():
            return Path(d)
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).parent
    raise PostgresUnavailable("PostgreSQL server binaries not found: apt-get install postgresql")


def free_port() -> int:
    """An unused loopback port (the OS picks it; a tiny race with other binders remains)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _pg_argv(binary: Path, *args: str) -> list[str]:
    """initdb and pg_ctl refuse to run as root: run them as the postgres user then."""
    argv = [str(binary), *args]
    return ["runuser", "-u", POSTGRES_USER, "--", *argv] if _as_root() else argv


def _pid_alive(pid: int) -> bool:
    """True when the process exists and is not a zombie (containers may not reap orphans)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


async def _run(what: str, argv: list[str], timeout: float) -> str:
    """Run a command, return its output; raise PostgresUnavailable with the output on failure."""
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C in the terminal must not reach initdb/postgres directly
        )
    except OSError as e:
        raise PostgresUnavailable(f"{what}: cannot run {argv[0]}: {e.strerror or e}") from None
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), timeout)
    except BaseException:
        # Cancelled or timed out: end the whole group (runuser, initdb and its bootstrap backend).
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        raise
    text = out.decode(errors="replace")
    if proc.returncode != 0:
        tail = " | ".join(text.strip().splitlines()[-5:])
        raise PostgresUnavailable(f"{what} failed (exit {proc.returncode}): {tail}")
    return text


class ThrowawayCluster(PgHandle):
    """A cluster in a temp dir, owned by this process and removed with it."""

    kind: Literal["throwaway", "external"] = "throwaway"

    def __init__(self, bindir: Path, root: Path) -> None:
        super().__init__(dsn="", version="")
        self.bindir = bindir
        self.root = root  # temp dir: data/, sock/, server.log
        self.data = root / "data"
        self.sock = root / "sock"
        self.logfile = root / "server.log"
        self.port = 0
        self._killed = False
        self.password = secrets.token_urlsafe(24)  # scram-sha-256 for every connection, socket included
        # Armed before initdb: a harness killed at any moment of the start leaves nothing behind.
        self._reaper: subprocess.Popen[bytes] | None = reaper.start(
            [_pg_argv(bindir / "pg_ctl", "-D", str(self.data), "-w", "-m", "immediate", "stop")],
            root, kill_mentioning=f"{root}/")

    @property
    def pid(self) -> int | None:
        try:
            return int((self.data / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None

    async def init(self) -> None:
        self.sock.mkdir(mode=0o700)
        pwfile = self.root / "pwfile"
        pwfile.write_text(self.password + "\n")
        pwfile.chmod(0o600)
        if _as_root():
            try:
                pw = pwd.getpwnam(POSTGRES_USER)
            except KeyError:
                raise PostgresUnavailable(
                    f"running as root needs a '{POSTGRES_USER}' system user (initdb refuses root)"
                ) from None
            for p in (self.root, self.sock, pwfile):
                os.chown(p, pw.pw_uid, pw.pw_gid)
        try:
            await _run(
                "initdb",
                _pg_argv(self.bindir / "initdb", "-D", str(self.data), "-U", "postgres", "-A", "scram-sha-256",
                         f"--pwfile={pwfile}", "--no-sync", "-E", "UTF8", "--locale=C"),
                START_TIMEOUT_S,
            )
        finally:
            pwfile.unlink(missing_ok=True)

    async def start_server(self) -> None:
        """Start on the same port as before (first start: a free port, retried if taken)."""
        tries = 1 if self.port else 3
        for attempt in range(tries):
            port = self.port or free_port()
            opts = f"-p {port} -k {self.sock} -c listen_addresses=127.0.0.1 -c fsync=off"
            try:
                await _run(
                    "pg_ctl start",
                    _pg_argv(self.bindir / "pg_ctl", "-D", str(self.data), "-l", str(self.logfile),
                             "-w", "-t", str(int(START_TIMEOUT_S)), "-o", opts, "start"),
                    START_TIMEOUT_S + 5,
                )
            except PostgresUnavailable as e:
                if attempt + 1 == tries:
                    raise PostgresUnavailable(f"{e}; server log: {self._log_tail()}") from None
                continue
            self.port = port
            self.dsn = make_conninfo(host="127.0.0.1", port=port, user="postgres", dbname="postgres",
                                     password=self.password)
            return

    async def stop_server(self) -> None:
        """Immediate stop (like a crash): clients see their connections die."""
        await _run(
            "pg_ctl stop",
            _pg_argv(self.bindir / "pg_ctl", "-D", str(self.data), "-w", "-t", str(int(STOP_TIMEOUT_S)),
                     "-m", "immediate", "stop"),
            STOP_TIMEOUT_S + 5,
        )

    def kill(self) -> None:
        """Stop the server (pg_ctl, then signals), end stragglers, remove the temp dir. Idempotent."""
        if self._killed:
            return
        self._killed = True
        pid = self.pid
        if pid is not None and _pid_alive(pid):
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                subprocess.run(
                    _pg_argv(self.bindir / "pg_ctl", "-D", str(self.data), "-w", "-m", "immediate", "stop"),
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                    timeout=STOP_TIMEOUT_S, start_new_session=True,
                )
            self._signal_until_gone(pid, signal.SIGQUIT)
        # Whatever still names our dir: an interrupted initdb or pg_ctl, a postmaster that had
        # not written its pid file yet.
        for straggler in reaper.processes_mentioning(f"{self.root}/"):
            self._signal_until_gone(straggler, signal.SIGKILL)
        shutil.rmtree(self.root, ignore_errors=True)
        if self._reaper is not None:
            reaper.stop(self._reaper)
            self._reaper = None
        with contextlib.suppress(Exception):
            atexit.unregister(self.kill)

    @staticmethod
    def _signal_until_gone(pid: int, first: signal.Signals) -> None:
        """``first`` (SIGQUIT: PostgreSQL's immediate shutdown), then SIGKILL if it lingers."""
        for sig, wait_s in ((first, 5.0), (signal.SIGKILL, 2.0)):
            if not _pid_alive(pid):
                return
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, sig)
            deadline = time.monotonic() + wait_s
            while _pid_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.02)

    def _log_tail(self) -> str:
        try:
            return " | ".join(self.logfile.read_text(errors="replace").strip().splitlines()[-3:])
        except OSError:
            return "(no log)"


# ---------------------------------------------------------------- external database


class ExternalSchema(PgHandle):
    """A schema of its own in somebody else's database; only that schema is ever dropped."""

    kind: Literal["throwaway", "external"] = "external"

    def __init__(self, url: str, schema: str, version: str) -> None:
        params = conninfo_to_dict(url)
        options = f"{params.get('options', '')} -c search_path={schema}".strip()
        super().__init__(dsn=make_conninfo(url, options=options), version=version)
        self.url = url
        self.schema = schema
        self._dropped = False

    def kill(self) -> None:
        """Drop the run's schema (best effort, bounded by a connect timeout)."""
        if self._dropped:
            return
        self._dropped = True
        try:
            with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')
        except psycopg.Error as e:
            log.warning("could not drop schema %s: %s", self.schema, e)
        with contextlib.suppress(Exception):
            atexit.unregister(self.kill)


def describe_url(url: str) -> str:
    """host:port/dbname of a URL, without the password, for error messages."""
    try:
        p = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "(unparseable URL)"
    return f"{p.get('host', 'localhost')}:{p.get('port', 5432)}/{p.get('dbname', '')}"


async def _open_external(url: str) -> ExternalSchema:
    schema = f"tank_run_{secrets.token_hex(4)}"  # hex only: safe to quote into DDL below
    try:
        conn = await psycopg.AsyncConnection.connect(url, autocommit=True, connect_timeout=10)
    except (psycopg.Error, OSError) as e:
        raise PostgresUnavailable(f"cannot connect to DATABASE_URL {describe_url(url)}: {e}".strip()) from None
    async with conn:
        try:
            await conn.execute(f'CREATE SCHEMA "{schema}"')
        except psycopg.Error as e:
            raise PostgresUnavailable(f"cannot create schema {schema} in {describe_url(url)}: {e}") from None
        cur = await conn.execute("SHOW server_version")
        row = await cur.fetchone()
    return ExternalSchema(url, schema, str(row[0]) if row else "")


# ---------------------------------------------------------------- the context manager


async def _server_version(dsn: str) -> str:
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True, connect_timeout=10) as conn:
        cur = await conn.execute("SHOW server_version")
        row = await cur.fetchone()
        return str(row[0]) if row else ""


@contextlib.asynccontextmanager
async def postgres(
    database_url: str | None | _Env = FROM_ENV, *, tmp_root: str | None = None
) -> AsyncIterator[PgHandle]:
    """A database for one run. ``database_url``: a URL to use, ``None`` for a throwaway cluster,
    default: ``$DATABASE_URL`` if set and non-empty, else a throwaway cluster. ``tmp_root``: where
    the cluster's temp dir goes (default: the system temp dir; must be traversable by the
    ``postgres`` user when running as root)."""
    url = (os.environ.get("DATABASE_URL") or None) if database_url is FROM_ENV else database_url
    handle: PgHandle
    if url:
        handle = await _open_external(url)
    else:
        bindir = find_binaries()
        handle = ThrowawayCluster(bindir, Path(tempfile.mkdtemp(prefix="tank-pg-", dir=tmp_root)))
    atexit.register(handle.kill)
    try:
        if isinstance(handle, ThrowawayCluster):
            await handle.init()
            await handle.start_server()
            handle.version = await _server_version(handle.dsn)
        yield handle
    finally:
        handle.kill()
