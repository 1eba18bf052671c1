"""The harness's calls over a tab's own CDP session (harness/history/tabcall.py) in a real browser:
which world a call lands in once the tab changed renderer process, what a page's own error that
reads like a navigation becomes, how a timer fired by a clock run sees user activation, a call whose
await the build drops, and the harness's awaits under a replaced ``Promise.prototype.constructor``.
Page time is advanced by the clock runs; nothing waits for a tracker timer in real time."""
from __future__ import annotations

import pytest
from playwright.async_api import Browser

from harness.history import pagecall
from harness.run import pagetime
from tests.harness.test_hostile_calls import over
from tests.harness.test_local_locks import START, _clocked, _context, origin  # noqa: F401 - the fixture

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]

ROUTES = ("cdp", "playwright")

WHO = "() => String(window.__who) + ' @ ' + location.pathname"


async def test_a_call_after_a_cross_process_navigation_lands_in_the_new_top_world(origin: tuple[Browser, str]) -> None:  # noqa: F811
    """Context ids restart in each renderer process: the old top world's id names a child iframe's
    world in the new one. A call named by the old world must not run there (CDP refuses a stale
    unique id), and the channel's current world is the new top document's."""
    browser, url = origin
    other = url.replace("127.0.0.1", "localhost")  # another site: another renderer process
    context = await browser.new_context()
    await context.route(other + "frame", lambda r: r.fulfill(
        content_type="text/html", body="<script>window.__who='top'</script><iframe src='/child'></iframe>"))
    await context.route(other + "child", lambda r: r.fulfill(
        content_type="text/html", body="<script>window.__who='child'</script>"))
    page = await context.new_page()
    try:
        await page.goto(url)
        await over(page, "cdp")
        channel = pagecall.channel_of(page)
        assert channel is not None
        stale = channel._worlds[channel.frame]
        await page.goto(other + "frame")
        await page.wait_for_function("document.querySelector('iframe') && document.querySelector('iframe').contentWindow.__who === 'child'")
        assert channel._worlds[channel.frame] != stale
        assert await channel.call(WHO, None) == "top @ /frame"
        channel._worlds[channel.frame] = stale  # a call sent before Python heard of the new document
        with pytest.raises(Exception, match="uniqueContextId not found"):
            await channel.call(WHO, None)
    finally:
        await context.close()


ACTIVATION_JS = """window.log = [];
setTimeout(() => log.push("active=" + navigator.userActivation.isActive + " been=" + navigator.userActivation.hasBeenActive), 1000);"""


@pytest.mark.parametrize("route", ROUTES)
async def test_a_timer_fired_by_a_clock_run_sees_the_same_user_activation_on_both_routes(origin: tuple[Browser, str], route: str) -> None:  # noqa: F811
    """Playwright's evaluation calls with a user gesture; so does the tab's session: which route a
    call takes (racy: a document not known yet goes through Playwright) changes nothing the build sees."""
    browser, url = origin
    context = await _context(browser)
    await context.clock.install(time=START / 1000)
    await context.clock.pause_at(START / 1000)
    page = await context.new_page()
    await page.goto(url)
    try:
        cdp = await context.new_cdp_session(page)  # the build's timer set without a gesture of Playwright's
        await cdp.send("Runtime.evaluate", {"expression": ACTIVATION_JS})
        await over(page, route)
        await pagetime.run_to(page, START + 2_000)
        log = await cdp.send("Runtime.evaluate", {"expression": "JSON.stringify(log)", "returnByValue": True})
        assert log["result"]["value"] == '["active=true been=true"]'
    finally:
        await context.close()


# The second timer throws a value whose name getter throws with a navigation's words.
GONE_WORDS_JS = """(() => { window.log = [];
setTimeout(() => { log.push("a@" + Date.now()); throw new Error("a real error"); }, 1000);
setTimeout(() => { log.push("b@" + Date.now()); throw { get name() { throw new Error("Execution context was destroyed"); } }; }, 1500);
})(); 0"""


@pytest.mark.parametrize("route", ROUTES)
async def test_a_thrown_value_worded_like_a_navigation_does_not_end_the_run(origin: tuple[Browser, str], route: str) -> None:  # noqa: F811
    """Reading the thrown value's name threw in the run's own catch; the call failed with a
    navigation's words and run_to returned None while the page lived: fired counts and errors lost."""
    browser, url = origin
    context, page = await _clocked(browser, url, GONE_WORDS_JS)
    try:
        await over(page, route)
        run = await pagetime.run_to(page, START + 2_000)
        assert run is not None and run.fired == 2, run
        assert [e[1] for e in run.errors] == ["Error: a real error", "a thrown value whose name, message or text threw when read"]
        assert await page.evaluate("log") == [f"a@{START + 1000}", f"b@{START + 1500}"]
    finally:
        await context.close()


# Promise.prototype.constructor replaced: every `await` of a native promise inside the harness's
# async page functions went through the build's `then`, which turns a count into 0.
CONSTRUCTOR_JS = """(() => { window.log = [];
setTimeout(() => { log.push("a@" + Date.now()); throw new Error("timer broke"); }, 1000);
setTimeout(() => log.push("b@" + Date.now()), 1500);
const then = Promise.prototype.then;
Object.defineProperty(Promise.prototype, "constructor", { value: function NotPromise() {}, writable: true, configurable: true });
Promise.prototype.then = function (ok, fail) {
  const lie = (v) => (typeof v === "number" && v > 0 ? 0 : v);
  return Reflect.apply(then, this, [typeof ok === "function" ? (v) => ok(lie(v)) : ok, fail]);
}; })(); 0"""


@pytest.mark.parametrize("bulk", (False, True), ids=("run_to", "run_bulk"))
@pytest.mark.parametrize("route", ROUTES)
async def test_a_replaced_promise_constructor_does_not_steer_the_runs_awaits(origin: tuple[Browser, str], route: str, bulk: bool) -> None:  # noqa: F811
    """Before: run_to(+2000) returned fired=0 and skipped the +1500 timer, with no error."""
    browser, url = origin
    context, page = await _clocked(browser, url, CONSTRUCTOR_JS)
    try:
        await over(page, route)
        run = await (pagetime.run_bulk(page, START + 2_000, []) if bulk else pagetime.run_to(page, START + 2_000))
        assert run is not None and run.fired == 2 and run.t == START + 2_000, run
        assert [e[1] for e in run.errors] == ["Error: timer broke"]
        assert await page.evaluate("log") == [f"a@{START + 1000}", f"b@{START + 1500}"]
        assert {"Promise.prototype.constructor", "Promise.prototype.then"} <= set(await pagecall.tampered(page) or [])
    finally:
        await context.close()


# The build swallows the clock's task callbacks once armed: a clock run awaits one after each timer
# and never returns, while the page answers every other call (the watchdog's ping).
SWALLOWS_TASKS_JS = """(() => { window.log = [];
setTimeout(() => log.push("a@" + Date.now()), 1000);
__pwClock.controller._embedder.postTask = () => {};
})(); 0"""


# What the build replaces besides (None: nothing watched), and the diagnosis that names it.
ALSO_REPLACED = {
    "nothing_replaced": (None, "did not answer in 1 s"),
    "then_replaced": ("Promise.prototype.then = ((t) => function then(a, b) { return Reflect.apply(t, this, [a, b]); })(Promise.prototype.then); 0",
                      r"Promise\.prototype\.then"),
    "object_then": ("Object.defineProperty(Object.prototype, 'then', { value: function then() {}, writable: true, configurable: true }); 0",
                    r"Object\.prototype\.then \(every object a thenable\)"),
}


@pytest.mark.parametrize("route", ("cdp", "playwright"))
@pytest.mark.parametrize("case", sorted(ALSO_REPLACED))
async def test_a_call_the_page_never_answers_is_an_error_not_a_hang(origin: tuple[Browser, str], case: str, route: str, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """Runtime.callFunctionOn has no timeout, nor has Playwright's evaluation (a page without a tab
    session: the observer, a remote browser's): the run waited for the scenario's wall budget (300 s).
    After CALL_TIMEOUT_S (shortened here) it is the tampering diagnosis, or an error saying so. A
    build defining Object.prototype.then holds no call by itself (test_hostile_calls.py); beside one
    that does hang, it is named (before, over the tab's session the test waited 300 s)."""
    from harness.history import tabcall
    browser, url = origin
    also, named = ALSO_REPLACED[case]
    context, page = await _clocked(browser, url, SWALLOWS_TASKS_JS + (";\n" + also if also else ""))
    try:
        await over(page, route)
        monkeypatch.setattr(tabcall, "CALL_TIMEOUT_S", 1.0)
        with pytest.raises(pagecall.PageResultError, match=named) as caught:
            await pagetime.run_to(page, START + 2_000)
        assert isinstance(caught.value, pagecall.TamperedPageError) == (also is not None)
        cdp = await context.new_cdp_session(page)  # Playwright's evaluation of an object never answers under Object.prototype.then
        log = await cdp.send("Runtime.evaluate", {"expression": "JSON.stringify(log)", "returnByValue": True})
        assert log["result"]["value"] == f'["a@{START + 1000}"]'  # the page lives and answers
    finally:
        await context.close()
