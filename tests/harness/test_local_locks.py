"""In-page Web Lock arbitration during a bulk run (instrument.js ``localLocks``) answers a page as
the browser's lock manager does, and another page of the origin still sees the locks held.

The same script of lock calls runs once with the browser's manager and once with the page's own
(``__tankLocalLocks(true)``, as the bulk runner sets it); the logs of what the page observed must
be equal: grant order, callback arguments, results and errors, ifAvailable, steal, signal,
query(), and where a grant falls relative to the requester's own microtasks. No page timers: the
script waits only on its own promises."""
from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from harness.run import pagetime
from harness.world.browser import find_browser
from harness.world.context import INSTRUMENT_JS

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]

# Each step logs what the page sees; ``local`` switches the page's own arbitration on for the run.
SCRIPT = """async (local) => {
  const on = local ? window.__tankLocalLocks(true) : false;
  const L = navigator.locks, log = [];
  const gate = () => { let open; const p = new Promise((r) => { open = r; }); return [p, open]; };
  const note = (p, tag) => p.then((v) => log.push(tag + " ok " + String(v)),
                                  (e) => log.push(tag + " err " + (e && e.name ? e.name : String(e))));
  const snap = async () => {
    const q = await L.query();
    const mine = (l) => l.name.startsWith("t.");
    const ids = new Set([...q.held, ...q.pending].filter(mine).map((l) => l.clientId));
    log.push("query held " + q.held.filter(mine).map((l) => l.name + ":" + l.mode).join(",")
             + " pending " + q.pending.filter(mine).map((l) => l.name + ":" + l.mode).join(",")
             + " clients " + ids.size);
  };
  // FIFO, the lock object, results, a throwing callback, ifAvailable while held, a task per grant.
  const [holdA, openA] = gate(), [inA, enteredA] = gate();
  const a = L.request("t.one", async (lock) => {
    log.push("A " + lock.name + " " + lock.mode + " " + (lock instanceof Lock) + " " + JSON.stringify(lock)
             + " " + Object.keys(lock).length + " " + String(lock));
    enteredA(); await holdA; return "a"; });
  Promise.resolve().then(() => log.push("microtask after A's request"));
  await inA;
  const b = L.request("t.one", () => { log.push("B"); return "b"; });
  const c = L.request("t.one", { mode: "exclusive" }, () => { log.push("C"); throw new TypeError("c"); });
  const d = L.request("t.one", { ifAvailable: true }, (lock) => { log.push("D " + lock); return "d"; });
  await note(d, "D");
  await snap();
  openA();
  await Promise.all([note(a, "A"), note(b, "B"), note(c, "C")]);
  const e = L.request("t.one", { ifAvailable: true }, (lock) => { log.push("E " + !!lock); return Promise.resolve("e"); });
  await note(e, "E");
  // steal: the holder's request rejects at once, its callback runs on; the stealer goes first.
  const [holdF, openF] = gate(), [inF, enteredF] = gate();
  const f = L.request("t.two", async () => { log.push("F in"); enteredF(); await holdF; log.push("F out"); return "f"; });
  note(f, "F");
  await inF;
  const g = L.request("t.two", () => { log.push("G queued"); return "g"; });
  const h = L.request("t.two", { steal: true }, () => { log.push("H stole"); return "h"; });
  await note(h, "H");
  await note(g, "G");
  openF();
  await f.catch(() => null);
  // signal: aborted before, aborted while queued (reason kept), never aborted.
  const [holdI, openI] = gate(), [inI, enteredI] = gate();
  const i = L.request("t.three", async () => { enteredI(); await holdI; return "i"; });
  await inI;
  const pre = new AbortController(); pre.abort();
  await note(L.request("t.three", { signal: pre.signal }, () => "never"), "aborted before");
  const mid = new AbortController();
  const j = L.request("t.three", { signal: mid.signal }, () => "never");
  const kept = new AbortController();
  const k = L.request("t.three", { signal: kept.signal }, () => { log.push("K"); return "k"; });
  await snap();
  mid.abort("why");
  await note(j, "J");
  openI();
  await Promise.all([note(i, "I"), note(k, "K")]);
  kept.abort();
  // Requests the browser refuses (these go to it: the log shows the same errors).
  const refuse = async (tag, f) => { try { await note(f(), tag); } catch (err) { log.push(tag + " threw " + err.name); } };
  await refuse("dash", () => L.request("-t", () => 1));
  await refuse("steal+ifAvailable", () => L.request("t.four", { steal: true, ifAvailable: true }, () => 1));
  await refuse("no callback", () => L.request("t.four"));
  await refuse("steal shared", () => L.request("t.four", { steal: true, mode: "shared" }, () => 1));
  // A request made inside a callback for another name, and nested for the same name (queued).
  let same;
  const n = L.request("t.five", async () => {
    const inner = L.request("t.six", () => "six");
    same = L.request("t.five", () => { log.push("five again"); return "5"; });  // waits for this one to release
    log.push("inner " + await inner);
    return "five";
  });
  await note(n, "N");
  await note(same, "same");
  await snap();
  window.__tankLocalLocks(false);
  return { on, log };
}"""


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def origin() -> AsyncIterator[tuple[Browser, str]]:
    """A browser and a blank page's origin, for the whole module."""
    async def blank(request: web.Request) -> web.Response:
        return web.Response(text="<!doctype html><title>t</title>", content_type="text/html")

    app = web.Application()
    app.router.add_get("/", blank)
    async with TestServer(app) as server, async_playwright() as pw:
        browser = await pw.chromium.launch(**find_browser(pw).launch_kwargs())
        try:
            yield browser, str(server.make_url("/"))
        finally:
            await browser.close()


# Counts the requests that reach the browser's lock manager (installed before the instrumentation).
COUNT_JS = """(() => {
  const real = LockManager.prototype.request;
  window.__realLockCalls = 0;
  LockManager.prototype.request = function (...args) { window.__realLockCalls++; return real.apply(this, args); };
})();"""


async def _context(browser: Browser) -> BrowserContext:
    context = await browser.new_context()
    await context.add_init_script(COUNT_JS + "\n;\n" + INSTRUMENT_JS)
    return context


async def _two_tabs(context: BrowserContext, url: str) -> tuple[Page, Page]:
    """Two tabs of the origin, loaded: the lock manager's other client."""
    one, two = await context.new_page(), await context.new_page()
    await one.goto(url)
    await two.goto(url)
    return one, two


# A steal settles two things at once: the holder's request rejects and the stealer's callback runs.
# Chromium's own manager logs them in either order (its two answers take separate IPC paths: 3-6 of
# 30 runs put "H stole" first), so only the order within that pair is free.
STEAL_PAIR = {"H stole", "F err AbortError"}


def _steal_pair_sorted(log: list[str]) -> list[str]:
    out = list(log)
    for i in range(len(out) - 1):
        if {out[i], out[i + 1]} == STEAL_PAIR:
            out[i:i + 2] = sorted(out[i:i + 2])
    return out


async def test_a_page_sees_the_same_lock_semantics_with_its_own_arbitration(origin: tuple[Browser, str]) -> None:
    browser, url = origin
    context = await _context(browser)
    try:
        page = await context.new_page()
        await page.goto(url)
        real = await page.evaluate(SCRIPT, False)
        through_browser = await page.evaluate("window.__realLockCalls")
        await page.reload()
        local = await page.evaluate(SCRIPT, True)
        assert local["on"] is True and real["on"] is False
        assert _steal_pair_sorted(local["log"]) == _steal_pair_sorted(real["log"])
        # One real request per lock name (five), plus the four the browser refuses: the rest were
        # arbitrated in the page.
        assert (through_browser, await page.evaluate("window.__realLockCalls")) == (19, 9)
        assert "H stole" in real["log"] and "F err AbortError" in real["log"]  # the script reached what it tests
        assert await page.evaluate("[window.__tankLocks, JSON.stringify(window.__tankLocksHeld), "
                                   "JSON.stringify(window.__tankLockWaits)]") == [0, "{}", "{}"]
    finally:
        await context.close()


HOLD_JS = """(name) => {
  window.__tankLocalLocks(true);
  window.held = new Promise((r) => { window.letGo = r; });
  window.got = navigator.locks.request(name, () => window.held);
  window.__tankLocalLocks(false);  // the bulk run ends while the callback still holds the lock
  return window.got.then(() => "released");
}"""

OTHER_JS = """async (name) => {
  const free = await navigator.locks.request(name, { ifAvailable: true }, (lock) => lock !== null);
  const q = await navigator.locks.query();
  return [free, q.held.filter((l) => l.name === name).length];
}"""


async def test_another_tab_sees_a_lock_the_page_holds_during_and_after_a_bulk_run(origin: tuple[Browser, str]) -> None:
    browser, url = origin
    context = await _context(browser)
    try:
        one, two = await _two_tabs(context, url)
        await one.evaluate("() => { window.__tankLocalLocks(true); "
                           "window.during = navigator.locks.request('t.x', () => new Promise((r) => { window.endX = r; })); }")
        await one.wait_for_function("() => (window.__tankLocksHeld || {})['t.x'] === 1")
        assert await two.evaluate(OTHER_JS, "t.x") == [False, 1]
        await one.evaluate("() => { window.endX(); return window.during.then(() => window.__tankLocalLocks(false)); }")
        assert await two.evaluate(OTHER_JS, "t.x") == [True, 0]  # handed back when the run ended

        await one.evaluate("(name) => { window.done = null; (" + HOLD_JS + ")(name).then((v) => { window.done = v; }); }", "t.y")
        await one.wait_for_function("() => (window.__tankLocksHeld || {})['t.y'] === 1")
        assert await two.evaluate(OTHER_JS, "t.y") == [False, 1]  # still held after the run ended
        # The other tab queues first, then the page asks again (outside a run): browser order holds.
        await two.evaluate("() => { window.order = []; navigator.locks.request('t.y', () => { "
                           "window.order.push('two'); return new Promise((r) => { window.endTwo = r; }); }); }")
        await one.evaluate("() => { window.order = []; window.again = navigator.locks.request('t.y', () => { window.order.push('one'); }); }")
        await one.evaluate("() => window.letGo()")
        await one.wait_for_function("() => window.done === 'released'")
        await two.wait_for_function("() => window.order.length === 1")
        assert await one.evaluate("() => window.order") == []  # behind the other tab, as the browser queued them
        await two.evaluate("() => window.endTwo()")
        await one.evaluate("() => window.again")
        assert await one.evaluate("() => window.order") == ["one"]
    finally:
        await context.close()


START = 1_000_000_000  # page time, ms since epoch

# A timer takes the lock exclusively, then asks for it in shared mode (the browser decides that one):
# the browser grants it once the exclusive holder releases, so the run goes on to its target.
SHARED_AFTER_EXCLUSIVE_JS = """window.log = [];
setTimeout(() => {
  navigator.locks.request("t.rw", async () => { log.push("write@" + Date.now()); await null; });
  navigator.locks.request("t.rw", { mode: "shared" }, () => { log.push("read@" + Date.now()); });
}, 1000);
setTimeout(() => log.push("later@" + Date.now()), 2000);"""

# A builtin the build patched throws inside the bulk runner once the build has taken its lock.
THROWS_IN_RUNNER_JS = """window.log = []; let armed = false;
const some = Array.prototype.some;
Array.prototype.some = function (...a) { if (armed && this.length === 0) throw new Error("patched"); return some.apply(this, a); };
setTimeout(() => navigator.locks.request("t.out", () => { log.push("flushed"); armed = true; }), 1000);"""


async def _clocked(browser: Browser, url: str, build: str) -> tuple[BrowserContext, Page]:
    context = await _context(browser)
    await context.clock.install(time=START / 1000)  # seconds
    await context.clock.pause_at(START / 1000)
    page = await context.new_page()
    await page.goto(url)
    await page.evaluate(build)
    return context, page


async def test_a_shared_request_after_a_local_grant_is_granted_when_the_holder_releases(origin: tuple[Browser, str]) -> None:
    browser, url = origin
    for local in (False, True):
        context, page = await _clocked(browser, url, SHARED_AFTER_EXCLUSIVE_JS)
        try:
            # A budget far above a grant's round trip: a request left waiting for the run's end hits it.
            run = await pagetime.run_bulk(page, START + 5_000, [], budget_ms=5_000, local_locks=local)
            assert run is not None and (run.why, run.t) == ("done", START + 5_000), local
            assert await page.evaluate("log") == [f"write@{START + 1000}", f"read@{START + 1000}", f"later@{START + 2000}"]
        finally:
            await context.close()


async def test_a_run_that_throws_still_hands_the_page_locks_back(origin: tuple[Browser, str]) -> None:
    browser, url = origin
    context, page = await _clocked(browser, url, THROWS_IN_RUNNER_JS)
    try:
        await pagetime.run_bulk(page, START + 5_000, [], budget_ms=5_000, local_locks=True)
        assert await page.evaluate("log") == ["flushed"]
        two = await context.new_page()
        await two.goto(url)
        assert await two.evaluate(OTHER_JS, "t.out") == [True, 0]
        assert await page.evaluate("window.__tankLocalLocks('fired')") is False  # arbitration is off
    finally:
        await context.close()
