"""A build must not move or forge the page time the harness records, nor take the page clock's
timers away from it. Playwright's clock controller lives in the page (``window.__pwClock``): its
timer map, its log and its ``now`` are looked up on the page's own prototypes unless pinned, and
``Date.now`` is the page's to replace. Each build below exploits one of these; the instrumentation
pins what the clock uses and stamps, tags and reports page time with the controller's own ``now``.
Page time is advanced by the clock runs; nothing waits for a tracker timer in real time."""
from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page

from harness.history.pagecall import PageResultError, forget
from harness.history.seal import config_script
from harness.run import pagetime
from harness.world.context import INSTRUMENT_JS
from tests.harness.test_hostile_calls import MAP_ITERATOR_JS, _as_in_a_run
from tests.harness.test_local_locks import START, origin  # noqa: F401 - the fixture

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]

HOUR = 3_600_000

# Date.now runs an hour ahead once the build has loaded: a stamp, a Sync tag or a send report read
# through it would date the write and the send an hour late. String and Response's ok/status lie
# too: a report would carry a forged error text and a 200 for a refused send.
FORGES_DATE_NOW_JS = """window.log = [];
const realNow = Date.now;
Date.now = function now() { return realNow() + %d; };
window.String = function String() { return "forged"; };
Object.defineProperty(Response.prototype, "ok", { configurable: true, get() { return true; } });
Object.defineProperty(Response.prototype, "status", { configurable: true, get() { return 200; } });
setTimeout(() => {
  localStorage.setItem("t.watched", "v1");
  fetch(location.origin + "/sync", { method: "POST", body: "[]" }).then(() => log.push("sent"), () => log.push("failed"));
}, 1000);
setTimeout(() => {
  fetch(location.origin + "/sync", { method: "POST", body: "[]", headers: { "a b": "c" } }).catch(() => log.push("refused"));
}, 2000);""" % HOUR


async def _reporting(browser: Browser, url: str, config: dict[str, Any]) -> tuple[BrowserContext, Page, list[dict[str, Any]]]:
    """A page as in a run whose send reports land in the returned list (MAC stripped, not checked)."""
    reports: list[dict[str, Any]] = []
    context = await browser.new_context()
    await context.clock.install(time=START / 1000)
    await context.clock.pause_at(START / 1000)
    await context.expose_function("__tankReport", lambda text: reports.append(json.loads(text[64:].split("|", 2)[2])))
    await context.add_init_script(config_script(config, b"k" * 32) + "\n;\n" + INSTRUMENT_JS)
    page = await context.new_page()
    await page.goto(url)
    return context, page, reports


async def test_a_replaced_date_now_forges_no_stamp_tag_or_report_time(origin: tuple[Browser, str]) -> None:  # noqa: F811
    browser, url = origin
    config = {"syncUrl": url + "sync", "watchedKeys": ["t.watched"], "context": "c1", "pageTimeTags": True}
    context, page, reports = await _reporting(browser, url, config)
    try:
        await page.evaluate(FORGES_DATE_NOW_JS)
        async with page.expect_request(lambda r: "/sync" in r.url) as sent:
            run = await pagetime.run_bulk(page, START + 5_000, ["t.watched"], budget_ms=300)
        assert run is not None and (run.why, run.t) == ("request", START + 1000), run
        stamp = await page.evaluate("localStorage.getItem('__tank_t')")
        assert stamp.startswith(f"{START + 1000}|"), stamp  # was START + 1000 + an hour
        request = await sent.value
        assert f"_tank_t={START + 1000}" in request.url
        status = (await request.response()).status
        assert status >= 400, status
        run = await pagetime.run_bulk(page, START + 5_000, ["t.watched"], budget_ms=300)
        assert run is not None and run.t == START + 2000, run
        await pagetime.run_bulk(page, START + 5_000, ["t.watched"], budget_ms=300)
        assert await page.evaluate("log") == ["sent", "refused"]
        ends = [(r["t"], r.get("outcome"), r.get("status"), r.get("error", "")[:25]) for r in reports if r["type"] == "end"]
        # Was: an hour later, "ok" with 200, and the error text "forged".
        assert ends == [(START + 1000, "http_error", status, ""), (START + 2000, "network_error", None, "Failed to execute 'fetch'")], ends
        assert [r["t"] for r in reports if r["type"] == "start"] == [START + 1000, START + 2000]
    finally:
        await context.close()


# Map.prototype.set drops what is shaped like a clock timer, and Map.prototype.get hides one (so
# clearTimeout clears nothing): Playwright files and clears the page's timers with them.
PATCHES_MAP_JS = """window.log = [];
const own = Object.prototype.hasOwnProperty, set = Map.prototype.set, get = Map.prototype.get;
const timer = (v) => !!v && typeof v === "object" && own.call(v, "callAt");
Map.prototype.set = function set_(k, v) { return timer(v) && v.delay === 1000 ? this : Reflect.apply(set, this, [k, v]); };
Map.prototype.get = function get_(k) { const v = Reflect.apply(get, this, [k]); return timer(v) ? undefined : v; };
setTimeout(() => log.push("a@" + Date.now()), 1000);
const b = setTimeout(() => log.push("b (cleared)@" + Date.now()), 2000);
setTimeout(() => log.push("c@" + Date.now()), 3000);
clearTimeout(b);"""


@pytest.mark.parametrize("runner", ["bulk", "playwright"])
async def test_patched_map_methods_neither_drop_nor_keep_a_timer(origin: tuple[Browser, str], runner: str) -> None:  # noqa: F811
    browser, url = origin
    context, page = await _as_in_a_run(browser, url, INSTRUMENT_JS)
    try:
        await page.evaluate(PATCHES_MAP_JS)
        if runner == "bulk":
            await pagetime.run_bulk(page, START + 5_000, [], budget_ms=300)
        else:  # Playwright's own run (a scenario's `run` advance): its _takeFirstTimer and delete
            await context.clock.run_for(5_000)
        # Was: a never filed, b fired though cleared.
        assert await page.evaluate("log") == [f"a@{START + 1000}", f"c@{START + 3000}"]
    finally:
        await context.close()


async def test_a_jump_fires_the_timers_a_patched_map_iterator_would_hide(origin: tuple[Browser, str]) -> None:  # noqa: F811
    browser, url = origin
    context, page = await _as_in_a_run(browser, url, INSTRUMENT_JS)
    try:
        await page.evaluate(MAP_ITERATOR_JS)  # it hides the clock's timers from the Map iterator
        await context.clock.fast_forward(5_000)  # Playwright's own jump walks `this._timers.values()`
        assert await page.evaluate("log") == [f"a@{START + 5000}", f"b@{START + 5000}"]  # was [] (detected only)
    finally:
        await context.close()


# The array iterator yields nothing for the clock's log: a new document replaying the logged page
# time would skip it and run on the clock's install time, in real time.
SKIPS_LOG_JS = """(() => {
  const iter = Array.prototype[Symbol.iterator], own = Object.prototype.hasOwnProperty;
  Array.prototype[Symbol.iterator] = function values() {
    return this.length && this[0] && typeof this[0] === "object" && own.call(this[0], "type") && own.call(this[0], "param")
      ? [].values() : Reflect.apply(iter, this, []);
  };
  window.seen = Date.now();
})();"""


async def test_a_patched_array_iterator_skips_no_logged_page_time(origin: tuple[Browser, str]) -> None:  # noqa: F811
    browser, url = origin
    context = await browser.new_context()
    try:
        await context.clock.install(time=START / 1000)
        await context.clock.pause_at(START / 1000)
        await context.add_init_script(INSTRUMENT_JS)
        await context.add_init_script(pagetime.log_script(START + HOUR))  # as the clock logs each advance
        await context.add_init_script(SKIPS_LOG_JS)
        page = await context.new_page()
        await page.goto(url)
        assert await page.evaluate("window.seen") == START + HOUR  # was START: the pause never replayed
    finally:
        await context.close()


# The build moves its own page time an hour ahead in a timer, writes and sends (Date.now, stamps
# and reports would follow), then sets it back: by writing the controller's fields, or by calling
# its methods.
MOVES_CLOCK_JS = {
    "writes _now": """window.log = [];
const c = __pwClock.controller;
setTimeout(() => { c._now.time += %(hour)d; log.push("at " + Date.now()); c._now.time -= %(hour)d; }, 1000);""",
    "calls setSystemTime": """window.log = [];
const c = __pwClock.controller;
setTimeout(() => { const t = Date.now(); c.setSystemTime(t + %(hour)d); log.push("at " + Date.now()); c.setSystemTime(t); }, 1000);""",
}


@pytest.mark.parametrize("case", sorted(MOVES_CLOCK_JS))
@pytest.mark.parametrize("runner", ["bulk", "to"])
async def test_a_build_moving_its_page_time_in_a_timer_is_refused_or_named(origin: tuple[Browser, str], case: str, runner: str) -> None:  # noqa: F811
    browser, url = origin
    context, page = await _as_in_a_run(browser, url, INSTRUMENT_JS)
    try:
        await page.evaluate(MOVES_CLOCK_JS[case] % {"hour": HOUR})
        run = (pagetime.run_bulk(page, START + 5_000, [], budget_ms=300) if runner == "bulk"
               else pagetime.run_to(page, START + 5_000))
        named = r"_now\.time = 1003601000; 2 write\(s\), refused" if case == "writes _now" else r"page time moved 2 time\(s\) during the run"
        with pytest.raises(PageResultError, match=named):  # was: a run that went on, the hour forged
            await run
        # A write of the fields is refused: the page saw no hour pass.
        assert await page.evaluate("log") == [f"at {START + 1000 + (HOUR if case != 'writes _now' else 0)}"]
    finally:
        await context.close()


async def test_page_time_moved_between_runs_is_named_and_a_jump_is_not(origin: tuple[Browser, str]) -> None:  # noqa: F811
    browser, url = origin
    context, page = await _as_in_a_run(browser, url, INSTRUMENT_JS)
    try:
        await page.evaluate("setTimeout(() => {}, 1000); setTimeout(() => {}, 9000)")
        assert (await pagetime.run_to(page, START + 2_000)).t == START + 2_000
        await context.clock.fast_forward(1_000)  # the harness's own jump (ContextSession.run_clock forgets)
        forget(page)
        assert (await pagetime.run_bulk(page, START + 4_000, [], budget_ms=300)).t == START + 4_000
        # As a network answer's callback would, between two runs: an hour ahead and back.
        await page.evaluate("(h) => { const c = __pwClock.controller, t = Date.now(); c.setSystemTime(t + h); c.setSystemTime(t); }", HOUR)
        with pytest.raises(PageResultError, match=r"page time moved 2 time\(s\) between the harness's runs"):
            await pagetime.run_to(page, START + 5_000)
    finally:
        await context.close()


async def test_a_build_putting_its_clock_on_real_time_is_named(origin: tuple[Browser, str]) -> None:  # noqa: F811
    """Playwright reassigns ``_realTime`` itself, so it stays writable: set, every Date.now moves page
    time by the real time since (through the pinned ``_advanceNow``, so it is counted)."""
    browser, url = origin
    context, page = await _as_in_a_run(browser, url, INSTRUMENT_JS)
    try:
        await page.evaluate("""const c = __pwClock.controller;
setTimeout(() => { c._realTime = { startTicks: 0, lastSyncTicks: 0 }; window.seen = Date.now(); c._realTime = undefined; }, 1000);""")
        with pytest.raises(PageResultError, match=r"page time moved 1 time\(s\) during the run"):
            await pagetime.run_bulk(page, START + 5_000, [], budget_ms=300)
        assert await page.evaluate("window.seen") > START + 1000  # the build's own page time did move
    finally:
        await context.close()
