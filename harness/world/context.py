"""One browser context of a scenario: its clock, its storage channel, its tabs.

A context is one visitor's browser profile: tabs in it share one localStorage (one outbox).
Its storage channel records every write the tabs make: an observer page opened first
(js/observer.js), or — for a generated visitor's context that only ever has its one tab
(``channel="tab"``, chosen before the run: ``harness.driver.visitors.tab_channel_contexts``) —
that tab's own CDP ``DOMStorage`` events (harness/history/tabwatch.py). The instrumentation
(js/instrument.js) is installed in every page before any page script runs.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import shutil
import tempfile
import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, BrowserContext, CDPSession, ConsoleMessage, Page, Playwright, WebError, Worker
from playwright.async_api import Error as PlaywrightError

from harness.contract.adapter import Adapter
from harness.history.pagecall import (
    PROBE_READ_JS,
    PageResultError,
    TamperedPageError,
    answered,
    attach,
    call_page,
    clock_threw,
    evaluate,
    raise_if_tampered,
    require,
    returning_json,
    taking_json,
    tampered,
)
from harness.history.pagecall import forget as forget_moves
from harness.history.recorder import Recorder
from harness.history.seal import MAC_CHARS, ReportGate, config_script
from harness.history.sendorder import SendOrder, is_marker
from harness.history.tabcall import CallTimeout, bounded, follow
from harness.history.tabwatch import EVENTS as STORAGE_EVENTS
from harness.history.tabwatch import SiteWatch, TabWatch, read_entries, storage_id
from harness.world.browser import BrowserChoice
from server_stub.sync_app import PAGE_TIME_PARAM

JS_DIR = Path(__file__).resolve().parent.parent / "history" / "js"
INSTRUMENT_JS = (JS_DIR / "instrument.js").read_text()
OBSERVER_JS = (JS_DIR / "observer.js").read_text()
SYNC_KEY = "__tank_sync"
# The flush sentinel's write, declared once: the flush writes it alone (write_sentinel) or folded
# into a click's locate (driver/pointer.py). Whether storage took it; a full or refused storage: false.
WRITE_SENTINEL_JS = "(k, v) => { try { localStorage.setItem(k, v); return true; } catch (e) { return false; } }"
FILLER_PREFIX = "__tank_filler_"

# Private browsing in some browsers: any localStorage access throws. Never on the observer page.
PRIVATE_MODE_JS = """
(() => {
  if (location.pathname === "/__tank/observer") return;
  try {
    Object.defineProperty(window, "localStorage", { configurable: true,
      get() { throw new DOMException("The operation is insecure.", "SecurityError"); } });
  } catch (e) {}
})();
"""

# One round trip per page per clock step: how much async work is open, and the next due timer
# (page time, ms; null: none; -1: Playwright's clock internals are not readable).
# The next timer is found with the instrumentation's captured Map.prototype.forEach (FIRST_TIMER_JS).
PROBE_JS = """() => {""" + PROBE_READ_JS + """
  const c = clockOf();
  return [(window.__tankInflight || 0) + (window.__tankLocks || 0), dueOf(c)];
}"""

# The same, with sends in flight and pending Web Locks apart: the clock compares sends with held
# requests. Also lock requests waiting for their grant and locks held (instrument.js).
# With ``waitMs`` > 0, while more sends are in flight than ``held`` (the fault places hold that many
# of this context's requests) or a lock grant is on its way, the page first waits (real time, its
# own 1 ms timers, no round trip to the harness) until its sends in flight, locks pending or lock
# waits change, or ``waitMs`` passed: a request on its way is then one round trip instead of one
# every few ms. The answer is read at a task boundary after the change, as a fresh probe would be.
# Its waits are the captured Promise's (``own``), its answer ``bare``: a build's Promise, ``then``
# or ``Object.prototype.then`` neither steers nor holds it (pagecall.BUILTINS_JS); its argument is
# read by index, not through the page's array iterator.
PROBE_DETAIL_JS = """async (arg) => {""" + PROBE_READ_JS + """
  const waitMs = arg[0], held = arg[1];
  const c = clockOf();
  const e = c && c._embedder;
  const waits = () => {
    let n = 0;
    const w = window.__tankLockWaits || {};
    for (const k in w) n += +w[k] || 0;
    return n;
  };
  const mark = () => (window.__tankInflight || 0) + "|" + (window.__tankLocks || 0) + "|" + waits();
  const travelling = () => (window.__tankInflight || 0) > held || waits() > 0;
  if (waitMs > 0 && travelling() && e && typeof e.setTimeout === "function" && typeof e.performanceNow === "function") {
    const first = mark(), end = e.performanceNow() + waitMs;
    while (mark() === first && e.performanceNow() < end) await own(new B.Promise((r) => e.setTimeout(r, 1)));
  }
  return bare(probeRead(c));
}"""
# A popup's reports made before its channel was attached wait in the page (js/instrument.js).
DRAIN_REPORTS_JS = "typeof window.__tankReportsWaiting === 'function' && window.__tankReportsWaiting(), 0"
PROBE_CALL = returning_json(PROBE_JS)  # what is evaluated: JSON text (harness/history/pagecall.py)
PROBE_DETAIL_CALL = returning_json(PROBE_DETAIL_JS, is_async=True)

# After a jump (Playwright's ``fast_forward``) no timer is due before the page's time: Playwright
# moves every overdue one to the target and fires it. One still overdue was skipped — Playwright's
# clock finds its timers through the page's Map iterator (``_firstTimer``, ``_innerFastForwardTo``),
# which a build can patch, and the harness cannot run that clock on captured builtins.
OVERDUE_JS = """() => {""" + PROBE_READ_JS + """
  const c = clockOf();
  if (!c) return 0;
  let n = 0;
  B.apply(B.mapForEach, c._timers, [(t) => { if (t.callAt < c._now.ticks) n++; }]);
  return n;
}"""
OVERDUE_CALL = returning_json(OVERDUE_JS)


def on_cdp_event(cdp: CDPSession, method: str, handler: Callable[[dict[str, Any]], None]) -> None:
    """Call ``handler(params)`` for each ``method`` event of ``cdp``: every write batch of the observer
    and every send report is one. Registered on the session's implementation object: Playwright's
    public ``on`` wraps a handler so that each call reads its signature again (``inspect.signature``)
    and maps every argument to API objects — about 5% of the harness's CPU at one event per report —
    while a CDP event's params is a plain dict with nothing to map."""
    impl = getattr(cdp, "_impl_obj", None)
    (impl if impl is not None and callable(getattr(impl, "on", None)) else cdp).on(method, handler)


async def check_jump(page: Page) -> None:
    """``PageResultError`` when Playwright's jump left due timers unfired on ``page`` (a build that
    patched what its clock iterates with), naming what the build replaced."""
    ok, overdue = await call_page(page, OVERDUE_CALL, None, "the page clock's jump")
    if ok and overdue:
        names = await tampered(page)
        raise PageResultError(f"the page clock's jump: Playwright's clock passed {int(overdue)} due timer(s) without "
                              "firing them" + (f": the build replaced {', '.join(names)} (its clock finds due timers "
                                               "through the page's Map iterator)" if names else ""))

WRITE_SENTINEL_CALL = taking_json("([k, v]) => (" + WRITE_SENTINEL_JS + ")(k, v)")  # over the tab's channel


def flush_token(n: int) -> str:
    """The ``n``-th flush token of a context: ordered for a reader, unguessable for a page (a build
    writing the next token itself would end a flush before its own writes arrived)."""
    return f"{n:08d}-{secrets.token_hex(8)}"


async def write_sentinel(page: Page, token: str) -> bool | None:
    """Write flush ``token`` in ``page``: whether storage took it, None when the page is navigating or
    gone. A build that broke what the call runs on (eval, …) makes it an error naming that (a flush
    skipped in silence would let a step's op be recorded before the writes that preceded it)."""
    try:
        return bool(await evaluate(page, WRITE_SENTINEL_CALL, json.dumps([SYNC_KEY, token])))
    except Exception as exc:  # noqa: BLE001 - navigating, closing or crashed
        await raise_if_tampered(page, exc, "the flush before a step")
        return None


STAMP_KEY = "__tank_t"  # the writing page's time, written just before each watched write (instrument.js)

READ_KEYS_JS = "(keys) => keys.map((k) => localStorage.getItem(k))"
READ_S = 5.0  # a tab channel's storage read: past this the tab is taken as stuck and an observer page reads

# The observer's start in one round trip: the keys it watches, its recorder, the flush key, the
# stamp key (it exists before any quota fill, so restamping, same length, never needs room), then
# the first read of every watched key.
OBSERVER_START_JS = ("([keys, syncKey, stampKey]) => {\n  window.__tankWatchedKeys = keys;\n" + OBSERVER_JS
                     + "\n  try { localStorage.setItem(syncKey, '00000000'); } catch (e) {}"
                     + "\n  try { localStorage.setItem(stampKey, '0000000000000'); } catch (e) {}"
                     + "\n  return (" + READ_KEYS_JS + ")(keys);\n}")

FILL_JS = """(prefix) => {
  let i = 0, size = 512 * 1024;
  const chunk = "x".repeat(size);
  while (size >= 1) {
    try { localStorage.setItem(prefix + i, chunk.slice(0, size)); i++; }
    catch (e) { size = Math.floor(size / 2); }
  }
  return i;
}"""


@dataclass
class ContextSession:
    """A live browser context with its observer and named tabs."""

    name: str
    context: BrowserContext
    observer: Page
    recorder: Recorder
    adapter: Adapter
    site_url: str
    profile_dir: Path | None = None  # set for persistent contexts (browser restart)
    tabs: dict[str, Page] = field(default_factory=dict)
    offline: bool = False
    storage_mode: str = "normal"
    warnings: list[str] = field(default_factory=list)  # surfaced in the report's notes
    _page_names: dict[int, str] = field(default_factory=dict)
    trace_path: Path | None = None  # where the context's Playwright trace is written when it closes
    _sync_counter: int = 0
    _flush_waiters: dict[str, asyncio.Future[None]] = field(default_factory=dict)  # flush tokens awaited
    gate: ReportGate = field(default_factory=ReportGate)  # opens sealed reports, counts forged ones
    # Prefixes a tab's name as the harness hands it to its page (``window.__tankTab``): the
    # instrumentation takes only a name carrying it, so a build cannot name the writer of its writes.
    tab_key: str = field(default_factory=lambda: secrets.token_hex(16))
    sends: SendOrder = field(init=False)  # numbers each send report at its marker's place
    _channels: set[asyncio.Task[None]] = field(default_factory=set)  # report channels of popups being set up
    channel: str = "observer"  # how storage writes are recorded: "observer" (a page) or "tab" (tabwatch.py)
    watch: TabWatch | None = None  # the tab channel's event handling
    _watch_cdp: Any = None  # the CDP session of the tab whose DOMStorage events record (the first tab)
    _watch_page: Page | None = None
    _sites: SiteWatch | None = None  # the sites the tab channel's tab went through (a note if another)
    direct_calls: bool = True  # the harness's page calls go over each tab's own CDP session (local browsers)
    workers: list[str] = field(default_factory=list)  # dedicated workers its pages started: "tab: url"

    def __post_init__(self) -> None:
        self.sends = SendOrder(self.recorder, self.name)

    # -- creation -----------------------------------------------------------------------
    @classmethod
    async def create(cls, *, name: str, pw: Playwright, browser: Browser | None, choice: BrowserChoice,
                     recorder: Recorder, adapter: Adapter, site_url: str, sync_url: str, now_ms: int,
                     persistent: bool = False, profile_dir: Path | None = None,
                     storage_mode: str = "normal", seed: int = 1, generation: int = 0,
                     trace_dir: Path | None = None, page_time_tags: bool = True,
                     channel: str = "observer") -> "ContextSession":
        """Open a context with the clock paused at ``now_ms`` and its observer watching — or, with
        ``channel="tab"`` (a fresh, not persistent context: its storage starts empty), no observer:
        its first tab's ``DOMStorage`` events record.

        ``seed`` (the scenario's) and ``generation`` (how often a context of this name was opened
        before in the run) seed its pages' randomness, together with tab name and load number.
        """
        options: dict[str, Any] = {"timezone_id": "UTC", "locale": "tr-TR", "service_workers": "block"}
        if persistent and choice.remote:
            raise RuntimeError(f"restart_browser needs a local Chromium: a persistent profile cannot be opened "
                               f"through {choice.endpoint}")
        if persistent:
            profile_dir = profile_dir or Path(tempfile.mkdtemp(prefix=f"tank-profile-{name}-"))
            context = await pw.chromium.launch_persistent_context(str(profile_dir), **choice.launch_kwargs(), **options)
        else:
            assert browser is not None
            context = await browser.new_context(**options)
        session = cls(name, context, None, recorder, adapter, site_url, profile_dir)  # type: ignore[arg-type]
        try:
            session.direct_calls = not choice.remote  # a remote browser's pages keep Playwright's evaluation
            if trace_dir is not None:  # --trace: every action of the context's pages, for show-trace
                session.trace_path = trace_dir / f"trace-{name}-{generation}.zip"
                await context.tracing.start(title=f"{name} #{generation}", screenshots=True, snapshots=True)
            recorder.sync_marks.pop(name, None)  # a restarted context counts its flush tokens from 1 again
            await context.clock.install(time=(now_ms - 1000) / 1000)
            await context.clock.pause_at(now_ms / 1000)
            config = {"syncUrl": sync_url, "seed": seed, "context": name, "generation": generation,
                      "watchedKeys": adapter.watched_keys(), "outboxKey": adapter.outbox_key,
                      "pageTimeTags": page_time_tags, "stampWall": channel == "tab", "tabKey": session.tab_key}
            # One init script, in the order they must run (config, instrumentation, private mode):
            # every call here is paid once per visitor.
            scripts = [config_script(config, session.gate.key), INSTRUMENT_JS]
            if storage_mode == "private":
                scripts.append(PRIVATE_MODE_JS)
            await context.add_init_script("\n;\n".join(scripts))
            session.storage_mode = storage_mode
            context.on("console", session._on_console)
            context.on("weberror", session._on_web_error)
            for stale in list(context.pages):  # a persistent context opens with a blank tab
                await stale.close()
            if channel == "tab":
                if persistent:
                    raise ValueError(f"context {name}: the tab storage channel needs a fresh context (a persistent "
                                     "profile starts with storage its tab's events never showed)")
                session.channel = channel
                session.watch = TabWatch(_origin(site_url), frozenset(adapter.watched_keys()), session._on_tab_sync,
                                         session._on_tab_value, session._on_tab_cleared)
                return session
            await session._start_observer(now_ms)
            return session
        except BaseException:
            # Chromium is up but the context is not: nobody else holds it, so it is closed here, and
            # its profile folder (the harness's own temporary one) removed with it.
            await asyncio.shield(session.close())
            raise

    async def _start_observer(self, now_ms: int) -> None:
        """Open the observer page and record what the watched keys hold as it starts watching."""
        self.observer = await self.context.new_page()
        # Only the observer page gets the storage channel: a raw CDP binding on its target alone
        # (no reply, no promise to resolve in the page: the cheapest way out of a renderer).
        cdp = await self.context.new_cdp_session(self.observer)
        on_cdp_event(cdp, "Runtime.bindingCalled", self._on_storage_call)
        await cdp.send("Runtime.enable")
        await cdp.send("Runtime.addBinding", {"name": "__tankStorage"})
        await self.observer.goto(f"{self.site_url}/__tank/observer")
        keys = self.adapter.watched_keys()
        values = await self.observer.evaluate(OBSERVER_START_JS, [keys, SYNC_KEY, STAMP_KEY])
        self._record_reads(keys, values, now_ms, "snapshot")

    # -- bindings -----------------------------------------------------------------------
    def page_name(self, page: Page | None) -> str:
        if page is None:
            return "?"
        return self._page_names.get(id(page), "?")

    async def _report_channel(self, page: Page, tab: str, popup: bool = False) -> None:
        """The tab's send reports: a raw CDP binding on a CDP session of its own (one one-way event
        per report; a Playwright binding cost five messages: the call, its object made and disposed,
        the answer and its reply). Added before the tab loads anything, it is on window before any
        init script of every document the tab loads (measured: first load, navigation, reload; Chromium adds it as
        each document's context is made); the instrumentation captures it and removes it from
        window. Runtime must be enabled for it. A popup (``popup``) may have run its first scripts
        before: their reports waited in the page (js/instrument.js) and are let go here.

        The same session carries the harness's calls into the tab (clock runs, probes:
        harness/history/tabcall.py), following its top document's main world from the ``Runtime``
        events it gets anyway."""
        cdp = await self.context.new_cdp_session(page)
        on_cdp_event(cdp, "Runtime.bindingCalled", lambda params: self._on_report_call(tab, params))
        tab_calls = follow(cdp, on_cdp_event) if self.direct_calls else None
        calls = [cdp.send("Runtime.enable"), cdp.send("Runtime.addBinding", {"name": "__tankReport"})]
        if tab_calls is not None:
            calls.append(cdp.send("Target.getTargetInfo"))
        if self.watch is not None and self._watch_cdp is None and not popup:
            # The tab channel: this first tab's session alone records (it sees every write of the
            # origin in the context); enabled before the tab loads anything, as its send reports.
            self._watch_cdp, self._watch_page = cdp, page
            self._sites = SiteWatch(self.name)
            page.on("framenavigated", lambda frame: self._on_tab_navigated(page, frame))
            for method in STORAGE_EVENTS:
                on_cdp_event(cdp, method, lambda params, method=method: self._on_tab_storage(method, params))
            calls.append(cdp.send("DOMStorage.enable"))
        answers = await asyncio.gather(*calls)
        if tab_calls is not None:
            tab_calls.bind(answers[2])
            attach(page, tab_calls)
        if popup:  # what its document reported before the channel existed waits in the page: let it go
            await cdp.send("Runtime.evaluate", {"expression": DRAIN_REPORTS_JS})

    def _on_popup(self, page: Page) -> None:
        """A page a tab opened itself: its channel comes once the harness hears of it — in time
        while the popup still loads its document, else its reports before it show as a gap
        (js/instrument.js)."""
        page.on("worker", lambda w: self._on_worker(page, w))
        task = asyncio.ensure_future(self._report_channel(page, self.page_name(page), popup=True))
        self._channels.add(task)
        task.add_done_callback(lambda t: (self._channels.discard(t), t.cancelled() or t.exception()))

    def _on_report_call(self, tab: str, params: dict[str, Any]) -> None:
        """``Runtime.bindingCalled`` on a tab's CDP session: "mac" + "load|n|json"."""
        if params.get("name") != "__tankReport":
            return
        payload = params.get("payload")
        text = payload if isinstance(payload, str) else ""
        record = self.gate.open(text[MAC_CHARS:] if text else None, text[:MAC_CHARS])
        if record is not None:
            self.sends.report(tab, record)

    def _on_storage_call(self, params: dict[str, Any]) -> None:
        """``Runtime.bindingCalled`` on the observer's CDP session (no other page has the binding)."""
        if params.get("name") == "__tankStorage":
            self._take_storage(params.get("payload"))

    def _take_storage(self, message: Any) -> None:
        """A batch of the observer's messages; anything else counts as forged."""
        try:  # observer.js sends its messages in order, batched, as JSON text
            batch = json.loads(message) if isinstance(message, str) else None
        except ValueError:
            batch = None
        if not isinstance(batch, list) or not all(isinstance(m, dict) for m in batch):
            self.gate.forged += 1
            return
        if self.observer is not None:  # a page that sends is not stalled: the watchdog need not ping it
            answered(self.observer)
        self._take_messages(batch)

    def _on_tab_storage(self, method: str, params: Any) -> None:
        """A ``DOMStorage`` event of the tab channel's session (called from the driver connection's
        event dispatch: nothing may escape into it)."""
        assert self.watch is not None
        try:
            self.watch.on_event(method, params)
        except (KeyError, TypeError, ValueError):
            self.gate.forged += 1

    def _on_tab_navigated(self, page: Page, frame: Any) -> None:
        """A navigation of the tab channel's tab: its top document's URL, for the site it is on."""
        if self._sites is not None and frame == page.main_frame:
            self._sites.navigated(frame.url, self.recorder.now_in(self.name))

    def _on_tab_sync(self, value: str | None, w: float) -> None:
        if self._watch_page is not None:  # its renderer applied a write: not stalled
            answered(self._watch_page)
        self._take_messages([{"sync": value, "w": w}])

    def _on_tab_cleared(self, w: float) -> None:
        url = _url(self._watch_page)
        self._take_messages([{"key": k, "url": url, "cleared": True, "w": w}
                             for k in self.adapter.watched_keys()])

    def _on_tab_value(self, key: str, raw: str | None, stamp: str | None, w: float) -> None:
        if self._watch_page is not None:
            answered(self._watch_page)
        self.recorder.on_value(self.name, key, raw, stamp, _url(self._watch_page), w, self.gate)

    def _take_messages(self, batch: list[dict[str, Any]]) -> None:
        """Storage messages in order (the observer's, or the tab channel's in the same form)."""
        for msg in batch:
            if is_marker(msg.get("sync")):  # where a send started among the writes (sendorder.py)
                self.sends.marker(msg["sync"])
                continue
            try:  # called from the driver connection's event dispatch: nothing may escape into it
                self.recorder.on_storage(self.name, msg, self.gate)
            except (KeyError, TypeError, ValueError):
                self.gate.forged += 1
        waiter = self._flush_waiters.get(self.recorder.sync_marks.get(self.name, ""))
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def notes(self) -> list[str]:
        """Warnings plus what the reporting channels refused, and the workers its pages started."""
        order = self.sends.note()
        workers = [f"context {self.name}: its pages started {len(self.workers)} dedicated worker(s) "
                   f"({', '.join(self.workers[:3])}{' …' if len(self.workers) > 3 else ''}): a worker's timers "
                   "run in real time, not on the page clock, and its requests are not instrumented (the "
                   "server's journal alone sees them)"] if self.workers else []
        sites = self._sites.note() if self._sites is not None else None
        return [*self.warnings, *([sites] if sites else []), *self.gate.notes(self.name), *([order] if order else []),
                *workers]

    def _on_worker(self, page: Page, worker: Worker) -> None:
        """A dedicated worker a page started (Playwright attaches to every one: nothing the page can
        hide): a build that times or sends from a worker is judged on what the page side shows."""
        url = worker.url
        self.workers.append(f"{self.page_name(page)}: {url[:60] + '…' if len(url) > 60 else url}")

    # -- page console and errors ----------------------------------------------------------
    def _message_page(self, page: Page | None) -> str | None:
        """The tab a message belongs to; ``None`` for the harness's own observer page."""
        if page is not None and page is self.observer:
            return None
        return self.page_name(page)

    def _on_console(self, msg: ConsoleMessage) -> None:
        tab = self._message_page(msg.page)
        if tab is None:
            return
        loc = msg.location or {}
        source = f"{loc.get('url')}:{loc.get('lineNumber')}:{loc.get('columnNumber')}" if loc.get("url") else None
        self.recorder.on_page_message(self.name, tab, "console", msg.type, msg.text, page_url=_url(msg.page),
                                      source=source, t_page=message_time(loc.get("url"), self.recorder.now_in(self.name)))

    def _on_web_error(self, error: WebError) -> None:
        exc = error.error
        text = f"{exc.name}: {exc.message}" if exc.name else exc.message
        self.recorder.on_page_message(self.name, self._message_page(error.page) or "observer", "pageerror", "error",
                                      text, page_url=_url(error.page), stack=exc.stack)

    def _on_crash(self, tab: str, page: Page) -> None:
        self.recorder.on_page_message(self.name, tab, "crash", "error", "the page's renderer crashed",
                                      page_url=_url(page))

    # -- tabs ---------------------------------------------------------------------------
    async def new_tab(self, tab: str) -> Page:
        page = await self.context.new_page()
        await asyncio.gather(page.add_init_script(f"window.__tankTab = {json.dumps(self.tab_key + ':' + tab)};"),  # seeds its randomness
                             self._report_channel(page, tab))
        self.tabs[tab] = page
        self._page_names[id(page)] = tab
        page.on("close", lambda p: self._forget(tab, p))
        page.on("crash", lambda p: self._on_crash(tab, p))
        page.on("popup", self._on_popup)
        page.on("worker", lambda w: self._on_worker(page, w))
        return page

    def _forget(self, tab: str, page: Page) -> None:
        if self.tabs.get(tab) is page:
            del self.tabs[tab]

    def live_tabs(self) -> list[Page]:
        return [p for p in self.tabs.values() if not p.is_closed()]

    # -- storage ------------------------------------------------------------------------
    def _writer_page(self, what: str) -> Page:
        """The observer page, for the harness's own writes (the observer gets no event for them);
        a tab-channel context has none: no step acts on its storage (``tab_channel_contexts``)."""
        if self.channel == "tab" or self.observer is None:
            raise RuntimeError(f"context {self.name} records through its tab (no observer page): {what} "
                               "cannot act on its storage")
        return self.observer

    async def read_key(self, key: str) -> str | None:
        return (await self._read_values([key]))[0]

    async def write_key(self, key: str, raw: str) -> None:
        """Write from the observer page: the observer gets no event for its own write."""
        await self._writer_page("writing a key").evaluate("([k, v]) => localStorage.setItem(k, v)", [key, raw])

    async def snapshot(self, t_page: int, kind: str = "snapshot") -> None:
        """Read every watched key (in one round trip) and record what the channel did not see."""
        keys = self.adapter.watched_keys()
        self._record_reads(keys, await self._read_values(keys), t_page, kind)
        self.sends.release()

    async def _read_values(self, keys: list[str]) -> list[str | None]:
        """The values of ``keys`` in the context's storage, read where no build script can change
        the answer: the observer page (it runs no build), or the tab channel's CDP
        ``DOMStorage.getDOMStorageItems`` (answered by the browser's storage instrumentation, not by
        page JavaScript). A tab that is gone or does not answer within ``READ_S`` (a stuck renderer)
        is read through an observer page opened for it then."""
        if self.observer is None and self._watch_page is not None and not self._watch_page.is_closed():
            try:
                answer = await asyncio.wait_for(
                    self._watch_cdp.send("DOMStorage.getDOMStorageItems", {"storageId": storage_id(_origin(self.site_url))}),
                    READ_S)
                return read_entries(answer, keys)
            except (asyncio.TimeoutError, PlaywrightError, ValueError) as exc:
                self.warnings.append(f"context {self.name}: its tab did not give its storage ({describe_read(exc)}); "
                                     "read through an observer page opened for it")
        if self.observer is None:
            self.observer = await self.context.new_page()  # a reader only: it records nothing
            await self.observer.goto(f"{self.site_url}/__tank/observer")
        return await self.observer.evaluate(READ_KEYS_JS, keys)

    def _record_reads(self, keys: list[str], values: list[str | None], t_page: int, kind: str) -> None:
        for key, value in zip(keys, values, strict=True):
            self.recorder.on_read(self.name, key, value, t_page, kind)

    async def fill_storage(self) -> int:
        """Fill localStorage to its quota with harness-owned filler keys."""
        return int(await self._writer_page("filling storage").evaluate(FILL_JS, FILLER_PREFIX))

    async def clear_filler(self) -> None:
        await self._writer_page("clearing storage").evaluate(
            "(p) => { for (const k of Object.keys(localStorage)) if (k.startsWith(p)) localStorage.removeItem(k); }",
            FILLER_PREFIX,
        )

    async def flush(self, timeout_s: float = 2.0, via: Page | None = None,
                    write: Callable[[str], Awaitable[bool | None]] | None = None) -> None:
        """Make sure every write the tabs made so far has reached the recorder.

        ``write(token)`` writes tab ``via``'s sentinel in a page call the step makes anyway (a
        click's locate: ``pointer.locate_marking``) and says whether it wrote (None: it failed, the
        ordinary write is made).

        Each live tab writes a sentinel value; storage events from one writer arrive in order,
        so once the observer reports the sentinel, that tab's earlier writes are in (and the
        markers of its sends: a send report still waiting for one is numbered then).
        """
        waiting = self.sends.waiting()
        try:
            for page in self.live_tabs():
                self._sync_counter += 1
                token = flush_token(self._sync_counter)
                wrote = await write(token) if write is not None and page is via else None
                if wrote is None:  # the ordinary write (also when the folded call failed)
                    wrote = await write_sentinel(page, token)
                    if wrote is None:  # page navigating or crashed: nothing to flush there
                        continue
                answered(page)
                if not wrote:
                    continue
                await self._confirmed(token, timeout_s)
        finally:  # a failed flush too: its reports are numbered here, not later at the close
            self.sends.release(waiting)

    async def _confirmed(self, token: str, timeout_s: float) -> None:
        """Wait until the observer has reported flush ``token`` (woken by its report, not polled:
        every op of every visitor flushes)."""
        if self.recorder.sync_marks.get(self.name) == token:
            return
        arrived = asyncio.get_running_loop().create_future()
        self._flush_waiters[token] = arrived
        try:
            await asyncio.wait_for(arrived, timeout_s)
        except asyncio.TimeoutError:
            self.warnings.append(f"context {self.name}: the {self.channel} channel did not confirm a flush within "
                                 f"{timeout_s:.0f} s; 'pending before' an op may miss late writes")
        finally:
            self._flush_waiters.pop(token, None)

    # -- time ---------------------------------------------------------------------------
    async def run_clock(self, ms: int, mode: str = "run") -> None:
        """Move this context's page clock; a page timer that throws is a page error, not a harness error.

        Playwright's fake clock fires every due timer, reaches the target, then rethrows the
        first exception a timer raised (the others of that step are not reported). The error is
        stamped with the step's end: the clock steps to the next due timer, so that is when it fired.
        An exception of the clock itself (it runs on the page's builtins: a build that broke one it
        uses) reads the same; it is told apart by the text of the timers' own (``_timer_threw``)."""
        try:
            await bounded(self.context.clock.fast_forward(ms) if mode == "jump" else self.context.clock.run_for(ms))
        except CallTimeout as exc:  # the clock awaits a task between timers: a build can keep it from coming
            raise await self._clock_failed(f"the page clock's {mode}", str(exc)) from exc
        except PlaywrightError as exc:
            prefix = next((p for p in ("Clock.run_for: ", "Clock.fast_forward: ") if exc.message.startswith(p)), None)
            if prefix is None:
                raise
            text, _, stack = exc.message[len(prefix):].partition("\n")
            tab = await self._timer_threw(text)
            if tab is None:
                raise await self._clock_failed(f"the page clock's {mode}", f"Playwright's clock failed outside the "
                                               f"page's timers ({text[:160]})") from exc
            self.recorder.on_page_message(self.name, tab, "pageerror", "error", text, stack=stack or None,
                                          page_url=_url(self.tabs.get(tab)), t_page=self.recorder.clock() + ms)
        for page in self.live_tabs():
            forget_moves(page)  # Playwright moved page time: the next clock run starts from there
            if mode == "jump":
                await check_jump(page)

    async def _timer_threw(self, text: str) -> str | None:
        """The tab whose timer threw ``text`` in the clock's last jump or run ("?": it cannot say which),
        or None when no timer threw it and a tab's build replaced builtins the instrumentation watches:
        the clock failed on them. With nothing replaced the exception stays the page's (a timer of a
        child frame, which the tabs' top documents do not see)."""
        live = [(name, page) for name, page in self.tabs.items() if not page.is_closed()]
        seen = [(name, await clock_threw(page)) for name, page in live]
        threw = [name for name, t in seen if t is not None and text in (t[0], t[1].split("\n", 1)[0])]
        if threw:
            return threw[0] if len(threw) == 1 else "?"
        for _, page in live:
            if await tampered(page):
                return None
        return live[0][0] if len(live) == 1 else "?"  # the clock does not say which page threw

    async def _clock_failed(self, what: str, failure: str) -> PageResultError:
        """The error for a clock that failed on builtins a tab's build replaced (named)."""
        for page in self.live_tabs():
            names = await tampered(page)
            if names:
                return TamperedPageError(f"{what}: {failure}: the build replaced {', '.join(names)} — Playwright's clock "
                                         "runs on the page's own builtins, so this page's timers cannot be run")
        return PageResultError(f"{what}: {failure}")

    async def probe_detail(self, wait_ms: int = 0, held: int = 0) -> tuple[int, int, int | None, int]:
        """(sends in flight, Web Locks pending, next due timer, grants on their way) over this
        context's tabs; due -1: unknown. Grants on their way: lock requests waiting for a name no
        tab of the context holds (nothing of the build's blocks them: the grant is coming).
        ``wait_ms``: a tab with more sends in flight than ``held`` (what the fault places hold of
        this context's requests) or a lock grant on its way answers once its open work changed, or
        after that much real time."""
        results = await asyncio.gather(*(_probe_detail(p, wait_ms, held) for p in self.live_tabs()))
        dues = [r[2] for r in results if r[2] is not None]
        due = -1 if -1 in dues else (min(dues) if dues else None)
        held = {name for r in results for name in r[4]}
        granting = sum(n for r in results for name, n in r[3].items() if name not in held)
        return sum(r[0] for r in results), sum(r[1] for r in results), due, granting

    async def probe(self) -> tuple[int, int | None]:
        """(open async work, next due timer) over this context's tabs; due -1: unknown."""
        results = await asyncio.gather(*(_probe_page(p) for p in self.live_tabs()))
        return merge_probes(results)

    # -- the end ------------------------------------------------------------------------
    async def close(self, remove_profile: bool = True) -> None:
        self.sends.release()
        if self.trace_path is not None:  # --trace: written before the context goes
            with contextlib.suppress(Exception):  # the browser may be gone (restart, crash): no trace then
                self.trace_path.parent.mkdir(parents=True, exist_ok=True)
                await self.context.tracing.stop(path=str(self.trace_path))
        try:
            await self.context.close()
        except Exception:  # noqa: BLE001 - already gone (browser crashed or stopped)
            pass
        if remove_profile and self.profile_dir is not None:
            shutil.rmtree(self.profile_dir, ignore_errors=True)


def message_time(url: str | None, now: int) -> int:
    """The page time of a console message: ``now``, or — for a message about a request whose URL
    carries the page time it was sent at (a failed load of a Sync URL) — at least that time: during a
    bulk clock run ``now`` lags the page, and page time stands still while a request is open."""
    try:
        raw = urllib.parse.parse_qs(urllib.parse.urlsplit(url or "").query).get(PAGE_TIME_PARAM, [""])[-1]
    except ValueError:
        return now
    return max(now, int(raw)) if raw.isdigit() and len(raw) <= 16 else now


def _origin(url: str) -> str:
    """``scheme://host:port`` of ``url``: the origin whose localStorage is the context's outbox."""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def describe_read(exc: BaseException) -> str:
    return "no answer within %.0f s" % READ_S if isinstance(exc, asyncio.TimeoutError) else f"{type(exc).__name__}: {exc}"


def _url(page: Page | None) -> str | None:
    try:
        return page.url if page is not None else None
    except Exception:  # noqa: BLE001 - a closed page
        return None


async def _probe_page(page: Page) -> tuple[int, int | None]:
    ok, answer = await call_page(page, PROBE_CALL, None, "a clock probe")
    if not ok:  # navigating, closing or crashed: nothing to wait for
        return 0, None
    busy, due = require(answer, "a clock probe", length=2)
    return int(busy), (None if due is None else int(due))


async def _probe_detail(page: Page, wait_ms: int = 0,
                        held: int = 0) -> tuple[int, int, int | None, dict[str, int], dict[str, int]]:
    """(sends in flight, Web Locks pending, next due timer, lock names waiting, lock names held)."""
    ok, answer = await call_page(page, PROBE_DETAIL_CALL, [wait_ms, held], "a clock probe")
    if not ok:  # navigating, closing or crashed: nothing to wait for
        return 0, 0, None, {}, {}
    inflight, locks, due, waits, held_locks = require(answer, "a clock probe", length=5)
    return int(inflight), int(locks), (None if due is None else int(due)), dict(waits or {}), dict(held_locks or {})


def merge_probes(results: "list[tuple[int, int | None]] | tuple[tuple[int, int | None], ...]") -> tuple[int, int | None]:
    """Sum the open work; the earliest due timer wins, and one unknown (-1) makes it unknown."""
    busy, best = 0, None
    for b, due in results:
        busy += b
        if due == -1 or best == -1:
            best = -1
        elif due is not None:
            best = due if best is None else min(best, due)
    return busy, best
