"""``StubServer``: the site, Sync and control apps on three loopback ports, started and stopped
as one unit so a run never leaves a listener (or a hung request) behind.
"""
from __future__ import annotations

import asyncio
import pathlib
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from harness.contract.adapter import Adapter
from harness.contract.control import Refusal, new_token
from server_stub.control_app import ControlApp
from server_stub.faults import FaultPlan
from server_stub.head_deadline import HEAD_TIMEOUT_S, HeadDeadlines, serve
from server_stub.journal import Journal
from server_stub.memory_store import MemoryStore
from server_stub.site_app import DEFAULT_SITE_DIR, SiteApp, SiteState
from server_stub.store import Store
from server_stub.sync_app import SYNC_PATH, SyncApp

HOST = "127.0.0.1"
SHUTDOWN_TIMEOUT_S = 1.0  # in-flight handlers get this long at stop before being cancelled


class StubServer:
    """The Sync stub of SPEC §5 plus the test site. Usable as ``async with StubServer(...)``."""

    def __init__(
        self,
        *,
        tracker_source: str,
        site_id: str,
        adapter: Adapter | None = None,
        sync_url: str | None = None,
        store: Store | None = None,
        seed: int = 1,
        journal_path: pathlib.Path | None = None,
        site_dir: pathlib.Path = DEFAULT_SITE_DIR,
        page_vars: dict[str, str] | None = None,
        control_token: str | None = None,
        head_timeout_s: float = HEAD_TIMEOUT_S,
        side_endpoints: tuple[str, ...] = (),
    ) -> None:
        if not isinstance(site_id, str) or not 1 <= len(site_id) <= 128:
            raise ValueError(f"site_id: must be a string of 1–128 chars, got {site_id!r}")
        self.site_id = site_id
        self.adapter = adapter or Adapter()
        self.store: Store = store if store is not None else MemoryStore({site_id})
        self.journal = Journal(journal_path)
        self.faults = FaultPlan(seed, run_values=(site_id,))
        self.control_token = control_token or new_token()  # the control app answers only its holder
        self.refusals: list[Refusal] = []  # control requests refused (a page or process that tried)
        self._sync_url_override = _check_url(sync_url) if sync_url is not None else None
        self._state = SiteState(
            tracker_source=tracker_source,
            site_id=site_id,
            adapter=self.adapter,
            sync_url=self._sync_url_override or "",
            site_dir=pathlib.Path(site_dir),
            page_vars=dict(page_vars or {}),
        )
        self._state.set_extra_attrs(None)
        self._sync = SyncApp(self.journal, self.faults, self.store, side_endpoints=tuple(side_endpoints))
        self._runners: list[web.AppRunner] = []
        self._servers: list[asyncio.AbstractServer] = []
        self._head_timeout_s = head_timeout_s
        self.head_deadlines: dict[str, HeadDeadlines] = {}  # per app: connections cut for a slow head
        self._ports: dict[str, int] = {}
        self._stopped = False

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        """Bind the three apps on 127.0.0.1 ephemeral ports and register the site with the store."""
        if self._runners:
            raise RuntimeError("StubServer already started")
        if self._stopped:
            raise RuntimeError("StubServer cannot be restarted after stop(); make a new one")
        await self.store.ensure_site(self.site_id, HOST)
        control = ControlApp(self.journal, self.faults, self.store, self._info, self.control_token, self.refusals)
        try:
            for name, app in (("site", SiteApp(self._state).make_app()),
                              ("sync", self._sync.make_app()),
                              ("control", control.make_app())):
                self._ports[name] = await self._bind(name, app)
        except BaseException:
            await self.stop()
            raise
        if self._sync_url_override is None:
            self._state.sync_url = self.direct_sync_url

    async def _bind(self, name: str, app: web.Application) -> int:
        runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=SHUTDOWN_TIMEOUT_S,
                               access_log=None)
        self._runners.append(runner)
        server, self.head_deadlines[name] = await serve(runner, app, HOST, 0, self._head_timeout_s)
        self._servers.append(server)
        port: int = server.sockets[0].getsockname()[1]
        return port

    async def stop(self) -> None:
        """Idempotent: end hung requests (no answer), close every socket, close the journal file.

        The store is the caller's to close when it was passed in; a default ``MemoryStore`` has
        nothing to close.
        """
        if self._stopped:
            return
        self._stopped = True
        self._sync.stopping = True
        self.faults.stop()
        for server in self._servers:
            server.close()  # no new connections; the runners close the live ones
        for runner in reversed(self._runners):
            await runner.cleanup()
        for server in self._servers:
            await server.wait_closed()
        self._servers.clear()
        self._runners.clear()
        self.journal.close()

    async def __aenter__(self) -> "StubServer":
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.stop()

    # -- addresses -------------------------------------------------------------------------
    def _port(self, name: str) -> int:
        if name not in self._ports:
            raise RuntimeError("StubServer not started: call await start() first")
        return self._ports[name]

    @property
    def site_url(self) -> str:
        """``http://127.0.0.1:S`` — pages, /tracker.js, /__tank/observer."""
        return f"http://{HOST}:{self._port('site')}"

    @property
    def sync_port(self) -> int:
        """The Sync app's own port Y (put Toxiproxy in front of it)."""
        return self._port("sync")

    @property
    def direct_sync_url(self) -> str:
        """``http://127.0.0.1:Y/api/sync`` — the Sync endpoint without a proxy."""
        return f"http://{HOST}:{self.sync_port}{SYNC_PATH}"

    @property
    def sync_url(self) -> str:
        """What pages get in the tracker's api attribute (``set_sync_url``, else direct)."""
        return self._state.sync_url or self.direct_sync_url

    @property
    def control_url(self) -> str:
        """``http://127.0.0.1:C`` — the control app (paths under /__control/)."""
        return f"http://{HOST}:{self._port('control')}"

    # -- what pages get --------------------------------------------------------------------
    def set_sync_url(self, url: str) -> None:
        """The full Sync URL written into pages (e.g. the proxy listener + /api/sync), verbatim."""
        self._sync_url_override = _check_url(url)
        self._state.sync_url = self._sync_url_override

    def set_tracker(self, source: str, extra_attrs: dict[str, str] | None = None) -> None:
        """Serve another build; ``extra_attrs`` (added to the adapter's) replace earlier extras."""
        if not isinstance(source, str):
            raise TypeError(f"tracker source must be str, got {type(source).__name__}")
        self._state.set_extra_attrs(extra_attrs)
        self._state.tracker_source = source

    @property
    def page_vars(self) -> dict[str, str]:
        """``{{key}}`` values for pages (mutable; changes apply to the next page load)."""
        return self._state.page_vars

    def _info(self) -> dict[str, Any]:
        return {"site_url": self.site_url, "sync_url": self.sync_url, "sync_port": self.sync_port,
                "control_url": self.control_url, "site_id": self.site_id}


def _check_url(url: str) -> str:
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"sync url: must be an absolute http(s) URL, got {url!r}")
    return url
