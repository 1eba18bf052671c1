"""``PostgresStore``: the Sync endpoint's store backed by the ingest database (SPEC §6).

Each request is stored by one statement (``queries.INGEST``) on an autocommit connection, so a
request is one transaction: all of its new events with their ledger rows, or nothing. The answer
tells the tracker what to do next, by the kind of failure:
- 404 unknown site, 422 data PostgreSQL cannot store (permanent: retrying cannot help);
- 500 a month without a partition, or another server fault (retryable; nothing half-stored);
- 503 + ``Retry-After`` the database is unreachable or too slow; 429 + ``Retry-After`` the
  rate-limit fault is on.
A dead pooled connection (the server was restarted) costs one 503; the pool is then checked in
the background so the next request gets a live connection.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from harness.contract.errors import EnvironmentProblem
from harness.contract.history import StoredEvent
from server_stub.ingest import queries
from server_stub.ingest.migrate import apply_migrations
from server_stub.ingest.ratelimit import TokenBucket
from server_stub.ingest.rows import Unstorable, to_rows
from server_stub.store import IngestResult

log = logging.getLogger(__name__)

_DEADLOCK_RETRIES = 2  # the statement is atomic, so re-running it after a deadlock is safe


class IngestDatabaseUnavailable(EnvironmentProblem):
    """The ingest database cannot be reached or prepared (at start, or for the at-rest read)."""


@dataclass
class IngestStats:
    """Counters for the report: ``no_eid`` is "de-duplication was not possible for N events"."""

    requests: int = 0
    accepted: int = 0  # events stored now (including no_eid ones)
    duplicates: int = 0  # events acknowledged without storing: their eid was already stored
    no_eid: int = 0  # events stored without an eid: nothing could de-duplicate them
    statuses: Counter[int] = field(default_factory=Counter)

    def to_json(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "no_eid": self.no_eid,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
        }


class PostgresStore:
    """Store protocol implementation over a psycopg 3 connection pool."""

    name = "postgres"

    def __init__(
        self,
        dsn: str,
        pool: AsyncConnectionPool,
        *,
        rate_limit_per_s: float | None = None,
        acquire_timeout: float = 1.0,
        retry_after_s: int = 2,
    ) -> None:
        """Use ``connect()``; this only wires parts together."""
        self.dsn = dsn
        self.stats = IngestStats()
        self._pool = pool
        self._acquire_timeout = acquire_timeout
        self._retry_after_s = retry_after_s
        self._limiter: TokenBucket | None = None
        self._sites: dict[str, str] = {}  # public_id -> uuid; only found sites are cached
        self._check_task: asyncio.Task[None] | None = None
        self._down = False
        self.set_rate_limit(rate_limit_per_s)

    @classmethod
    async def connect(
        cls,
        dsn: str,
        *,
        rate_limit_per_s: float | None = None,
        create_months: list[date] | tuple[date, ...] = (),
        max_connections: int = 8,
        acquire_timeout: float = 1.0,
        statement_timeout_ms: int = 4000,
        retry_after_s: int = 2,
    ) -> "PostgresStore":
        """Apply migrations, create the given months' partitions, open the pool.

        ``acquire_timeout`` bounds how long a request waits for a connection before a 503;
        ``statement_timeout_ms`` (default below the tracker's 5 s abort) turns a stuck database
        into a 503 the tracker can act on instead of an abort.
        """
        try:
            async with await psycopg.AsyncConnection.connect(dsn, autocommit=True, connect_timeout=10) as conn:
                await apply_migrations(conn)
                for month in create_months:
                    await conn.execute(queries.CREATE_MONTH, (month,))
        except psycopg.Error as e:
            raise IngestDatabaseUnavailable(f"cannot prepare the ingest database: {e}".strip()) from None

        async def configure(conn: psycopg.AsyncConnection) -> None:
            await conn.execute(f"SET statement_timeout = {int(statement_timeout_ms)}")

        pool = AsyncConnectionPool(
            dsn,
            min_size=1,
            max_size=max_connections,
            kwargs={"autocommit": True},
            configure=configure,
            open=False,
            timeout=acquire_timeout,
            # Give up a failed reconnection quickly: the next request then starts a fresh attempt
            # at once, instead of waiting out a long exponential backoff after the server is back.
            reconnect_timeout=2.0,
            name="tank-ingest",
        )
        try:
            await pool.open(wait=True, timeout=10)
        except PoolTimeout as e:
            await pool.close()
            raise IngestDatabaseUnavailable(f"cannot open connections to the ingest database: {e}") from None
        return cls(dsn, pool, rate_limit_per_s=rate_limit_per_s, acquire_timeout=acquire_timeout,
                   retry_after_s=retry_after_s)

    # ------------------------------------------------------------------ knobs for scenarios

    def set_rate_limit(self, per_s: float | None, clock: Callable[[], float] | None = None) -> None:
        """Turn the 429 fault on (``per_s`` requests per second, bursts of one second) or off.

        ``clock`` (seconds) is the time the bucket refills in; the harness passes page time.
        """
        self._limiter = TokenBucket(per_s, clock=clock or time.monotonic) if per_s is not None else None

    @property
    def rate_limited(self) -> bool:
        """A rate limit is on: one bucket for every request, whichever browser context sent it."""
        return self._limiter is not None

    def set_down(self, down: bool) -> None:
        """The database was stopped on purpose: answer 503 at once rather than wait for the pool.

        A pool timeout is real time; the outage's length is the page time until ``set_down(False)``.
        """
        self._down = down

    async def ensure_site(self, public_id: str, domain: str) -> None:
        """Register a site (``name`` = domain) unless it exists; sites are never removed."""
        async with self._pool.connection(timeout=self._acquire_timeout) as conn:
            await conn.execute(queries.ENSURE_SITE, (public_id, domain, domain))

    async def create_month_partitions(self, month: date) -> None:
        """Create the partitions of ``month``'s month (idempotent)."""
        async with self._pool.connection(timeout=self._acquire_timeout) as conn:
            await conn.execute(queries.CREATE_MONTH, (month,))

    async def create_next_month_partitions(self, base: date) -> None:
        """Create the partitions of the month after ``base`` (pass the page-clock date)."""
        async with self._pool.connection(timeout=self._acquire_timeout) as conn:
            await conn.execute(queries.CREATE_NEXT_MONTH, (base,))

    async def check(self) -> None:
        """Replace dead pooled connections now (e.g. right after the server was restarted)."""
        await self._pool.check()

    # ------------------------------------------------------------------ Store protocol

    async def ingest(self, events: list[dict[str, Any]], raw: bytes, content_type: str) -> IngestResult:
        """Store one request's events atomically; every outcome is an answer, never an exception."""
        self.stats.requests += 1
        try:
            result = await self._ingest(events)
        except Exception:  # noqa: BLE001 - a bug must cost one 500, not the stub's handler
            log.exception("ingest failed unexpectedly")
            result = IngestResult(500, {"ok": False, "error": "internal error in the ingest store"})
        self.stats.statuses[result.status] += 1
        if result.processed:
            self.stats.accepted += int(result.body.get("accepted", 0))
            self.stats.duplicates += int(result.body.get("duplicates", 0))
            self.stats.no_eid += int(result.body.get("no_eid", 0))
        return result

    async def _ingest(self, events: list[dict[str, Any]]) -> IngestResult:
        if self._limiter is not None and (wait := self._limiter.take()) is not None:
            return IngestResult(429, {"ok": False, "error": "rate limited"}, retry_after=wait)
        if self._down:
            return self._unavailable("database unavailable: stopped")
        if not events:
            return IngestResult(400, {"ok": False, "error": "no events"})
        sites = {ev.get("s") if isinstance(ev, dict) else None for ev in events}
        if len(sites) != 1:
            return IngestResult(400, {"ok": False, "error": "mixed sites in one batch"})
        site = sites.pop()
        try:
            rows = to_rows(events)
        except Unstorable as e:
            return IngestResult(422, {"ok": False, "error": "unstorable", "index": e.index,
                                      "field": e.field, "detail": e.reason})
        except RecursionError:
            return IngestResult(422, {"ok": False, "error": "unstorable", "detail": "nested too deeply"})
        try:
            return await self._store(str(site), rows)
        except Exception as e:  # noqa: BLE001 - turned into an HTTP answer below, never raised
            return self._failure(e)

    async def _store(self, site: str, rows: list[dict[str, Any]]) -> IngestResult:
        doc = json.dumps(rows, allow_nan=False)
        async with self._pool.connection(timeout=self._acquire_timeout) as conn:
            site_uuid = self._sites.get(site)
            if site_uuid is None:
                cur = await conn.execute(queries.SITE_ID, (site,))
                found = await cur.fetchone()
                if found is None:
                    return IngestResult(404, {"ok": False, "error": "unknown site", "site": site})
                site_uuid = self._sites[site] = str(found[0])
            for attempt in range(_DEADLOCK_RETRIES + 1):
                try:
                    cur = await conn.execute(queries.INGEST, {"rows": doc, "site": site_uuid})
                    break
                except (pg_errors.DeadlockDetected, pg_errors.SerializationFailure):
                    if attempt == _DEADLOCK_RETRIES:
                        raise
            counts = await cur.fetchone()
        accepted, no_eid = (int(counts[0]), int(counts[1])) if counts else (0, 0)
        body = {"ok": True, "accepted": accepted, "duplicates": len(rows) - accepted, "no_eid": no_eid}
        return IngestResult(200, body, processed=True)

    def _failure(self, e: Exception) -> IngestResult:
        """The answer for a failed store; the transaction was rolled back, nothing is stored."""
        if isinstance(e, PoolTimeout):
            return self._unavailable("no database connection available")
        if isinstance(e, pg_errors.CheckViolation) and "no partition" in str(e):
            detail = e.diag.message_detail or str(e)
            return IngestResult(500, {"ok": False, "error": "no partition for the session month",
                                      "detail": detail, "retryable": True})
        if isinstance(e, pg_errors.DataError):
            return IngestResult(422, {"ok": False, "error": "unstorable", "detail": str(e).strip()})
        if isinstance(e, (psycopg.OperationalError, psycopg.InterfaceError, OSError)):
            self._check_pool_soon()
            return self._unavailable(f"database unavailable: {' '.join(str(e).split())[:200]}")
        if isinstance(e, psycopg.Error):
            log.warning("ingest failed: %s", e)
            return IngestResult(500, {"ok": False, "error": "database error", "sqlstate": e.sqlstate,
                                      "detail": str(e).strip()[:500], "retryable": True})
        log.exception("ingest failed unexpectedly")
        return IngestResult(500, {"ok": False, "error": f"internal error: {type(e).__name__}"})

    def _unavailable(self, why: str) -> IngestResult:
        return IngestResult(503, {"ok": False, "error": why}, retry_after=self._retry_after_s)

    def _check_pool_soon(self) -> None:
        """Purge the other dead connections in the background, once at a time."""
        if self._check_task is None or self._check_task.done():
            self._check_task = asyncio.create_task(self._quiet_check())

    async def _quiet_check(self) -> None:
        try:
            await self._pool.check()
        except Exception as e:  # noqa: BLE001 - best effort; the next request reports the outage
            log.debug("pool check failed: %s", e)

    async def rows(self, sites: set[str] | None = None) -> list[StoredEvent]:
        """Every stored event of these sites (all when ``None``), in insertion order.

        Uses its own connection: the read can be long and must not hold a pool slot or be cut
        by the request statement timeout.
        """
        if sites is not None and not sites:
            return []
        where, params = ("WHERE s.public_id = ANY(%s)", (sorted(sites),)) if sites is not None else ("", ())
        try:
            async with await psycopg.AsyncConnection.connect(self.dsn, autocommit=True, connect_timeout=10) as conn:
                await conn.execute(queries.READ_SETTINGS)
                cur = await conn.execute(queries.ROWS.format(where=where), params)
                records = await cur.fetchall()
        except psycopg.Error as e:
            raise IngestDatabaseUnavailable(f"cannot read events at rest: {e}".strip()) from None
        loads = json.loads  # positional: StoredEvent's field order; ~2x faster than keywords at 100k rows
        return [StoredEvent(r[0], r[1], r[2], r[3], r[4], r[5], loads(r[6]), r[7]) for r in records]

    async def close(self) -> None:
        if self._check_task is not None:
            self._check_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._check_task
        await self._pool.close()

