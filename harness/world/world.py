"""The world of a run: Playwright and Chromium, the fault proxy, the database.

Started once per run and shared by its scenarios (each scenario gets its own Sync stub, proxy
listener and browser contexts). Every process it starts is stopped when the ``async with``
block ends — on success, on error and on cancellation (Ctrl-C, SIGTERM via the CLI).
"""
from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, Playwright, async_playwright

from harness.contract.errors import EnvironmentProblem
from harness.world import reaper
from harness.world.browser import BrowserChoice, driver_temp_dir, find_browser, remote_choice, start_browser


@dataclass(frozen=True)
class WorldOptions:
    ingest: str = "memory"  # memory | postgres | tap
    proxy: bool = True
    database_url: str | None = None
    tap_url: str | None = None
    tap_query: str | None = None
    out_dir: Path | None = None  # where journals (JSONL) go; None: memory only
    seed: int = 1
    site_id: str | None = None  # the site every scenario uses; None: a fresh one per scenario
    browser_ws: str | None = None  # a Playwright server (`playwright run-server`) instead of a local Chromium
    browser_cdp: str | None = None  # a Chromium's DevTools endpoint on this machine
    trace: str = "off"  # off | on | retain-on-failure (harness.report.artifacts)
    artifacts_dir: Path | None = None  # where kept traces and screenshots go (one folder per scenario)
    strict: bool = False  # --strict: decides which scenarios failed, so whose traces are kept
    scenario_timeout_s: float = 300.0  # wall budget of one scenario (harness/run/watchdog.py)
    shard: str | None = None  # --shard I/N, stamped on each history (harness/report/provenance.py)


class World:
    """Async context manager owning the long-lived parts of a run."""

    def __init__(self, options: WorldOptions) -> None:
        self.options = options
        self.pw: Playwright = None  # type: ignore[assignment]
        self.browser: Browser | None = None
        self.browser_choice: BrowserChoice = None  # type: ignore[assignment]
        self.browser_version = ""
        self.proxy_client: Any = None
        self.proxy_kind = "none"
        self.proxy_version = ""
        self.proxy_refusals: list[Any] | None = None  # requests the embedded proxy API refused
        self.proxy_embedded: Any = None  # the embedded proxy (in-process): takes a page clock
        self.pg: Any = None
        self.pg_store: Any = None
        self._stack = contextlib.AsyncExitStack()
        self._staging: Path | None = None

    def staging(self, scenario: str) -> Path | None:
        """Where a scenario's traces and screenshots wait for its verdict (``None``: --trace off)."""
        if self.options.trace == "off":
            return None
        if self._staging is None:
            self._staging = Path(tempfile.mkdtemp(prefix="tank-artifacts-"))
            self._stack.callback(shutil.rmtree, self._staging, True)
        return self._staging / scenario

    async def __aenter__(self) -> "World":
        try:
            await self._start()
        except BaseException:
            await self._stack.aclose()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._stack.aclose()

    async def _start(self) -> None:
        # Playwright's driver and Chromium keep their temp folders in one of ours, which a reaper
        # removes once they are gone — also when a second Ctrl-C ends the harness while the driver
        # is still deleting a profile Chromium writes to (the folder stayed in /tmp).
        browser_tmp = Path(tempfile.mkdtemp(prefix="tank-browser-"))
        self._stack.callback(reaper.stop, reaper.start([], browser_tmp, kill_mentioning=f"{browser_tmp}/"))
        with driver_temp_dir(browser_tmp):
            self.pw = await self._stack.enter_async_context(async_playwright())
        self.browser_choice = (remote_choice(self.pw, self.options.browser_ws, self.options.browser_cdp)
                               or find_browser(self.pw))
        self.browser = await start_browser(self.pw, self.browser_choice)
        self._stack.push_async_callback(self._close_browser)
        self.browser_version = self.browser.version
        if self.options.proxy:
            from harness.toxiproxy.service import ToxiproxyUnavailable, toxiproxy_service

            try:
                service = await self._stack.enter_async_context(toxiproxy_service(self.options.seed))
            except ToxiproxyUnavailable as exc:
                raise EnvironmentProblem(f"fault proxy unavailable: {exc}") from exc
            self.proxy_kind, self.proxy_version = service.kind, service.version
            self.proxy_client = service.client()
            self.proxy_refusals = service.refusals
            self.proxy_embedded = service.embedded
        if self.options.ingest == "postgres":
            from harness.world.postgres import postgres
            from server_stub.ingest.store import PostgresStore

            # The pool reports every refused reconnect while a scenario has stopped the database on purpose.
            logging.getLogger("psycopg.pool").setLevel(logging.CRITICAL)
            self.pg = await self._stack.enter_async_context(postgres(self.options.database_url or os.environ.get("DATABASE_URL")))
            self.pg_store = await PostgresStore.connect(self.pg.dsn)
            self._stack.push_async_callback(self.pg_store.close)

    async def _close_browser(self) -> None:
        if self.browser is not None:
            with contextlib.suppress(Exception):
                await self.browser.close()

    async def make_store(self, site_id: str, domain: str) -> Any:
        """The store a scenario's stub hands accepted events to."""
        if self.options.ingest == "postgres":
            await self.pg_store.ensure_site(site_id, domain)
            return _Shared(self.pg_store)
        if self.options.ingest == "tap":
            from server_stub.ingest.tap import TapStore

            return TapStore(self.options.tap_url, self.options.tap_query, self.options.database_url)
        from server_stub.memory_store import MemoryStore

        return MemoryStore({site_id})

    async def prepare_months(self, months: list[Any]) -> None:
        """Create the monthly partitions a scenario's page time will need (PostgreSQL only)."""
        if self.pg_store is not None:
            for month in months:
                await self.pg_store.create_month_partitions(month)

    async def call_db_function(self, name: str, args: list[Any]) -> None:
        import psycopg
        from psycopg import sql

        async with await psycopg.AsyncConnection.connect(self.pg.dsn, autocommit=True) as conn:
            placeholders = sql.SQL(", ").join(sql.Placeholder() * len(args))
            await conn.execute(sql.SQL("SELECT {}({})").format(sql.Identifier(name), placeholders), args)

    def meta(self) -> dict[str, Any]:
        return {
            "browser": {"source": self.browser_choice.source if self.browser_choice else None,
                        "executable": self.browser_choice.executable if self.browser_choice else None,
                        "endpoint": self.browser_choice.endpoint if self.browser_choice else None,
                        "version": self.browser_version},
            "proxy": {"kind": self.proxy_kind, "version": self.proxy_version},
            "store": self.options.ingest,
            "database": getattr(self.pg, "kind", None),
            "seed": self.options.seed,
        }


class _Shared:
    """A run-wide store lent to one scenario: the stub closes it, the world owns it."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.name = inner.name

    def __getattr__(self, item: str) -> Any:
        return getattr(self._inner, item)

    async def close(self) -> None:
        return None
