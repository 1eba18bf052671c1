"""A build that patches how functions are called, what a string starts with, what counts as an
AbortSignal, who hears an abort, or puts index setters on Array.prototype, must not steer the
instrumentation's hooks, the in-page Web Lock arbiter or the clock runs: they call what they
captured before any page script through a captured ``Reflect.apply``, check a signal by its brand,
and fill their lists with defined slots (``B.put``). Each build below lies only about what is
shaped like the harness's; its own data stays intact. Page time is advanced by the clock runs;
nothing waits for a tracker timer in real time.

Each harness call here is made both ways a run makes it (``route``): over the tab's own CDP session
(harness/history/tabcall.py, every tab of a run in a local browser) and through Playwright's
evaluation (a page without that session)."""
from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import Browser, BrowserContext, Page

from harness.contract.adapter import Adapter
from harness.history import pagecall, tabcall
from harness.history.pagecall import PageResultError, returning_json
from harness.history.recorder import Recorder
from harness.history.seal import config_script
from harness.history.tabcall import follow
from harness.run import pagetime, watchdog
from harness.world import context as ctx
from harness.world.context import INSTRUMENT_JS
from tests.harness.test_local_locks import START, _clocked, _context, origin  # noqa: F401 - the fixture

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]

ROUTES = ("cdp", "playwright")


async def over(page: Page, route: str) -> Page:
    """``page`` with its harness calls made over ``route``: "cdp" attaches a CDP session of its own as
    ContextSession does for a tab; "playwright" leaves it without one."""
    if route == "cdp":
        cdp = await page.context.new_cdp_session(page)
        calls = follow(cdp)
        await cdp.send("Runtime.enable")
        calls.bind(await cdp.send("Target.getTargetInfo"))
        pagecall.attach(page, calls)
        assert pagecall.channel_of(page) is calls
    return page


async def _as_in_a_run(browser: Browser, url: str, init: str) -> tuple[BrowserContext, Page]:
    """A loaded page whose clock is installed before the instrumentation, as ContextSession.create
    does (``_clocked`` installs it after)."""
    context = await browser.new_context()
    await context.clock.install(time=START / 1000)
    await context.clock.pause_at(START / 1000)
    await context.add_init_script(init)
    page = await context.new_page()
    await page.goto(url)
    return context, page


# Function.prototype.call/apply drop the stamp's write and cut the harness's tags off a Sync fetch.
PATCHES_CALLS_JS = """window.log = [];
const applyR = Reflect.apply;
const lie = (fn, args) => {  // the native setItem and fetch: the ones the page's own names do not point at
  if (fn.name === "setItem" && fn !== Storage.prototype.setItem && args[0] === "__tank_t") return true;  // the stamp never lands
  if (fn.name === "fetch" && fn !== window.fetch && typeof args[0] === "string") {
    args[0] = args[0].replace(/[?&]_tank_[^&]*/g, "");  // the transport and context tags are cut
  }
  return false;
};
Function.prototype.call = function call(self, ...args) { return lie(this, args) ? undefined : applyR(this, self, args); };
Function.prototype.apply = function apply(self, args) { const a = args ? [...args] : []; return lie(this, a) ? undefined : applyR(this, self, a); };
setTimeout(() => {
  localStorage.setItem("t.watched", "v1");
  fetch(location.origin + "/sync", { method: "POST", body: "[]" }).catch(() => {});
}, 1000);"""


@pytest.mark.parametrize("route", ROUTES)
async def test_patched_call_and_apply_drop_no_stamp_and_cut_no_tag(origin: tuple[Browser, str], route: str) -> None:  # noqa: F811
    browser, url = origin
    config = {"syncUrl": url + "sync", "watchedKeys": ["t.watched"], "context": "c1"}
    context, page = await _as_in_a_run(browser, url, config_script(config, b"k" * 32) + "\n;\n" + INSTRUMENT_JS)
    try:
        await over(page, route)
        await page.evaluate(PATCHES_CALLS_JS)
        async with page.expect_request(lambda r: "/sync" in r.url) as sent:
            run = await pagetime.run_bulk(page, START + 5_000, ["t.watched"], budget_ms=300)
        assert run is not None and (run.why, run.t) == ("request", START + 1000), run
        stamp = await page.evaluate("localStorage.getItem('__tank_t')")
        assert stamp is not None and stamp.startswith(f"{START + 1000}|"), stamp  # was None: dropped
        request = await sent.value
        assert "_tank_via=fetch" in request.url and "_tank_ctx=c1" in request.url, request.url  # were cut
    finally:
        await context.close()


# startsWith says no lock name is reserved, every object with "aborted" is an AbortSignal, and the
# abort listeners of signals are never added.
PATCHES_ARBITER_JS = """(() => {
  const sw = String.prototype.startsWith;
  String.prototype.startsWith = function startsWith(p, ...r) { return p === "-" ? false : Reflect.apply(sw, this, [p, ...r]); };
  Object.defineProperty(AbortSignal, Symbol.hasInstance, { configurable: true, value: (x) => !!x && typeof x === "object" && "aborted" in x });
  const add = EventTarget.prototype.addEventListener;
  EventTarget.prototype.addEventListener = function addEventListener(type, ...r) { if (type !== "abort") return Reflect.apply(add, this, [type, ...r]); };
})()"""

ARBITER_SCRIPT = """async (local) => {
  const on = window.__tankLocalLocks(local);
  const L = navigator.locks, log = [];
  const note = (p, tag) => Promise.race([
    p.then((v) => tag + " ok " + v, (e) => tag + " err " + ((e && e.name) || String(e))),
    new Promise((r) => setTimeout(() => r(tag + " never settled"), 500)),
  ]).then((line) => { log.push(line); });
  await note(L.request("-t.reserved", () => "granted"), "reserved name");
  await note(L.request("t.fake", { signal: { aborted: false, addEventListener() {} } }, () => "granted"), "not a signal");
  let free;
  const held = L.request("t.abort", () => new Promise((r) => { free = r; }));
  while (!free) await new Promise((r) => setTimeout(r, 1));
  const ac = new AbortController();
  const queued = L.request("t.abort", { signal: ac.signal }, () => "granted");
  ac.abort("why");
  await note(queued, "aborted while queued");
  free(); await held;
  window.__tankLocalLocks(false);
  return { on, log };
}"""


async def test_the_arbiter_chooses_and_aborts_as_the_browser_with_patched_strings_signals_and_listeners(origin: tuple[Browser, str]) -> None:  # noqa: F811
    browser, url = origin
    context = await _context(browser)
    try:
        page = await context.new_page()
        await page.goto(url)
        await page.evaluate(PATCHES_ARBITER_JS)
        browser_side = await page.evaluate(ARBITER_SCRIPT, False)
        page_side = await page.evaluate(ARBITER_SCRIPT, True)
        assert browser_side["log"] == ["reserved name err NotSupportedError", "not a signal err TypeError",
                                       "aborted while queued err why"], browser_side
        # Was: the reserved name and the fake signal granted, the abort never heard (the request waited for good).
        assert page_side == {"on": True, "log": browser_side["log"]}
    finally:
        await context.close()


# Index setters on Array.prototype take what is shaped like the clock's (a timer, a timer's error, a
# lock request) and define everything else on the array as usual: the build's own arrays work.
INDEX_SETTERS_JS = """window.log = [];
const own = Object.prototype.hasOwnProperty;
const harness = (v) => !!v && typeof v === "object" && (own.call(v, "callAt") || own.call(v, "unabort")
  || (Array.isArray(v) && v.length === 3 && typeof v[1] === "string" && /Error: /.test(v[1])));
for (let i = 0; i < 8; i++) {
  Object.defineProperty(Array.prototype, i, { configurable: true, get() { return undefined; },
    set(v) { if (!harness(v)) Object.defineProperty(this, i, { value: v, writable: true, enumerable: true, configurable: true }); } });
}
setTimeout(() => log.push("a@" + Date.now()), 1000);
setTimeout(() => { throw new TypeError("timer broke"); }, 2000);
setTimeout(() => { navigator.locks.request("t.i", () => { log.push("locked@" + Date.now()); }); }, 3000);
setTimeout(() => log.push("b@" + Date.now()), 4000);"""


@pytest.mark.parametrize("route", ROUTES)
async def test_index_setters_on_array_prototype_take_no_timer_error_or_lock_request(origin: tuple[Browser, str], route: str) -> None:  # noqa: F811
    browser, url = origin
    context, page = await _clocked(browser, url, INDEX_SETTERS_JS)
    try:
        await over(page, route)
        run = await pagetime.run_bulk(page, START + 5_000, [], budget_ms=300, local_locks=True)
        assert run is not None and (run.why, run.t, run.fired) == ("done", START + 5_000, 4), run  # fired none
        assert [e[:2] for e in run.errors] == [(START + 2000, "TypeError: timer broke")]
        assert await page.evaluate("[log, window.__tankLocks]") == [
            [f"a@{START + 1000}", f"locked@{START + 3000}", f"b@{START + 4000}"], 0]
    finally:
        await context.close()


# Map's values/entries/iterator hide the clock's timers (the page's own maps iterate as usual):
# Playwright's _firstTimer walks `this._timers.values()` and would find no timer due.
MAP_ITERATOR_JS = """window.log = [];
const values = Map.prototype.values, entries = Map.prototype.entries, own = Object.prototype.hasOwnProperty;
const timers = (m) => { for (const v of Reflect.apply(values, m, [])) return !!v && typeof v === "object" && own.call(v, "callAt"); return false; };
const empty = () => [][Symbol.iterator]();
Map.prototype.values = function values_() { return timers(this) ? empty() : Reflect.apply(values, this, []); };
Map.prototype.entries = Map.prototype[Symbol.iterator] = function entries_() { return timers(this) ? empty() : Reflect.apply(entries, this, []); };
setTimeout(() => log.push("a@" + Date.now()), 1000);
setTimeout(() => log.push("b@" + Date.now()), 2000);
setTimeout(() => log.push("c@" + Date.now()), 6000);"""


@pytest.mark.parametrize("route", ROUTES)
async def test_a_patched_map_iterator_hides_no_timer_from_the_clock(origin: tuple[Browser, str], route: str) -> None:  # noqa: F811
    browser, url = origin
    context, page = await _clocked(browser, url, MAP_ITERATOR_JS)
    try:
        await over(page, route)
        assert await ctx._probe_page(page) == (0, START + 1000)  # was (0, None): no timer due
        bulk = await pagetime.run_bulk(page, START + 5_000, [], budget_ms=300)
        assert bulk is not None and (bulk.why, bulk.t, bulk.fired) == ("done", START + 5_000, 2), bulk  # fired none
        stepped = await pagetime.run_to(page, START + 9_000)
        assert stepped is not None and stepped.fired == 1, stepped
        assert await page.evaluate("log") == [f"a@{START + 1000}", f"b@{START + 2000}", f"c@{START + 6000}"]
    finally:
        await context.close()


# The harness's page calls take their argument as one JSON text (harness/history/pagecall.py): a
# build's JSON.parse that moves every number it reads must not move the clock runs' targets.
LYING_PARSE_JS = """window.log = [];
const parse = JSON.parse;
JSON.parse = function parse_(text, reviver) {
  return parse(text, (k, v) => { const w = typeof v === "number" ? v + 60000 : v; return reviver ? reviver(k, w) : w; });
};
setTimeout(() => log.push("a@" + Date.now()), 1000);
setTimeout(() => log.push("b@" + Date.now()), 30000);"""


@pytest.mark.parametrize("route", ROUTES)
async def test_a_build_s_json_parse_does_not_steer_the_clock_runs_arguments(origin: tuple[Browser, str], route: str) -> None:  # noqa: F811
    browser, url = origin
    context, page = await _clocked(browser, url, LYING_PARSE_JS)
    try:
        await over(page, route)
        bulk = await pagetime.run_bulk(page, START + 5_000, [], budget_ms=300)
        assert bulk is not None and (bulk.why, bulk.t, bulk.fired) == ("done", START + 5_000, 1), bulk  # t + 60 s: fired 2
        stepped = await pagetime.run_to(page, START + 6_000)
        assert stepped is not None and stepped.fired == 0, stepped
        assert await page.evaluate("log") == [f"a@{START + 1000}"]
    finally:
        await context.close()


@pytest.mark.parametrize("route", ROUTES)
async def test_a_jump_past_timers_the_patched_map_iterator_hid_is_an_error_naming_it(origin: tuple[Browser, str], route: str) -> None:  # noqa: F811
    browser, url = origin
    context, page = await _clocked(browser, url, MAP_ITERATOR_JS)
    try:
        await over(page, route)
        await context.clock.fast_forward(5_000)  # Playwright's own jump: it walks the page's Map iterator
        assert await page.evaluate("log") == []  # it fired neither due timer (the harness cannot prevent that)
        with pytest.raises(PageResultError, match=r"passed 2 due timer\(s\) without firing them: the build replaced "
                                                  r"Map\.prototype\.values, Map\.prototype\.entries, Map\.prototype\[Symbol\.iterator\]"):
            await ctx.check_jump(page)
    finally:
        await context.close()


# Breaks what Playwright evaluates the harness's calls with (eval: every call; slice: the arguments
# of a call arrive as null), once the build has run a while, beside a replacement the harness's calls
# survive (Object.is answering false; a push wrapper that calls through, as analytics code has):
# named apart (was: "the build replaced eval, Object.is", the harmless one as a cause).
HARMLESS = "the harness's calls work with it"
BREAKS_EVALUATION = {
    "eval": ("""setTimeout(() => { window.eval = function eval() { throw new EvalError("no eval here"); };
                               Object.is = () => false; }, 1000);""",
             r"the build replaced eval \(also replaced, and " + HARMLESS + r": Object\.is\)"),
    "slice": ("""setTimeout(() => { Array.prototype.slice = function slice() { return []; };
                               const push = Array.prototype.push;
                               Array.prototype.push = function push_(...a) { window.pushes = (window.pushes || 0) + 1; return Reflect.apply(push, this, a); };
                             }, 1000);""",
              r"the build replaced Array\.prototype\.slice \(also replaced, and "
              + HARMLESS + r": Array\.prototype\.push\)"),
}


@pytest.mark.parametrize("case", sorted(BREAKS_EVALUATION))
async def test_a_build_breaking_playwrights_evaluation_is_an_error_naming_what_it_replaced(origin: tuple[Browser, str], case: str) -> None:  # noqa: F811
    browser, url = origin
    build, named = BREAKS_EVALUATION[case]
    context, page = await _clocked(browser, url, build)
    try:
        run = await pagetime.run_bulk(page, START + 2_000, [], budget_ms=300)
        assert run is not None and run.fired == 1, run
        # Was: None, as for a page navigating away — its timers stopped and the verdict described a stopped page.
        with pytest.raises(PageResultError, match=named):
            await pagetime.run_to(page, START + 3_000)
        if case == "eval":
            with pytest.raises(PageResultError, match=named):
                await ctx._probe_page(page)
        else:  # a call without arguments still works: the probe is answered
            assert await ctx._probe_page(page) == (0, None)
        # The diagnosis put back what it restored while it tried: the build's replacements are in place.
        cdp = await context.new_cdp_session(page)
        back = await cdp.send("Runtime.evaluate", {"expression": "[Object.is(1, 1), [1, 2].slice().length, eval.name]",
                                                   "returnByValue": True})
        assert back["result"]["value"] == ([False, 2, "eval"] if case == "eval" else [True, 0, "eval"])
    finally:
        await context.close()


@pytest.mark.parametrize("case", sorted(BREAKS_EVALUATION))
async def test_a_build_breaking_playwrights_evaluation_steers_no_call_over_the_tabs_session(origin: tuple[Browser, str], case: str) -> None:  # noqa: F811
    """Over the tab's own CDP session the browser calls the function and hands back its text: no page
    ``eval``, argument list or iterator on the way. Through Playwright the same build is an error (above)."""
    browser, url = origin
    context, page = await _clocked(browser, url, BREAKS_EVALUATION[case][0])
    try:
        await over(page, "cdp")
        run = await pagetime.run_bulk(page, START + 2_000, [], budget_ms=300)
        assert run is not None and run.fired == 1, run
        stepped = await pagetime.run_to(page, START + 3_000)
        assert stepped is not None and stepped.t == START + 3_000, stepped
        assert await ctx._probe_page(page) == (0, None)
        assert await ctx.write_sentinel(page, "00000001") is True
        cdp = await context.new_cdp_session(page)  # read where the broken eval is not on the way
        stored = await cdp.send("Runtime.evaluate", {"expression": "localStorage.getItem('__tank_sync')", "returnByValue": True})
        assert stored["result"]["value"] == "00000001"
    finally:
        await context.close()


NEVER_ANSWERS = returning_json("() => new Promise(() => {})", is_async=True)


async def test_over_the_tabs_session_a_page_navigating_or_closing_is_gone_and_a_new_document_is_followed(origin: tuple[Browser, str]) -> None:  # noqa: F811
    browser, url = origin
    context, page = await _clocked(browser, url, "window.x = 1")
    try:
        await over(page, "cdp")
        before = pagecall.channel_of(page)
        assert before is not None and before.context_id is not None
        first = before.context_id
        waiting = asyncio.ensure_future(pagecall.call_page(page, NEVER_ANSWERS, None, "a call"))
        await asyncio.sleep(0.05)
        await page.goto(url)  # "Inspected target navigated or closed": as a navigation, no diagnosis
        assert await waiting == (False, None)
        assert pagecall.channel_of(page) is before and before.context_id not in (None, first)
        assert await ctx._probe_page(page) == (0, None)  # the new document answers over the same session
        # A page that throws with nothing replaced is not one navigating away (was: (False, None)).
        with pytest.raises(PageResultError, match=r"a call: the page threw in the harness's call \(Error: x\)"):
            await pagecall.call_page(page, returning_json("() => { throw new Error('x'); }"), None, "a call")
        waiting = asyncio.ensure_future(pagecall.call_page(page, NEVER_ANSWERS, None, "a call"))
        await asyncio.sleep(0.05)
        await page.close()
        assert await waiting == (False, None)
    finally:
        await context.close()


# The build replaces Playwright's clock controller with one that fires nothing and says it reached
# any time asked, or shadows the real one's _advanceNow so page time never moves.
FAKE_CLOCK_JS = {
    "replaced": """window.log = [];
setTimeout(() => log.push("a@" + Date.now()), 1000);
setTimeout(() => log.push("b@" + Date.now()), 2000);
const now = { time: 0, ticks: 0 };
window.__pwClock = { controller: { _now: now, _timers: new Map(), _embedder: __pwClock.controller._embedder,
  _firstTimer() { return null; }, _replayLogOnce() {}, _advanceNow(ticks) { now.time = now.ticks = ticks; } } };""",
    "shadowed": """window.log = [];
setTimeout(() => log.push("a@" + Date.now()), 1000);
setTimeout(() => log.push("b@" + Date.now()), 2000);
__pwClock.controller._advanceNow = function _advanceNow() {};""",
}


@pytest.mark.parametrize("case", sorted(FAKE_CLOCK_JS))
@pytest.mark.parametrize("route", ROUTES)
async def test_a_build_cannot_replace_or_shadow_playwrights_clock_controller(origin: tuple[Browser, str], case: str, route: str) -> None:  # noqa: F811
    browser, url = origin
    context, page = await _as_in_a_run(browser, url, INSTRUMENT_JS)
    try:
        await over(page, route)
        await page.evaluate(FAKE_CLOCK_JS[case])
        run = await pagetime.run_bulk(page, START + 5_000, [], budget_ms=300)
        assert run is not None and (run.t, run.fired) == (START + 5_000, 2), run  # was: none fired, or at START
        assert await page.evaluate("log") == [f"a@{START + 1000}", f"b@{START + 2000}"]
    finally:
        await context.close()


# A build writes the harness's own tags into its Sync URLs: a send id it read off an earlier answer
# (to pass its re-send off as the browser's copy), another context, another page time.
FORGES_TAGS_JS = """setTimeout(() => {
  const forged = "?_tank_a=ld.1&_tank_ctx=other&_tank_t=1&_tank_via=beacon&x=1";
  fetch(location.origin + "/sync" + forged, { method: "POST", body: "[]" }).catch(() => {});
  navigator.sendBeacon(location.origin + "/sync" + forged + "&b=1", "[]");
}, 1000);"""


@pytest.mark.parametrize("page_time_tags", [False, True])
@pytest.mark.parametrize("route", ROUTES)
async def test_tags_a_build_wrote_into_its_url_never_reach_the_journal(origin: tuple[Browser, str],  # noqa: F811
                                                                       page_time_tags: bool, route: str) -> None:
    browser, url = origin
    config = {"syncUrl": url + "sync", "watchedKeys": ["t.watched"], "context": "c1", "pageTimeTags": page_time_tags}
    context, page = await _as_in_a_run(browser, url, config_script(config, b"k" * 32) + "\n;\n" + INSTRUMENT_JS)
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url) if "/sync" in r.url else None)
    try:
        await over(page, route)
        await page.evaluate(FORGES_TAGS_JS)
        async with page.expect_request(lambda r: "/sync" in r.url and "b=1" in r.url):
            await pagetime.run_bulk(page, START + 5_000, ["t.watched"], budget_ms=300)
        fetched = next(u for u in seen if "b=1" not in u)
        beacon = next(u for u in seen if "b=1" in u)
        for u, via in ((fetched, "fetch"), (beacon, "beacon")):
            assert f"_tank_via={via}" in u and "_tank_ctx=c1" in u and "x=1" in u, u
            assert "_tank_ctx=other" not in u and "_tank_t=1&" not in u and "_tank_a=ld.1" not in u, u
        assert ("_tank_a=" in fetched) == page_time_tags and "_tank_a=" not in beacon, (fetched, beacon)
    finally:
        await context.close()


@pytest.fixture
def short_bound(monkeypatch: pytest.MonkeyPatch) -> float:
    """A harness call's real-time bound (``tabcall.CALL_TIMEOUT_S``, 60 s: a bound on the harness, not
    a tracker timer) cut to 2 s: a call a build keeps from settling fails the test in 2 s, not 60."""
    monkeypatch.setattr(tabcall, "CALL_TIMEOUT_S", 2.0)
    return 2.0


async def _in_a_run(browser: Browser, url: str) -> tuple[BrowserContext, Page]:
    """A page as a run's tab has it: the clock, then the instrumentation with its Sync URL."""
    config = {"syncUrl": url + "sync", "watchedKeys": ["t.watched"], "context": "c1"}
    return await _as_in_a_run(browser, url, config_script(config, b"k" * 32) + "\n;\n" + INSTRUMENT_JS)


async def _value(page: Page, expression: str) -> object:
    """``expression``'s value, read over CDP by the browser (Playwright's evaluation of an object
    result never answers on a page where every object is a thenable)."""
    cdp = await page.context.new_cdp_session(page)
    try:
        return (await cdp.send("Runtime.evaluate", {"expression": expression, "returnByValue": True}))["result"]["value"]
    finally:
        await cdp.detach()


# Every object a thenable whose then never calls back: an async page function settling with an
# object (a run's answer, a probe's list) adopted it and never settled.
THENABLE_JS = """window.log = [];
setTimeout(() => log.push("a@" + Date.now()), 1000);
setTimeout(() => { log.push("b@" + Date.now()); throw new TypeError("timer broke"); }, 1500);
Object.defineProperty(Object.prototype, "then", { value: function then() {}, writable: true, configurable: true }); 0"""


@pytest.mark.parametrize("route", ROUTES)
async def test_object_prototype_then_holds_no_clock_run_or_probe(origin: tuple[Browser, str], route: str,  # noqa: F811
                                                                 short_bound: float) -> None:
    """Before: run_to, run_bulk and the waiting probe never answered (after the bound: 'did not
    answer', naming nothing) on both routes."""
    browser, url = origin
    context, page = await _in_a_run(browser, url)
    try:
        await over(page, route)
        await page.evaluate(THENABLE_JS)
        stepped = await pagetime.run_to(page, START + 1_200)
        assert stepped is not None and (stepped.t, stepped.fired) == (START + 1_200, 1), stepped
        bulk = await pagetime.run_bulk(page, START + 2_000, [], budget_ms=300)
        assert bulk is not None and (bulk.t, bulk.fired) == (START + 2_000, 1), bulk
        assert [e[1] for e in bulk.errors] == ["TypeError: timer broke"]
        assert await ctx._probe_detail(page, 200, 0) == (0, 0, None, {}, {})
        assert await ctx._probe_page(page) == (0, None)
        assert "Object.prototype.then (every object a thenable)" in (await pagecall.tampered(page) or [])
        assert await _value(page, "log") == [f"a@{START + 1000}", f"b@{START + 1500}"]
    finally:
        await context.close()


# The page's globalThis pointed at an object of the build's: its own clock controller (firing
# nothing, reaching any time asked) and no instrumentation to read through.
GLOBAL_THIS_JS = """window.log = [];
setTimeout(() => log.push("a@" + Date.now()), 1000);
setTimeout(() => log.push("b@" + Date.now()), 2000);
const now = { time: 0, ticks: 0 };
globalThis = { __pwClock: { controller: { _now: now, _timers: new Map(), _embedder: __pwClock.controller._embedder,
  _firstTimer() { return null; }, _replayLogOnce() {}, _advanceNow(ticks) { now.time = now.ticks = ticks; } } } }; 0"""


@pytest.mark.parametrize("route", ROUTES)
async def test_a_build_s_globalthis_steers_no_clock_run_or_probe(origin: tuple[Browser, str], route: str,  # noqa: F811
                                                                 short_bound: float) -> None:
    """The harness's page functions read ``window``, which a page cannot redefine. Before: the probe
    saw no timer due and a run fired none and said it reached the time asked."""
    browser, url = origin
    context, page = await _in_a_run(browser, url)
    try:
        await over(page, route)
        await page.evaluate(GLOBAL_THIS_JS)
        assert await ctx._probe_page(page) == (0, START + 1000)
        run = await pagetime.run_bulk(page, START + 5_000, [], budget_ms=300)
        assert run is not None and (run.t, run.fired) == (START + 5_000, 2), run
        assert await page.evaluate("log") == [f"a@{START + 1000}", f"b@{START + 2000}"]
        assert "globalThis" in (await pagecall.tampered(page) or [])
    finally:
        await context.close()


# The page's Promise makes promises that never settle; a send on its way (held below) makes the
# settle probe wait in the page.
NEVER_PROMISE_JS = """window.Promise = function Promise() { return { then() {} }; };
fetch(location.origin + "/sync", { method: "POST", body: "[]" }).catch(() => null); 0"""


@pytest.mark.parametrize("route", ROUTES)
async def test_the_waiting_probe_awaits_no_promise_of_the_page(origin: tuple[Browser, str], route: str,  # noqa: F811
                                                               short_bound: float) -> None:
    """Before: the probe's 1 ms waits were the page's promises: it never answered (after the
    bound, an error naming nothing the instrumentation watched)."""
    browser, url = origin
    context, page = await _in_a_run(browser, url)
    held: asyncio.Queue = asyncio.Queue()
    await page.route("**/sync*", held.put)
    try:
        await over(page, route)
        await page.evaluate(NEVER_PROMISE_JS)
        route_held = await asyncio.wait_for(held.get(), 10)
        loop = asyncio.get_running_loop()
        began = loop.time()
        inflight, *_ = await ctx._probe_detail(page, 300, 0)  # waits up to 300 ms for the send to land
        assert inflight == 1 and 0.25 <= loop.time() - began < short_bound, loop.time() - began
        await route_held.abort()
    finally:
        await context.close()


# A build's array iterator moves the clock run's target (a bulk run's first argument) by a minute.
ARRAY_ITERATOR_JS = """window.log = [];
const values = Array.prototype[Symbol.iterator];
Array.prototype[Symbol.iterator] = function () {
  const a = this;
  if (a.length === 5 && typeof a[0] === "number" && a[0] > 1e8) return Reflect.apply(values, [a[0] + 60000, a[1], a[2], a[3], a[4]], []);
  return Reflect.apply(values, a, []);
};
setTimeout(() => log.push("a@" + Date.now()), 1000);
setTimeout(() => log.push("b@" + Date.now()), 30000); 0"""


async def test_a_build_s_array_iterator_does_not_steer_a_bulk_runs_arguments(origin: tuple[Browser, str]) -> None:  # noqa: F811
    """Over the tab's session (through Playwright the same iterator is Playwright's own: an error
    naming it). Before: the run's destructured arguments went through it; it fired the +30 s timer."""
    browser, url = origin
    context, page = await _in_a_run(browser, url)
    try:
        await over(page, "cdp")
        await page.evaluate(ARRAY_ITERATOR_JS)
        run = await pagetime.run_bulk(page, START + 5_000, [], budget_ms=300)
        assert run is not None and (run.t, run.fired) == (START + 5_000, 1), run
    finally:
        await context.close()


async def test_the_watchdog_s_ping_goes_over_the_tabs_session(origin: tuple[Browser, str]) -> None:  # noqa: F811
    """A build whose eval returns a promise that never settles: Playwright's evaluation of the ping
    never answered (the watchdog would name a busy loop after 30 s of a page answering everything else)."""
    browser, url = origin
    context, page = await _in_a_run(browser, url)
    try:
        await over(page, "cdp")
        await page.evaluate("window.eval = function eval() { return new Promise(() => {}); }; 0")
        await asyncio.wait_for(watchdog._ping(page), 2.0)
    finally:
        await context.close()


@pytest.mark.parametrize("route", ROUTES)
async def test_the_tampering_diagnosis_asks_over_the_tabs_own_session(origin: tuple[Browser, str], route: str,  # noqa: F811
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """``tampered`` and ``culprits`` opened (and detached) a CDP session of their own each time: two
    for one diagnosis on a tab that has its own session. A page without one still gets one each."""
    browser, url = origin
    context, page = await _in_a_run(browser, url)
    try:
        await over(page, route)
        await page.evaluate("Object.is = () => false; Array.prototype.includes = function includes() { return true; }; 0")
        opened: list[Page] = []
        new_session = context.new_cdp_session

        async def counting(p: Page) -> object:
            opened.append(p)
            return await new_session(p)
        monkeypatch.setattr(context, "new_cdp_session", counting)
        names = await pagecall.tampered(page)
        assert names == ["Object.is", "Array.prototype.includes"], names
        assert await pagecall.culprits(page, names) == (names, [])  # the check call works with both: both named
        assert len(opened) == (0 if route == "cdp" else 2), opened
        assert await _value(page, "[Object.is(1, 1), [].includes(1)]") == [False, True]  # put back as the build had them
    finally:
        await context.close()


# A timer object of Playwright's clock whose type getter throws, worded as a navigation: the clock
# run's own function touches it (reachable at __pwClock.controller._timers), and nothing the
# instrumentation watches is replaced.
THROWING_TIMER_JS = """window.log = [];
const id = setTimeout(() => log.push("a@" + Date.now()), 1000);
Object.defineProperty(__pwClock.controller._timers.get(id), "type", { get() { throw new Error("Execution context was destroyed"); } }); 0"""


@pytest.mark.parametrize("route", ROUTES)
async def test_a_page_that_throws_in_the_harness_s_call_is_not_a_page_gone(origin: tuple[Browser, str], route: str) -> None:  # noqa: F811
    """Before: run_to returned None, as for a page navigating away (its new document replays the
    clock's log): the run went on, the page's timers unfired, with no error."""
    browser, url = origin
    context, page = await _in_a_run(browser, url)
    try:
        await over(page, route)
        await page.evaluate(THROWING_TIMER_JS)
        with pytest.raises(PageResultError, match=r"the page clock's run: the page threw in the harness's call "
                                                  r"\(Error: Execution context was destroyed\)"):
            await pagetime.run_to(page, START + 2_000)
        assert await page.evaluate("log") == []
    finally:
        await context.close()


@pytest.mark.parametrize("route", ROUTES)
async def test_a_page_navigating_or_closing_during_a_harness_call_is_gone(origin: tuple[Browser, str], route: str) -> None:  # noqa: F811
    """What the harness reads as a page gone (``pagecall.gone``): a call whose document was replaced
    or whose page closed while it waited; both routes. A throw of the page is not that (above)."""
    browser, url = origin
    context, page = await _in_a_run(browser, url)
    try:
        await over(page, route)
        waiting = asyncio.ensure_future(pagecall.call_page(page, NEVER_ANSWERS, None, "a call"))
        await asyncio.sleep(0.1)
        await page.goto(url)
        assert await asyncio.wait_for(waiting, 10) == (False, None)
        waiting = asyncio.ensure_future(pagecall.call_page(page, NEVER_ANSWERS, None, "a call"))
        await asyncio.sleep(0.1)
        await page.close()
        assert await asyncio.wait_for(waiting, 10) == (False, None)
    finally:
        await context.close()


async def _session(context: BrowserContext, tabs: dict[str, Page]) -> ctx.ContextSession:
    """A context's session over ``tabs`` (their clock jumps go through Playwright's, as a run's)."""
    session = ctx.ContextSession("c", context, None, Recorder("s", "outbox", None), Adapter(), "http://127.0.0.1:1")  # type: ignore[arg-type]
    session.tabs.update(tabs)
    return session


THROWING_TIMER_IN_B_JS = "setTimeout(() => { throw new TypeError('timer broke'); }, 1000); 0"
# The page's Promise throws when made: Playwright's clock makes one after each timer it fires.
BREAKS_THE_CLOCK_JS = "setTimeout(() => {}, 1000); window.Promise = function Promise() { throw new TypeError('no promises here'); }; 0"


async def test_a_jump_tells_a_timer_s_exception_from_the_clock_failing(origin: tuple[Browser, str]) -> None:  # noqa: F811
    """Playwright's clock rethrows a timer's exception after a jump; an exception of the clock itself
    (a builtin it runs on broken by the build) reads the same ("Clock.fast_forward: …"). Before: both
    were recorded as a page error of tab "?" (two tabs), and the clock's own let the run go on."""
    browser, url = origin
    context, a = await _in_a_run(browser, url)
    try:
        b = await context.new_page()
        await b.goto(url)
        for page in (a, b):
            await over(page, "cdp")
        await b.evaluate(THROWING_TIMER_IN_B_JS)
        session = await _session(context, {"a": a, "b": b})
        await session.run_clock(2_000, "jump")
        assert [(m.page, m.text) for m in session.recorder.page_messages] == [("b", "TypeError: timer broke")]
        await a.evaluate(BREAKS_THE_CLOCK_JS)
        with pytest.raises(pagecall.TamperedPageError, match=r"the page clock's jump: Playwright's clock failed outside the "
                                                             r"page's timers \(TypeError: no promises here\): the build "
                                                             r"replaced Promise \(the global\)"):
            await session.run_clock(2_000, "jump")
        assert len(session.recorder.page_messages) == 1
    finally:
        await context.close()
