"""Test doubles for the tracker tests: a site origin, a scripted Sync endpoint, a clocked page.

The real Sync stub lives in ``server_stub``; these tests use a small double of their own so they
pin the tracker's behaviour without depending on it. Site and Sync run on different loopback
ports, so CORS and preflights are real, as in a harness run.
"""
from __future__ import annotations

import asyncio
import json
import os
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from aiohttp import web
from playwright.async_api import Browser, BrowserContext, Page

from harness.builds import SITE_PAGES, load_build
from server_stub.pages import render

T0 = datetime(2026, 1, 29, 10, 0, tzinfo=timezone.utc)
T0_MS = int(T0.timestamp() * 1000)
OUTBOX_KEY = "opsmantik_outbox_v2"
DEADLETTER_KEY = "opsmantik_deadletter_v2"
SITE_ID = "site-poyraz"
REAL_WAIT_S = 10.0  # real-time bound for network to settle; generous for a loaded 2-core machine
BUILD_ENV = "TANK_TRACKER_BUILD"
PAGE_VARS = {"phone": "+90 532 123 45 67", "wa_number": "905321234567"}  # what the assertions expect
"""Run these tests against another build (``mutant:NAME`` or a path) to see what it breaks."""


@dataclass(frozen=True)
class Reply:
    """One scripted answer of the Sync double."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    hang: bool = False  # never answer (until the double shuts down)
    delay_s: float = 0.0  # real seconds before answering (the page clock is paused meanwhile)


@dataclass(frozen=True)
class Received:
    """One POST the Sync double received."""

    content_type: str
    events: list[dict[str, Any]]
    status: int | None
    size: int = 0  # body bytes

    @property
    def eids(self) -> list[str]:
        return [e.get("meta", {}).get("eid") for e in self.events]

    @property
    def actions(self) -> list[str]:
        return [f"{e.get('ec')}/{e.get('ea')}" for e in self.events]


Rule = Callable[[list[dict[str, Any]]], Reply | None]


class SyncDouble:
    """Answers from ``replies`` (a queue), else from ``rule(events)``, else 200; journals all."""

    def __init__(self) -> None:
        self.replies: deque[Reply] = deque()
        self.rule: Rule | None = None
        self.default = Reply()
        self.received: list[Received] = []
        self.inflight = 0
        self.max_inflight = 0
        self._release = asyncio.Event()

    def cors(self, request: web.Request) -> dict[str, str]:
        return {
            "Access-Control-Allow-Origin": request.headers.get("Origin", "*"),
            "Access-Control-Allow-Credentials": "true",
            "Access-Control-Allow-Methods": "POST, OPTIONS",
            "Access-Control-Allow-Headers": "Content-Type",
            "Access-Control-Expose-Headers": "Retry-After",
        }

    async def preflight(self, request: web.Request) -> web.Response:
        return web.Response(status=204, headers=self.cors(request))

    async def post(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        raw = body.decode("utf-8", errors="replace")
        try:
            parsed = json.loads(raw)
        except json.JSONDecodeError:
            parsed = {}
        events = parsed.get("events") if isinstance(parsed, dict) and "events" in parsed else [parsed]
        reply = self.replies.popleft() if self.replies else (self.rule(events) if self.rule else None) or self.default
        self.received.append(
            Received(request.headers.get("Content-Type", ""), events, None if reply.hang else reply.status, len(body))
        )
        self.inflight += 1
        self.max_inflight = max(self.max_inflight, self.inflight)
        try:
            if reply.hang:
                await self._release.wait()
                raise web.HTTPServiceUnavailable()
            if reply.delay_s:
                await asyncio.sleep(reply.delay_s)
        finally:
            self.inflight -= 1
        return web.json_response(reply.body or {"ok": reply.status < 300}, status=reply.status, headers={**self.cors(request), **reply.headers})

    def release(self) -> None:
        self._release.set()

    def by_action(self, action: str) -> list[dict[str, Any]]:
        return [e for r in self.received for e in r.events if f"{e.get('ec')}/{e.get('ea')}" == action]


class Site:
    """The site origin: test pages with the tracker tag, ``/tracker.js`` from memory."""

    def __init__(self, source: str, attrs: dict[str, str]) -> None:
        self.source = source
        self.attrs = attrs

    def tag(self) -> str:
        attrs = "".join(f' {k}="{v}"' for k, v in self.attrs.items())
        return f'<script src="/tracker.js"{attrs}></script>'

    def handler(self, route: str) -> Callable[[web.Request], Any]:
        async def page(_request: web.Request) -> web.Response:
            html = render(SITE_PAGES[route].read_text(encoding="utf-8"), tag=self.tag(), page_vars=PAGE_VARS)
            return web.Response(text=html, content_type="text/html")

        return page

    async def tracker(self, _request: web.Request) -> web.Response:
        return web.Response(text=self.source, content_type="application/javascript", headers={"Cache-Control": "no-store"})


async def _serve(app: web.Application) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, runner.addresses[0][1]


async def wait_until(predicate: Callable[[], Any], what: str, timeout: float = REAL_WAIT_S) -> None:
    """Poll a condition in real time (network settling), failing with ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for: {what}")
        await asyncio.sleep(0.02)


class Tank:
    """One browser context with the page clock paused at T0, a site origin and a Sync double."""

    def __init__(self, context: BrowserContext, sync: SyncDouble, site_url: str, api: str) -> None:
        self.context = context
        self.sync = sync
        self.site_url = site_url
        self.api = api
        self.page: Page | None = None
        self.errors: list[str] = []

    async def new_page(self, path: str = "/", *, seed: dict[str, str] | None = None) -> Page:
        """Open a tracked page; ``seed`` is written to localStorage before the tracker runs."""
        page = await self.context.new_page()
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        if seed:
            await page.goto(self.site_url + "/__tank/observer")
            await page.evaluate("(seed) => { for (const [k, v] of Object.entries(seed)) localStorage.setItem(k, v); }", seed)
        await page.goto(self.site_url + path)
        await page.wait_for_function("() => !!window.opmantik")
        self.page = page
        return page

    async def observer(self) -> Page:
        page = await self.context.new_page()
        await page.goto(self.site_url + "/__tank/observer")
        return page

    async def now(self) -> int:
        assert self.page is not None
        return int(await self.page.evaluate("Date.now()"))

    async def run(self, ms: int) -> None:
        """Advance the page clock (fires due timers), then let the tracker's pass finish."""
        await self.context.clock.run_for(ms)
        await self.idle()

    async def idle(self) -> None:
        """Wait (real time) until no processing pass runs and no outbox write waits for its lock."""
        assert self.page is not None
        page = self.page
        await wait_until(
            lambda: page.evaluate("() => { const s = window.opmantik.stats(); return !s.sending && s.pendingWrites === 0; }"),
            "the tracker to go idle",
        )

    async def settled(self) -> None:
        """Wait until every outbox write this page queued has been made (passes may still run)."""
        assert self.page is not None
        page = self.page
        await wait_until(lambda: page.evaluate("() => window.opmantik.stats().pendingWrites === 0"), "pending outbox writes")

    async def stats(self) -> dict[str, Any]:
        assert self.page is not None
        return await self.page.evaluate("() => window.opmantik.stats()")

    async def read_list(self, key: str, page: Page | None = None) -> list[dict[str, Any]]:
        target = page or self.page
        assert target is not None
        if target is self.page and not target.is_closed():
            await self.settled()
        raw = await target.evaluate("(k) => localStorage.getItem(k)", key)
        return json.loads(raw) if raw else []

    async def outbox(self, page: Page | None = None) -> list[dict[str, Any]]:
        return await self.read_list(OUTBOX_KEY, page)

    async def outbox_when(
        self, page: Page, predicate: Callable[[list[dict[str, Any]]], bool], what: str
    ) -> list[dict[str, Any]]:
        """The outbox as another page sees it, once ``predicate`` holds: a closing page's last
        writes reach other renderers asynchronously."""
        seen: list[list[dict[str, Any]]] = []

        async def check() -> bool:
            seen[:] = [await self.outbox(page)]
            return predicate(seen[0])

        await wait_until(check, what)
        return seen[0]

    async def deadletters(self, page: Page | None = None) -> list[dict[str, Any]]:
        return await self.read_list(DEADLETTER_KEY, page)

    async def send(self, category: str, action: str, label: str = "", meta: dict[str, Any] | None = None) -> str:
        assert self.page is not None
        return await self.page.evaluate(
            "([c, a, l, m]) => window.opmantik.send(c, a, l, null, m)", [category, action, label, meta]
        )


@asynccontextmanager
async def tank(
    browser: Browser,
    *,
    source: str | None = None,
    attrs: dict[str, str] | None = None,
    init_script: str | None = None,
    start: datetime = T0,
) -> AsyncIterator[Tank]:
    """Start a site origin and a Sync double, and a context whose clock is paused at ``start``."""
    sync = SyncDouble()
    sync_app = web.Application()
    sync_app.router.add_route("OPTIONS", "/api/sync", sync.preflight)
    sync_app.router.add_post("/api/sync", sync.post)
    sync_runner, sync_port = await _serve(sync_app)
    api = f"http://127.0.0.1:{sync_port}/api/sync"
    all_attrs = {"data-site-id": SITE_ID, "data-api": api, "data-heartbeat-ms": "0", **(attrs or {})}
    site = Site(source if source is not None else load_build(os.environ.get(BUILD_ENV, "reference")).source, all_attrs)
    site_app = web.Application()
    for route in SITE_PAGES:
        site_app.router.add_get(route, site.handler(route))
    site_app.router.add_get("/tracker.js", site.tracker)
    site_runner, site_port = await _serve(site_app)
    context = await browser.new_context()
    try:
        if init_script:
            await context.add_init_script(init_script)
        await context.clock.install(time=start - timedelta(seconds=1))
        await context.clock.pause_at(start)
        yield Tank(context, sync, f"http://127.0.0.1:{site_port}", api)
    finally:
        sync.release()
        await context.close()
        await site_runner.cleanup()
        await sync_runner.cleanup()
