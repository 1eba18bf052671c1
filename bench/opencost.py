"""What opening and closing a context costs, by phase: Playwright messages, page evaluations, CDP
messages between the driver and Chromium, and CPU by process kind (figures, never asserted).

A scenario (default: one visitor opening the home page, then 10 s of page time) runs ``--runs``
times in one world. Every Playwright call the harness sends and every event it receives is counted
by the phase it happened in: ``create`` (``ContextSession.create``), ``new_tab``, ``goto`` (the
tab's first load), ``close`` (``ContextSession.close``), ``rest`` (clock stops, settles, flushes).
With ``--cdp`` the driver logs its CDP traffic (``DEBUG=pw:protocol``) and those messages are
counted by the same phases (the driver writes them as they happen; phases are marked in the same
stream; ``KEEP_LOG=1`` keeps that log). ``--matrix`` runs every bundled scenario once instead.
CPU by phase is exact for phases that run alone; contexts closed side by side each count the
whole tree while they overlap, and a close is read 0.3 s after it returns (a renderer read while
it exits is missed by one reading and counted by the next). The harness's own CPU leaves out the /proc walks that measure it.

What it showed (one context, its observer and one tab; load 9-17): create 0.19-0.21 CPU-s, the
tab 0.08-0.10, its first load 0.10-0.12, close 0.04-0.08; a bare Playwright context with one page
on a data: URL costs 0.15, so two pages are most of it. The observer's first evaluation through
its own CDP session instead of Playwright's evaluate (no utility script in its document) was
within noise.

``--arrivals N`` runs N soak visitors (bench/soak_100_visitors.yaml's actions, no faults) one at a
time and counts each visitor's arrival by step: ``open`` (its tab opened and first load, which
holds ``new_tab`` and ``goto``), ``click`` (tel, WhatsApp, the form: no document), ``nav_click``
(page2 and back home: a click that loads a document). ``--variant`` removes or replaces one part
of the harness's per-document work for an A/B (what it leaves out may change fates; only cost is
read); several variants alternate run by run in one world (``--runs`` rounds), so the host's
speed of the minute weighs on each alike. Variants ``playwright`` and ``playwright_observer`` are
not the harness: the same visitors in plain Playwright (``plain_arrivals``), Chromium's floor.

What ``--arrivals`` showed (load 8-17, CPU-s per visitor): a harness arrival costs 0.80, the same
visitors in plain Playwright 0.83 with a blank observer page and 0.68 without (6 visitors, 2
rounds); a navigating click 0.131 in the harness against 0.136-0.138 plain. Leaving out the tabs'
report channel (CDP session, ``Runtime.enable``, binding), Playwright's clock, the console
subscription or Playwright's navigation waiter (10.4 -> 4.0 messages per navigating click) moved
an arrival by no more than the run-to-run spread (5 visitors, 2 rounds: 0.92 base; 0.91, 0.92,
0.91, 0.91), and 30 extra init scripts per document (the clock's logged times; a one-off
plain-Playwright run, load 15) left the renderers at 0.30. The instrumentation is the one part
that shows: without it 0.86 against 0.92 (-7%), 0.706 against 0.784 (-10%, 6 visitors, 3 rounds),
0.694 against 0.792 (-12%, 2 rounds; renderers 0.298 against 0.349); its stamp writes cost 0.031
(no_stamps 0.761) and its send markers 0.024 (no_markers 0.768), neither in the renderers. A CPU
profile of the tabs (CDP Profiler, 100 us, 6 visitors, whole run) shows its page functions (the
fetch, Web Locks and storage wrappers, the reports) at 1-4 ms each per visitor: together ~20 ms,
not the renderers' 0.05 s. The arrivals make the same Sync requests with and without it (54
and 53.5 per 6 visitors, load 24: 0.860 against 0.760, renderers 0.388 against 0.330): without it
the settle sees no send in flight and asks the page less (a click 3.5 -> 2.1 page evaluations, an
open 1.9 -> 1.2), so its cost is its page code, the settle's waits for the sends it reports,
stamps and markers — what recording needs. The rest of a visitor is Chromium's pages and
documents; of those the harness adds its second page.

``--flags="FLAG FLAG"`` (repeatable; with ``=``, as the value starts with ``--``) adds Chromium launch flags: each set gets its own world (the
browser launched with ``harness.world.browser.LAUNCH_ARGS`` plus the set; ``""`` is the harness's
own flags) and the sets alternate round by round, each running every variant. Renderer processes
seen per run (by the phases' /proc walks: a renderer living through a phase boundary is seen) are
printed beside the CPU, so a process-model flag's effect shows.

    PYTHONPATH=. python bench/opencost.py [--scenario FILE | --matrix | --arrivals N] [--runs N] [--cdp] [--methods]
                                          [--flags="FLAG ..." ...]
                                          [--variant base|no_instrument|no_stamps|no_markers|no_report_channel|no_clock|no_console|load_event|small_viewport|playwright|playwright_observer ...]
"""
from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import dataclasses
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from playwright._impl import connection as pw_connection
from playwright.async_api import Page

from bench.pagetime import _KINDS, adopt_orphans, load, own_cpu_s, tree_cpu_s
from harness.builds import load_build
from harness.contract import site
from harness.contract.adapter import Adapter
from harness.driver.visitors import VisitorArrivals, page_vars
from harness.run import scenario as scenario_mod
from harness.run.scenario import run_scenario
from harness.run.suite import select
from harness.scenario import load_scenario, load_scenarios
from harness.scenario import model as m
from harness.world import browser as browser_mod
from harness.world import context as context_mod
from harness.world.context import ContextSession
from harness.world.world import World, WorldOptions
from server_stub.app import StubServer

ROOT = Path(__file__).resolve().parent.parent
CLOSE_SETTLE_S = 0.3
OPEN_HOME = "name: open_home\ndescription: one visitor opens the home page\njudges: [no_loss]\nsteps:\n  - open: home\n  - advance: 10s\n"


class Phases:
    """The phase now running, and what each phase sent, received and cost."""

    def __init__(self, marker_fd: int | None) -> None:
        self.tag = ""  # the variant running (``--variant``): phases are counted per variant
        self._active: list[str] = []  # phases running now (contexts close side by side), latest last
        self.sent: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
        self.events: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
        self.cpu: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
        self.calls: collections.Counter[str] = collections.Counter()
        self.requests: collections.Counter[str] = collections.Counter()  # Sync requests made in a phase
        self.walks = 0.0  # the harness's CPU spent walking /proc for phases so far
        self._fd = marker_fd

    def _walk(self) -> dict[str, float]:
        h0 = own_cpu_s()
        out = tree_cpu_s()
        self.walks += own_cpu_s() - h0
        return out

    @property
    def now(self) -> str:
        return self._active[-1] if self._active else "rest"

    @contextlib.asynccontextmanager
    async def phase(self, name: str) -> Any:
        name = self.tag + name
        self._active.append(name)
        self.calls[name] += 1
        self._mark(name)
        c0 = self._walk()
        h0, w0 = own_cpu_s(), self.walks  # the walks' own CPU (~10-60 ms each on a busy box), nested
        try:                               # phases' too, is left out of the harness's
            yield
        finally:
            h1, w1 = own_cpu_s(), self.walks
            c1 = self._walk()
            for k, v in c1.items():
                self.cpu[name][k] += v - c0.get(k, 0.0)
            self.cpu[name]["harness"] += (h1 - h0 - (w1 - w0)) - (c1.get("harness", 0.0) - c0.get("harness", 0.0))
            self._active.remove(name)
            self._mark(self.now)

    def _mark(self, name: str) -> None:
        if self._fd is not None:
            os.write(self._fd, f"\n@@phase {name}\n".encode())


def instrument(phases: Phases) -> None:
    conn = pw_connection.Connection
    send, dispatch = conn.send_message_to_server, conn.dispatch

    def counted_send(self: Any, obj: Any, method: str, params: Any, options: dict[str, Any]) -> Any:
        phases.sent[phases.now][f"{obj._type}.{method}"] += 1
        return send(self, obj, method, params, options)

    def counted_dispatch(self: Any, message: dict[str, Any]) -> None:
        if not message.get("id"):
            obj = self._objects.get(message.get("guid") or "")
            kind = message.get("params", {}).get("type") if message.get("method") == "__create__" else None
            phases.events[phases.now][f"{getattr(obj, '_type', '?')}.{message.get('method')}" + (f"({kind})" if kind else "")] += 1
        dispatch(self, message)

    conn.send_message_to_server = counted_send  # type: ignore[method-assign]
    conn.dispatch = counted_dispatch  # type: ignore[method-assign]

    create = ContextSession.create.__func__  # type: ignore[attr-defined]
    ContextSession.create = classmethod(_phase_wrapped(create, phases, "create"))  # type: ignore[assignment,method-assign]
    close = ContextSession.close

    async def counted_close(self: ContextSession, *args: Any, **kwargs: Any) -> None:
        async with phases.phase("close"):
            await close(self, *args, **kwargs)
            await asyncio.sleep(CLOSE_SETTLE_S)  # the renderers' exit, read while they die, came out negative

    ContextSession.close = counted_close  # type: ignore[method-assign]
    tabs: set[int] = set()  # pages made by new_tab whose first load is still to come
    new_tab, goto = ContextSession.new_tab, Page.goto

    async def counted_new_tab(self: ContextSession, tab: str) -> Page:
        async with phases.phase("new_tab"):
            page = await new_tab(self, tab)
        tabs.add(id(page))
        return page

    async def counted_goto(self: Page, *args: Any, **kwargs: Any) -> Any:
        if id(self) not in tabs:
            return await goto(self, *args, **kwargs)
        tabs.discard(id(self))
        async with phases.phase("goto"):
            return await goto(self, *args, **kwargs)

    ContextSession.new_tab = counted_new_tab  # type: ignore[method-assign]
    Page.goto = counted_goto  # type: ignore[method-assign]


NAVIGATING = {n for n, t in site.CLICK_TARGETS.items() if t.navigates_to}
ARRIVAL_PHASES = ["arrival", "open", "new_tab", "goto", "click", "nav_click", "create", "close", "rest"]


def arrivals_scenario(count: int) -> str:
    """The soak file's visitors (count ``count``) with no fault: one advance after they arrived."""
    return (f"name: arrivals\ndescription: {count} soak visitors arrive\njudges: [no_loss]\nseed: 11\n"
            f"visitors: {{count: {count}, seed: 11, actions: [view, tel, whatsapp, page2, form]}}\n"
            "steps:\n  - advance: 1s\n")


def instrument_arrivals(phases: Phases) -> None:
    """Visitors arrive one at a time (phases do not overlap), each step counted in its phase."""
    arrive = scenario_mod.arrive

    def wrapped(kind: str, handler: Any) -> Any:
        async def counted(run: Any, step: Any) -> None:
            name = "nav_click" if kind == "click" and step.target in NAVIGATING else kind
            async with phases.phase(name):
                await handler(run, step)
        return counted

    async def one_by_one(run: Any, arrivals: VisitorArrivals, handlers: Any) -> None:
        steps = {**handlers, m.Open: wrapped("open", handlers[m.Open]), m.Click: wrapped("click", handlers[m.Click])}
        before = run.stub.journal.received
        async with phases.phase("arrival"):
            await arrive(run, dataclasses.replace(arrivals, parallel=1), steps)
        phases.requests[phases.tag + "arrival"] += run.stub.journal.received - before

    scenario_mod.arrive = one_by_one  # type: ignore[assignment]


async def _no_report_channel(self: ContextSession, page: Page, tab: str) -> None:
    return None


class _LoadAfterNavigation:
    """``expect_navigation(wait_until="load")`` without Playwright's waiter: the main frame's next
    navigation, then its load event, heard from events the driver sends anyway."""

    def __init__(self, page: Page, timeout_s: float = 30.0) -> None:
        self._page, self._timeout = page, timeout_s

    async def __aenter__(self) -> None:
        loop = asyncio.get_running_loop()
        self._done: asyncio.Future[None] = loop.create_future()
        self._navigated = False
        main = self._page.main_frame

        def on_nav(frame: Any) -> None:
            if frame == main:
                self._navigated = True

        def on_load(_: Any) -> None:
            if self._navigated and not self._done.done():
                self._done.set_result(None)

        self._on_nav, self._on_load = on_nav, on_load
        self._page.on("framenavigated", on_nav)
        self._page.on("load", on_load)

    async def __aexit__(self, *exc: Any) -> None:
        try:
            if exc[0] is None:
                await asyncio.wait_for(self._done, self._timeout)
        finally:
            self._page.remove_listener("framenavigated", self._on_nav)
            self._page.remove_listener("load", self._on_load)


# The instrumentation's writes the observer reads: a stamp before each watched write (its page
# time; without it the observer's own time is used) and a marker before each send (its place
# among the writes; without it a send is numbered on arrival).
STORAGE_WRITES = {
    "no_stamps": ('apply(origSet, area, ["__tank_t", value]);\n        return true;', "return false;"),
    "no_markers": ('try { apply(setItem, store, ["__tank_sync", v]); return v; }', "try { return undefined; }"),
}
PLAIN = ("playwright", "playwright_observer")  # not the harness: the same visitors in plain Playwright


async def plain_arrivals(world: World, count: int, observer: bool, phases: Phases) -> None:
    """``count`` visitors doing what a soak visitor does, in plain Playwright against the same site
    (the reference build): a context with Playwright's clock, an observer page when ``observer``
    (a blank document on the site, nothing watching), one tab — home, tel, WhatsApp, page 2 and
    back, the form, with Playwright's clicks. Chromium's floor under a harness arrival."""
    stub = StubServer(tracker_source=load_build("reference").source, site_id="plain", page_vars=page_vars(11))
    await stub.start()
    try:
        async with phases.phase("arrival"):
            for _ in range(count):
                context = await world.browser.new_context(timezone_id="UTC", locale="tr-TR", service_workers="block")
                await context.clock.install(time=1_700_000_000)
                await context.clock.pause_at(1_700_000_001)
                if observer:
                    await (await context.new_page()).goto(f"{stub.site_url}/__tank/observer")
                async with phases.phase("open"):
                    page = await context.new_page()
                    await page.goto(f"{stub.site_url}/?gclid=x", wait_until="load")
                for target in ("tel", "whatsapp", "page2_link", "home_link", "form"):
                    t = site.CLICK_TARGETS[target]
                    async with phases.phase("nav_click" if t.navigates_to else "click"):
                        if t.navigates_to:
                            async with page.expect_navigation(wait_until="load"):
                                await page.click(t.selector)
                        else:
                            await page.click(t.selector)
                await context.close()
    finally:
        await stub.stop()


def variant(name: str) -> contextlib.AbstractContextManager[None]:
    """Patch one part of the harness's per-document work out (or replace it) while the block runs."""
    from playwright.async_api import BrowserContext
    from playwright.async_api._generated import Clock
    patches: list[tuple[Any, str, Any]] = []
    if name == "no_instrument":  # no instrumentation script in any document (nothing is recorded)
        patches.append((context_mod, "INSTRUMENT_JS", ""))
    elif name in ("no_stamps", "no_markers"):  # the instrumentation without its storage writes for the observer
        old, new = STORAGE_WRITES[name]
        assert old in context_mod.INSTRUMENT_JS, f"{name}: instrument.js changed, the variant needs updating"
        patches.append((context_mod, "INSTRUMENT_JS", context_mod.INSTRUMENT_JS.replace(old, new)))
    elif name == "no_report_channel":  # no CDP session, Runtime.enable or binding per tab
        patches.append((ContextSession, "_report_channel", _no_report_channel))
    elif name == "no_clock":  # no Playwright clock in any document (timers run in real time)
        async def nothing(self: Any, *a: Any, **k: Any) -> None:
            return None
        patches += [(Clock, "install", nothing), (Clock, "pause_at", nothing)]
    elif name == "no_console":  # no console/weberror listener on the context (no subscription)
        on = BrowserContext.on

        def on_but_console(self: Any, event: str, f: Any) -> Any:
            return self if event in ("console", "weberror") else on(self, event, f)
        patches.append((BrowserContext, "on", on_but_console))
    elif name == "load_event":  # a navigating click waits for the main frame's navigation and load itself
        patches.append((Page, "expect_navigation", lambda self, **kw: _LoadAfterNavigation(self)))
    elif name == "small_viewport":  # every context's pages drawn at 640x360 instead of Playwright's 1280x720
        from playwright.async_api import Browser
        new_context = Browser.new_context

        async def smaller(self: Any, **kw: Any) -> Any:
            return await new_context(self, **{"viewport": {"width": 640, "height": 360}, **kw})
        patches.append((Browser, "new_context", smaller))
    elif name not in ("base", *PLAIN):
        raise SystemExit(f"unknown variant {name!r}")

    @contextlib.contextmanager
    def applied() -> Any:
        saved = [(owner, attr, getattr(owner, attr)) for owner, attr, _ in patches]
        for owner, attr, value in patches:
            setattr(owner, attr, value)
        try:
            yield
        finally:
            for owner, attr, value in saved:
                setattr(owner, attr, value)
    return applied()


def _phase_wrapped(func: Any, phases: Phases, name: str) -> Any:
    async def wrapped(*args: Any, **kwargs: Any) -> Any:
        async with phases.phase(name):
            return await func(*args, **kwargs)
    return wrapped


def _renderers_seen() -> int:
    """Renderer processes the /proc walks have met so far (bench.pagetime keeps each one's kind)."""
    return sum(1 for kind in _KINDS.values() if kind == "renderers")


def cdp_counts(log: Path) -> dict[str, collections.Counter[str]]:
    """CDP messages the driver logged, by phase marker: ``SEND ►`` to Chromium, ``◀ RECV`` back."""
    out: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    now = "rest"
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("@@phase "):
            now = line.split()[1]
        elif "SEND ►" in line or "◀ RECV" in line:
            direction = "send" if "SEND ►" in line else "recv"
            method = line.split('"method":"', 1)[1].split('"', 1)[0] if '"method":"' in line else "(reply)"
            out[now][f"{direction} {method}"] += 1
    return out


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenario", type=Path, help="scenario file (default: open the home page, advance 10 s)")
    ap.add_argument("--matrix", action="store_true", help="every bundled scenario once instead (memory ingest, no soak)")
    ap.add_argument("--arrivals", type=int, metavar="N", help="N soak visitors arriving one at a time, by step")
    ap.add_argument("--variant", action="append", default=[], help="a part left out or replaced (repeat: alternated)")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--cdp", action="store_true", help="count the driver's CDP messages too")
    ap.add_argument("--methods", action="store_true", help="list the counts by method")
    ap.add_argument("--flags", action="append", default=[], metavar="'FLAG ...'",
                    help="extra Chromium launch flags, one set per use ('' = none); sets alternate round by round")
    args = ap.parse_args()
    adopt_orphans()
    path = args.scenario
    if path is None:
        path = Path(tempfile.mkdtemp(prefix="tank-opencost-")) / "open_home.yaml"
        path.write_text(arrivals_scenario(args.arrivals) if args.arrivals else OPEN_HOME)
    scenarios = [load_scenario(path)]
    if args.matrix:
        scenarios = [sc for sc in select(load_scenarios([ROOT / "scenarios"]), [], [], "memory") if "soak" not in sc.tags]
    variants = args.variant or ["base"]
    for name in variants:
        variant(name)  # an unknown name stops here, before the world starts
    log = Path(tempfile.mkstemp(prefix="tank-opencost-", suffix=".log")[1]) if args.cdp else None
    saved_fd = None
    if log is not None:  # the driver inherits stderr: its protocol log and our phase marks share one file
        os.environ["DEBUG"] = "pw:protocol"
        saved_fd = os.dup(2)
        fd = os.open(log, os.O_WRONLY | os.O_APPEND)
        os.dup2(fd, 2)
        os.close(fd)
    phases = Phases(2 if log is not None else None)
    instrument(phases)
    if args.arrivals:
        instrument_arrivals(phases)
    build = load_build("reference")
    verdicts: dict[str, list[str]] = collections.defaultdict(list)
    steps: collections.Counter[str] = collections.Counter()
    requests: collections.Counter[str] = collections.Counter()
    total: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    flagsets = [tuple(f.split()) for f in args.flags] or [()]
    base_args = list(browser_mod.LAUNCH_ARGS)
    renderers: collections.Counter[str] = collections.Counter()  # renderer processes seen, per label
    per_run: dict[str, list[float]] = collections.defaultdict(list)  # each run's CPU-s, per label
    labels: list[str] = []
    t0, l0 = time.monotonic(), load()
    try:
        for round_ in range(1 if args.matrix else args.runs):
            for flags in flagsets:  # one world per flag set, alternated: each meets the host's speed alike
                browser_mod.LAUNCH_ARGS[:] = base_args + list(flags)
                try:
                    async with World(WorldOptions(ingest="memory")) as world:
                        tree_cpu_s()  # meet the browser's zygotes now: they are not a variant's renderers
                        # the first variant in a fresh world pays the driver's warm-up: the order turns each round
                        for name in (variants if round_ % 2 == 0 else variants[::-1]):
                            label = name if len(flagsets) == 1 else f"{name} {' '.join(flags) or '(harness flags)'}"
                            if label not in labels:
                                labels.append(label)
                            phases.tag = "" if len(variants) * len(flagsets) == 1 else f"{label}:"
                            seen0 = _renderers_seen()
                            if name in PLAIN:
                                c0, w0 = tree_cpu_s(), phases.walks
                                await plain_arrivals(world, args.arrivals or 1, name == "playwright_observer", phases)
                                c1 = tree_cpu_s()
                                for k, v in c1.items():
                                    total[label][k] += v - c0.get(k, 0.0)
                                total[label]["harness"] -= phases.walks - w0
                                per_run[label].append(sum(c1.values()) - sum(c0.values()) - (phases.walks - w0))
                                verdicts[label].append("-")
                                renderers[label] += _renderers_seen() - seen0
                                continue
                            with variant(name):
                                for scenario in scenarios:
                                    c0, w0 = tree_cpu_s(), phases.walks
                                    r = await run_scenario(world, scenario, build, Adapter())
                                    c1 = tree_cpu_s()
                                    for k, v in c1.items():
                                        total[label][k] += v - c0.get(k, 0.0)
                                    total[label]["harness"] -= phases.walks - w0  # the phases' /proc walks
                                    per_run[label].append(sum(c1.values()) - sum(c0.values()) - (phases.walks - w0))
                                    verdicts[label].append("PASS" if r.verdict.passed and not r.error else f"FAIL {r.error}")
                                    steps[label] += int(r.history.meta.get("clock_steps") or 0)
                                    requests[label] += len(r.history.journal)
                            renderers[label] += _renderers_seen() - seen0
                finally:
                    browser_mod.LAUNCH_ARGS[:] = base_args
    finally:
        if saved_fd is not None:
            os.dup2(saved_fd, 2)
    print(f"opencost  {'matrix' if args.matrix else scenarios[0].name}  wall {time.monotonic() - t0:.1f} s  ({l0} at start, {load()} at end)")
    cdp = cdp_counts(log) if log is not None else {}
    names = ARRIVAL_PHASES if args.arrivals else ["create", "new_tab", "goto", "close", "rest"]
    for vname in labels:
        n = len(verdicts[vname])
        tag = "" if len(labels) == 1 else f"{vname}:"
        print(f"opencost  [{vname}] x{n}  verdicts {dict(collections.Counter(verdicts[vname]))}  clock stops {steps[vname] / n:.1f} "
              f"per run  Sync requests {requests[vname] / n:.1f} per run  renderer processes seen {renderers[vname] / n:.1f} per run")
        runs = sorted(per_run[vname])
        print(f"opencost  [{vname}] a run: cpu {sum(total[vname].values()) / n:.3f} s, median {runs[len(runs) // 2]:.3f} "
              f"[{runs[0]:.3f}-{runs[-1]:.3f}] ("
              + " ".join(f"{k} {v / n:.3f}" for k, v in sorted(total[vname].items())) + ")")
        for name in names:
            key = tag + name
            calls = phases.calls[key] or n
            sent, events = phases.sent[key], phases.events[key]
            evals = sum(v for k, v in sent.items() if "evaluate" in k.lower())
            cpu = phases.cpu[key]
            line = (f"opencost  [{vname}] {name:9} {phases.calls[key]:4} calls; per call ({calls / n:.2f} per run): sent {sum(sent.values()) / calls:6.1f}  "
                    f"events {sum(events.values()) / calls:6.1f}  evaluations {evals / calls:4.1f}")
            if cdp:
                line += (f"  cdp send {sum(v for k, v in cdp[key].items() if k.startswith('send')) / calls:6.1f}"
                         f" recv {sum(v for k, v in cdp[key].items() if k.startswith('recv')) / calls:6.1f}")
            if phases.requests[key]:
                line += f"  Sync requests {phases.requests[key] / calls:.1f}"
            if name != "rest":
                line += (f"  cpu {sum(cpu.values()) / calls:.3f} s (" + " ".join(f"{k} {v / calls:.3f}" for k, v in sorted(cpu.items())) + ")")
            print(line)
            if args.methods:
                for k, v in sorted({**{f"> {k}": v for k, v in sent.items()}, **{f"< {k}": v for k, v in events.items()},
                                    **{f"cdp {k}": v for k, v in cdp.get(key, {}).items()}}.items(), key=lambda kv: -kv[1]):
                    print(f"opencost      {v / calls:7.2f}  {k}")
    if log is not None and not os.environ.get("KEEP_LOG"):
        log.unlink()
    elif log is not None:
        print(f"opencost  log kept: {log}")


if __name__ == "__main__":
    asyncio.run(main())
