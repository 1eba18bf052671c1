"""A build that patches page builtins after it loaded, or writes the clock's counters, must not steer
the page clock: the in-page Web Lock arbiter, the clock runs (harness/run/pagetime.py) and the
counters they read use what the instrumentation captured before any page script
(``window.__tankBuiltins``, getter-only ``__tankInflight``/``__tankLocks``/…). Each build below
patches only what lies about harness-shaped values; its own data stays intact. Page time is
advanced by the clock runs; nothing waits for a tracker timer in real time."""
from __future__ import annotations

import pytest
from playwright.async_api import Browser

from harness.run import pagetime
from tests.harness.test_local_locks import START, _clocked, _context, _two_tabs, origin  # noqa: F401 - the fixture

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]

# push drops the arbiter's queued requests (own "unabort"): the build's flush would never be granted.
DROPS_LOCK_REQUESTS_JS = """window.log = [];
const push = Array.prototype.push, own = Object.prototype.hasOwnProperty;
Array.prototype.push = function (...items) { return push.apply(this, items.filter((x) => !(x && typeof x === "object" && own.call(x, "unabort")))); };
setTimeout(() => { navigator.locks.request("t.outbox", () => { log.push("flushed@" + Date.now()); }); }, 1000);
setTimeout(() => log.push("later@" + Date.now()), 2000);"""

# push drops a timer error as the clock run lists it; sort puts the due timers last created first.
DROPS_ERRORS_REORDERS_JS = """window.log = [];
const push = Array.prototype.push, sort = Array.prototype.sort, own = Object.prototype.hasOwnProperty;
Array.prototype.push = function (...items) { return push.apply(this, items.filter((x) => !(Array.isArray(x) && x.length === 3 && typeof x[0] === "number" && typeof x[1] === "string"))); };
Array.prototype.sort = function (...a) { const out = sort.apply(this, a); return this.length && this[0] && own.call(this[0], "callAt") ? out.reverse() : out; };
setTimeout(() => { throw new TypeError("bulk timer broke"); }, 1000);
setTimeout(() => log.push("a"), 2000);
setTimeout(() => log.push("b"), 2000);
setTimeout(() => { throw new TypeError("stepped timer broke"); }, 6000);"""

# some always says "nothing changed": an unstamped write of a watched key would go unseen.
HIDES_UNSTAMPED_JS = """Array.prototype.some = function () { return false; };
setTimeout(() => localStorage.setItem("t.watched", "v"), 1000);"""

# The build zeroes the counters while it holds a lock and a grant waits.
WRITES_COUNTERS_JS = """window.tried = [];
setTimeout(() => {
  navigator.locks.request("t.c", () => new Promise(() => {}));
  navigator.locks.request("t.c", () => null);
  for (const k of ["__tankInflight", "__tankLocks", "__tankSends", "__tankStamps", "__tankLockWaits",
                   "__tankLocksHeld", "__tankIdle", "__tankLocalLocks"]) {
    try { window[k] = 0; } catch (e) { tried.push(k + " set"); }
    try { Object.defineProperty(window, k, { value: 0 }); } catch (e) { tried.push(k + " define"); }
  }
  try { window.__tankLockWaits["t.c"] = 0; window.__tankLocksHeld["t.c"] = 0; } catch (e) {}
}, 1000);"""

COUNTERS = ("[window.__tankInflight, window.__tankLocks, window.__tankLockWaits['t.c'], "
            "window.__tankLocksHeld['t.c'], typeof window.__tankIdle, typeof window.__tankLocalLocks]")


async def test_a_build_dropping_lock_requests_from_push_still_gets_its_grant(origin: tuple[Browser, str]) -> None:  # noqa: F811
    browser, url = origin
    context, page = await _clocked(browser, url, DROPS_LOCK_REQUESTS_JS)
    try:
        run = await pagetime.run_bulk(page, START + 5_000, [], budget_ms=300, local_locks=True)
        assert run is not None and (run.why, run.t) == ("done", START + 5_000), run  # was 'held' at +1 s
        assert await page.evaluate("[log, window.__tankLocks]") == [[f"flushed@{START + 1000}", f"later@{START + 2000}"], 0]
    finally:
        await context.close()


async def test_patched_push_and_sort_lose_no_timer_error_and_keep_timer_order(origin: tuple[Browser, str]) -> None:  # noqa: F811
    browser, url = origin
    context, page = await _clocked(browser, url, DROPS_ERRORS_REORDERS_JS)
    try:
        bulk = await pagetime.run_bulk(page, START + 5_000, [], budget_ms=300)
        stepped = await pagetime.run_to(page, START + 9_000)
        assert bulk is not None and stepped is not None
        assert [e[:2] for e in bulk.errors] == [(START + 1000, "TypeError: bulk timer broke")]
        assert [e[:2] for e in stepped.errors] == [(START + 6000, "TypeError: stepped timer broke")]
        assert await page.evaluate("log") == ["a", "b"]  # created first, fired first
    finally:
        await context.close()


async def test_a_patched_some_hides_no_unstamped_write(origin: tuple[Browser, str]) -> None:  # noqa: F811
    browser, url = origin
    context, page = await _clocked(browser, url, HIDES_UNSTAMPED_JS)
    try:
        run = await pagetime.run_bulk(page, START + 5_000, ["t.watched"], budget_ms=300)
        assert run is not None and (run.why, run.t) == ("unstamped", START + 1000), run
    finally:
        await context.close()


async def test_a_build_cannot_write_the_clocks_counters(origin: tuple[Browser, str]) -> None:  # noqa: F811
    browser, url = origin
    context, page = await _clocked(browser, url, WRITES_COUNTERS_JS)
    try:
        run = await pagetime.run_bulk(page, START + 5_000, [], budget_ms=300, local_locks=False)
        # A lock held for good and a grant waiting: the run stops there (zeroed counters let it go on).
        assert run is not None and (run.why, run.t) == ("held", START + 1000), run
        assert await page.evaluate(COUNTERS) == [0, 2, 1, 1, "function", "function"]
        tried = await page.evaluate("tried")
        assert [k for k in tried if k.endswith(" define")] == [k + " define" for k in (
            "__tankInflight", "__tankLocks", "__tankSends", "__tankStamps", "__tankLockWaits",
            "__tankLocksHeld", "__tankIdle", "__tankLocalLocks")]
    finally:
        await context.close()


QUERY_JS = """async () => {
  window.__tankLocalLocks(true);
  navigator.locks.request("t.q", () => 1);
  await new Promise((r) => setTimeout(r, 50));  // the real lock is still held by the other tab
  const s = await navigator.locks.query();
  window.__tankLocalLocks(false);
  const mine = (l) => l.name === "t.q";
  return { held: s.held.filter(mine).length, pending: s.pending.filter(mine).map((l) => typeof l.clientId) };
}"""


async def test_query_lists_a_request_waiting_for_the_real_lock_once(origin: tuple[Browser, str]) -> None:  # noqa: F811
    browser, url = origin
    context = await _context(browser)
    try:
        one, two = await _two_tabs(context, url)
        await two.evaluate("() => { navigator.locks.request('t.q', () => new Promise((r) => { window.free = r; })); }")
        await two.wait_for_function("() => (window.__tankLocksHeld || {})['t.q'] === 1")
        assert await one.evaluate(QUERY_JS) == {"held": 1, "pending": ["string"]}  # was twice, once without an id
        await two.evaluate("() => window.free()")
    finally:
        await context.close()


PROTO_NAME_JS = """async (local) => {
  window.__tankLocalLocks(local);
  let free;
  const held = navigator.locks.request("toString", () => new Promise((r) => { free = r; }));
  while (!free) await new Promise((r) => setTimeout(r, 1));
  const s = await navigator.locks.query();
  free(); await held;
  window.__tankLocalLocks(false);
  return s.held.filter((l) => l.name === "toString").map((l) => typeof l.clientId);
}"""


async def test_query_under_local_arbitration_lists_a_lock_named_like_an_object_property_once(origin: tuple[Browser, str]) -> None:  # noqa: F811
    browser, url = origin
    context = await _context(browser)
    try:
        page = await context.new_page()
        await page.goto(url)
        assert await page.evaluate(PROTO_NAME_JS, False) == ["string"]
        assert await page.evaluate(PROTO_NAME_JS, True) == ["string"]  # was listed twice, once without an id
    finally:
        await context.close()
