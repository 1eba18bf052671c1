"""An XMLHttpRequest to the Sync URL is a send like a fetch (instrument.js): tagged ``_tank_via=xhr``
with the harness's own tags only, reported, in flight for the clock from send() to loadend, and its
``timeout`` runs in page time. A page-time timeout must look to the build exactly as Chromium's own
real-time one: the same events in the same order, readyState 4 and status 0 after it. The native
order is taken from the same script in the same browser (a 50 ms native timeout on a held path
outside the Sync URL); page time is moved by Playwright's clock, never waited for."""
from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from harness.history.seal import config_script
from harness.world.browser import find_browser
from harness.world.context import INSTRUMENT_JS

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]
START = 1_767_225_600_000  # page time the clock is installed at

# Each XHR logs what its listeners see (target, event, readyState, status); ``x.done`` resolves at loadend.
XHR_JS = """([path, timeout, forged]) => {
  const x = new XMLHttpRequest(), log = [];
  const note = (who) => (e) => log.push(`${who}:${e.type} ${x.readyState} ${x.status} ${e.isTrusted}`);
  for (const n of ["readystatechange", "loadstart", "progress", "abort", "error", "load", "timeout", "loadend"]) x.addEventListener(n, note("x"));
  for (const n of ["loadstart", "progress", "abort", "error", "load", "timeout", "loadend"]) x.upload.addEventListener(n, note("u"));
  x.open("POST", location.origin + path + (forged ? "?_tank_a=ld.1&_tank_ctx=other&_tank_t=1&_tank_via=beacon&x=1" : ""));
  x.setRequestHeader("Content-Type", "application/json");
  x.timeout = timeout;
  window.__x = x; window.__log = log;
  x.send('{"events":[{"ec":"conversion","ea":"phone_call","el":"1","meta":{"eid":"e1"}}]}');
  window.__done = new Promise((r) => x.addEventListener("loadend", () => r([log, x.readyState, x.status, x.timeout, x.responseText])));
}"""


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def served() -> AsyncIterator[tuple[Browser, str, dict[str, Any]]]:
    """A page, a Sync path and a path outside it; both hold each POST until the test releases it.
    ``…stream`` paths answer the headers and a first chunk at once, and hold the rest likewise."""
    state: dict[str, Any] = {"release": asyncio.Event(), "urls": [], "types": []}

    async def page(_: web.Request) -> web.Response:
        return web.Response(text="<html><body>xhr</body></html>", content_type="text/html")

    async def held(request: web.Request) -> web.Response:
        state["urls"].append(str(request.url))
        state["types"].append(request.headers.get("Content-Type"))
        await request.read()
        await state["release"].wait()
        return web.json_response({"ok": True})

    async def streamed(request: web.Request) -> web.StreamResponse:
        state["urls"].append(str(request.url))
        await request.read()
        answer = web.StreamResponse(headers={"Content-Type": "application/json"})
        await answer.prepare(request)
        await answer.write(b'{"ok":')
        await state["release"].wait()
        with contextlib.suppress(ConnectionError):  # the page terminated it
            await answer.write(b" true}")
            await answer.write_eof()
        return answer

    app = web.Application()
    app.router.add_get("/", page)
    app.router.add_post("/sync", held)
    app.router.add_post("/slow", held)
    app.router.add_post("/syncstream", streamed)  # under the Sync URL (a prefix of it)
    app.router.add_post("/stream", streamed)
    async with TestServer(app) as server, async_playwright() as pw:
        browser = await pw.chromium.launch(**find_browser(pw).launch_kwargs())
        try:
            yield browser, str(server.make_url("/")), state
        finally:
            state["release"].set()
            await browser.close()


async def _page(browser: Browser, url: str, page_time_tags: bool = True) -> tuple[BrowserContext, Page, list[dict[str, Any]]]:
    """A page as in a run: the clock installed (paused) before the instrumentation; reports collected."""
    reports: list[dict[str, Any]] = []
    context = await browser.new_context()
    await context.clock.install(time=START / 1000)
    await context.clock.pause_at(START / 1000)

    def on_report(_: Any, message: str) -> None:
        m = re.search(r"\|\d+\|(\{.*\})$", message)
        if m:
            reports.append(json.loads(m.group(1)))
    await context.expose_binding("__tankReport", on_report)
    config = {"syncUrl": url + "sync", "watchedKeys": [], "context": "c1", "pageTimeTags": page_time_tags}
    await context.add_init_script(config_script(config, b"k" * 32) + "\n;\n" + INSTRUMENT_JS)
    page = await context.new_page()
    await page.goto(url)
    return context, page, reports


async def _ended(reports: list[dict[str, Any]]) -> None:
    """Until the end report has come over the binding (a message on its way, not a page timer)."""
    for _ in range(1000):
        if any(r["type"] == "end" for r in reports) and any(r["type"] == "start" for r in reports):
            return
        await asyncio.sleep(0.01)


async def _native_timeout(page: Page, state: dict[str, Any]) -> list[str]:
    """Chromium's own (real-time) timeout of a held request outside the Sync URL."""
    await page.evaluate(XHR_JS, ["/slow", 50, False])
    log, ready, status, _, text = await page.evaluate("window.__done")
    return [*_own(log), f"after {ready} {status} {text!r}"]


def _own(log: list[str]) -> list[str]:
    """The XHR's own events: whether its upload is over when a 50 ms timeout fires is real time's
    (if not, ``upload`` hears timeout and loadend first, natively and in page time alike)."""
    return [e for e in log if e.startswith("x:")]


async def test_a_page_time_timeout_fires_as_chromiums_own(served: tuple[Browser, str, dict[str, Any]]) -> None:
    browser, url, state = served
    state["release"].clear()
    context, page, reports = await _page(browser, url)
    try:
        native = await _native_timeout(page, state)
        assert native == ["x:readystatechange 1 0 true", "x:loadstart 1 0 true", "x:readystatechange 4 0 true",
                          "x:timeout 4 0 true", "x:loadend 4 0 true", "after 4 0 ''"], native
        await page.evaluate(XHR_JS, ["/sync", 5000, False])
        await page.clock.run_for(4_999)
        assert await page.evaluate("[window.__tankInflight, window.__x.readyState, window.__x.timeout]") == [1, 1, 5000]
        await page.clock.run_for(1)
        log, ready, status, timeout, text = await page.evaluate("window.__done")
        assert [*_own(log), f"after {ready} {status} {text!r}"] == native  # the same events, order, states
        # the upload's own end: over before (load, loadend) or cut by the timeout (timeout, loadend)
        upload = [e.split(" ")[0] for e in log if e.startswith("u:")]
        assert upload[0] == "u:loadstart" and upload[-2:] in (["u:load", "u:loadend"], ["u:timeout", "u:loadend"]), log
        assert timeout == 5000 and await page.evaluate("window.__tankInflight") == 0
        await _ended(reports)
        start = next(r for r in reports if r["type"] == "start")
        end = next(r for r in reports if r["type"] == "end")
        assert start["via"] == "xhr" and start["ids"] == ["e1"] and start["t"] == START, start
        assert end["outcome"] == "abort" and end["t"] == START + 5000 and "timeout" in end["error"], end
    finally:
        await context.close()


async def test_an_answer_before_the_timeout_loads_and_clears_the_deadline(served: tuple[Browser, str, dict[str, Any]]) -> None:
    browser, url, state = served
    state["release"].clear()
    context, page, reports = await _page(browser, url)
    try:
        await page.evaluate(XHR_JS, ["/sync", 5000, False])
        await page.clock.run_for(3_000)
        assert await page.evaluate("window.__tankInflight") == 1  # the answer is still on its way
        state["release"].set()
        log, ready, status, timeout, text = await page.evaluate("window.__done")
        assert log[-3:] == ["x:readystatechange 4 200 true", "x:load 4 200 true", "x:loadend 4 200 true"], log
        assert (ready, status, timeout, json.loads(text)) == (4, 200, 5000, {"ok": True})
        await page.clock.run_for(10_000)  # past the deadline: nothing fires
        assert await page.evaluate("window.__log.length") == len(log)
        assert await page.evaluate("window.__tankInflight") == 0
        await _ended(reports)
        assert next(r for r in reports if r["type"] == "end")["outcome"] == "ok"
    finally:
        await context.close()


@pytest.mark.parametrize("page_time_tags", [False, True])
async def test_tags_a_build_wrote_into_its_xhr_url_never_reach_the_journal(served: tuple[Browser, str, dict[str, Any]],
                                                                          page_time_tags: bool) -> None:
    browser, url, state = served
    state["release"].set()
    state["urls"].clear()
    context, page, _ = await _page(browser, url, page_time_tags)
    try:
        await page.evaluate(XHR_JS, ["/sync", 0, True])
        await page.evaluate("window.__done")
        [u] = state["urls"]
        assert "_tank_via=xhr" in u and "_tank_ctx=c1" in u and "x=1" in u, u
        assert "_tank_via=beacon" not in u and "_tank_ctx=other" not in u and "_tank_t=1&" not in u and "_tank_a=ld.1" not in u, u
        assert ("_tank_a=" in u) == page_time_tags and ("_tank_t=" in u) == page_time_tags, u
    finally:
        await context.close()


async def test_a_synchronous_xhr_is_tagged_and_reported(served: tuple[Browser, str, dict[str, Any]]) -> None:
    browser, url, state = served
    state["release"].set()
    state["urls"].clear()
    context, page, reports = await _page(browser, url)
    try:
        status = await page.evaluate("""() => { const x = new XMLHttpRequest(); x.open("POST", "/sync", false);
            x.send('{"events":[]}'); return [x.status, window.__tankInflight]; }""")
        assert status == [200, 0]
        assert "_tank_via=xhr" in state["urls"][0]
        await _ended(reports)
        # the end is reported as send() returns, the start once the body was read (the recorder pairs them)
        assert sorted(r["type"] for r in reports) == ["end", "start"], reports
        assert next(r for r in reports if r["type"] == "end")["outcome"] == "ok", reports
    finally:
        await context.close()


# One XHR reused for the next batch from its own handler (``where``: readystatechange at
# readyState 4, or load): each line is "<batch> <event> <readyState> <status> <in flight>".
REUSE_JS = """([path, where]) => new Promise((resolve) => {
  const x = new XMLHttpRequest(), log = []; let n = 1;
  const body = '{"events":[{"ec":"c","ea":"a","el":"1","meta":{"eid":"e1"}}]}';
  for (const k of ["readystatechange", "loadstart", "load", "abort", "error", "timeout", "loadend"])
    x.addEventListener(k, (e) => {
      log.push(`${n} ${e.type} ${x.readyState} ${x.status} ${window.__tankInflight}`);
      if (n === 1 && k === where && x.readyState === 4) { n = 2; x.open("POST", path); x.send(body); }
      else if (n === 2 && k === "loadend" && x.readyState === 4) resolve(log);
    });
  x.open("POST", path); x.send(body);
})"""
# Chromium's own order (measured on a path outside the Sync URL): reopened at readyState 4 from
# readystatechange, the finished request fires no load or loadend; reopened from load, its loadend
# still fires after the next send() started, at readyState 1, status 0.
NATIVE_REUSE = {
    "readystatechange": ["1 readystatechange 1 0", "1 loadstart 1 0", "1 readystatechange 2 200", "1 readystatechange 3 200",
                         "1 readystatechange 4 200", "2 readystatechange 1 0", "2 loadstart 1 0", "2 readystatechange 2 200",
                         "2 readystatechange 3 200", "2 readystatechange 4 200", "2 load 4 200", "2 loadend 4 200"],
    "load": ["1 readystatechange 1 0", "1 loadstart 1 0", "1 readystatechange 2 200", "1 readystatechange 3 200",
             "1 readystatechange 4 200", "1 load 4 200", "2 readystatechange 1 0", "2 loadstart 1 0", "2 loadend 1 0",
             "2 readystatechange 2 200", "2 readystatechange 3 200", "2 readystatechange 4 200", "2 load 4 200",
             "2 loadend 4 200"],
}


@pytest.mark.parametrize("where", sorted(NATIVE_REUSE))
async def test_an_xhr_reused_from_its_own_handler_ends_each_send_as_the_page_saw_it(
        served: tuple[Browser, str, dict[str, Any]], where: str) -> None:
    """Each send ends once, with the outcome the page saw (ok, 200), and the next send stays in
    flight until its own end: the finished request's late loadend (reopened from load) is not the
    next send's. Before sends had generations: the first reopened from readystatechange read as an
    abort by open(); from load, the late loadend ended the second send (http_error, status 0) and
    took it out of the in-flight count while its bytes travelled."""
    browser, url, state = served
    state["release"].set()
    context, page, reports = await _page(browser, url)
    try:
        native = await page.evaluate(REUSE_JS, ["/slow", where])
        assert [e.rsplit(" ", 1)[0] for e in native] == NATIVE_REUSE[where]
        log = await page.evaluate(REUSE_JS, ["/sync", where])
        assert [e.rsplit(" ", 1)[0] for e in log] == NATIVE_REUSE[where]  # the wrapper changes no event
        # in flight: the second batch from its send() (after open()'s readystatechange) until its own
        # end (its load and loadend may be heard before or after the wrapper's listener)
        second = [e[-1] for e in log if e.startswith("2 ")]
        assert second[0] == "0" and second[1:-2] == ["1"] * (len(second) - 3), log
        assert await page.evaluate("window.__tankInflight") == 0
        for _ in range(1000):
            if sum(r["type"] == "end" for r in reports) >= 2 and sum(r["type"] == "start" for r in reports) >= 2:
                break
            await asyncio.sleep(0.01)
        ends = [(r["id"], r["outcome"], r.get("status")) for r in reports if r["type"] == "end"]
        starts = [r["id"] for r in reports if r["type"] == "start"]
        assert sorted(ends) == [(i, "ok", 200) for i in sorted(starts)] and len(starts) == 2, (ends, starts)
    finally:
        await context.close()


# A build hiding load and loadend from every later listener, on an XHR made each way a page can
# reach the constructor: [readyState, status, in flight, instanceof] at its own loadend.
HIDING_JS = """(how) => new Promise((resolve) => {
  const C = how === "ctor" ? XMLHttpRequest.prototype.constructor
    : how === "subclass" ? class extends XMLHttpRequest {} : XMLHttpRequest;
  const x = new C();
  x.addEventListener("load", (e) => e.stopImmediatePropagation(), true);
  x.addEventListener("loadend", (e) => {
    e.stopImmediatePropagation();
    resolve([x.readyState, x.status, window.__tankInflight, x instanceof XMLHttpRequest]);
  }, true);
  x.open("POST", "/sync");
  x.send('{"events":[]}');
})"""


@pytest.mark.parametrize("how", ["plain", "ctor", "subclass"])
async def test_a_build_stopping_load_and_loadend_first_hides_no_end(served: tuple[Browser, str, dict[str, Any]],
                                                                     how: str) -> None:
    """A capture listener the build adds before send() that stops load and loadend: the send still
    ends with the answer (ok, 200) and leaves the in-flight count. The wrapper's listener is the
    XHR's first (added at construction, whichever constructor reference the build used). Before:
    in flight forever, only a start report — the clock stalled and the attempt read pending."""
    browser, url, state = served
    state["release"].set()
    context, page, reports = await _page(browser, url)
    try:
        assert await page.evaluate(HIDING_JS, how) == [4, 200, 0, True]
        await _ended(reports)
        end = next(r for r in reports if r["type"] == "end")
        assert (end["outcome"], end["status"]) == ("ok", 200), end
    finally:
        await context.close()


async def test_a_build_clearing_every_timer_id_cannot_cancel_the_page_time_timeout(
        served: tuple[Browser, str, dict[str, Any]]) -> None:
    """A build clearing a range of timer ids (clearTimeout, clearInterval, cancelAnimationFrame,
    cancelIdleCallback over the last 1,000 ids) after a send with a 5 s timeout: the timeout still
    fires at exactly 5,000 ms of page time, as a native one (which no page call can clear). Before,
    the deadline was an ordinary page timer: no timeout event after 6 s, the send in flight."""
    browser, url, state = served
    state["release"].clear()
    context, page, reports = await _page(browser, url)
    try:
        await page.evaluate(XHR_JS, ["/sync", 5000, False])
        await page.evaluate("""() => { const id = setTimeout(() => {}, 0);
            for (let i = id; i > id - 1000; i--) { clearTimeout(i); clearInterval(i); cancelAnimationFrame(i); cancelIdleCallback(i); } }""")
        await page.clock.run_for(4_999)
        assert await page.evaluate("[window.__tankInflight, window.__x.readyState]") == [1, 1]
        await page.clock.run_for(1)
        assert await page.evaluate("[window.__tankInflight, window.__x.readyState]") == [0, 4]  # before: [1, 1]
        log, ready, status, timeout, _ = await page.evaluate("window.__done")
        assert _own(log)[-3:] == ["x:readystatechange 4 0 true", "x:timeout 4 0 true", "x:loadend 4 0 true"], log
        assert (ready, status, timeout) == (4, 0, 5000) and await page.evaluate("window.__tankInflight") == 0
        await _ended(reports)
        end = next(r for r in reports if r["type"] == "end")
        assert end["outcome"] == "abort" and end["t"] == START + 5000 and "timeout" in end["error"], end
    finally:
        await context.close()


async def test_a_refused_synchronous_reopen_is_native_and_the_next_send_times_out_in_page_time(
        served: tuple[Browser, str, dict[str, Any]]) -> None:
    """open(…, false) on an XHR with a timeout: InvalidAccessError in a window, and Chromium leaves
    the request unsent (send() then throws InvalidStateError) — the same through the wrapper as on a
    path outside the Sync URL. The native timeout is then the build's value (restored for open()'s
    check), but nothing is in flight, and the next async open() takes it back into page time: a
    send times out at exactly 5,000 ms of page time."""
    browser, url, state = served
    state["release"].clear()
    context, page, _ = await _page(browser, url)
    try:
        reopen = """(path) => { const x = new XMLHttpRequest(); window.__x = x; x.open("POST", path);
            x.timeout = 5000; let err = null, sent = null;
            try { x.open("POST", path, false); } catch (e) { err = e.name; }
            try { x.send("{}"); } catch (e) { sent = e.name; } return [err, x.timeout, x.readyState, sent]; }"""
        native = await page.evaluate(reopen, "/slow")
        assert native == ["InvalidAccessError", 5000, 0, "InvalidStateError"]
        assert await page.evaluate(reopen, "/sync") == native
        assert await page.evaluate("[window.__tankInflight, (window.__x.open('POST', '/sync'), window.__x.send('{}'), window.__x.timeout)]") == [0, 5000]
        await page.clock.run_for(4_999)
        assert await page.evaluate("[window.__tankInflight, window.__x.readyState]") == [1, 1]
        await page.clock.run_for(1)
        assert await page.evaluate("[window.__tankInflight, window.__x.readyState, window.__x.status]") == [0, 4, 0]
    finally:
        await context.close()


# A build opening its XHR early and sending it from a later timer; every event logged as in XHR_JS.
EARLY_JS = """(path) => {
  const x = new XMLHttpRequest(), log = [];
  for (const n of ["readystatechange", "loadstart", "abort", "error", "load", "loadend"])
    x.addEventListener(n, (e) => log.push(`${e.type} ${x.readyState} ${x.status}`));
  x.open("POST", location.origin + path);
  x.setRequestHeader("Content-Type", "application/json");
  x.overrideMimeType("text/plain");
  window.__x = x; window.__log = log;
  setTimeout(() => { log.push("send"); x.send('{"events":[{"ec":"c","ea":"a","el":"1","meta":{"eid":"e2"}}]}'); }, 1000);
  window.__done = new Promise((r) => x.addEventListener("loadend", () => r([log, x.status, x.responseText])));
}"""


async def test_an_xhr_opened_early_carries_the_page_time_of_its_send(served: tuple[Browser, str, dict[str, Any]]) -> None:
    """Opened at page time T, sent at T + 1 s: the stub holds late answers by ``_tank_t``, which must be
    the send's time (it was open()'s). The request is opened anew at send(), natively: the build's
    events, headers and answer are those of the same XHR outside the Sync URL."""
    browser, url, state = served
    state["release"].set()
    context, page, reports = await _page(browser, url)
    try:
        logs = []
        for path in ("/slow", "/sync"):
            state["urls"].clear()
            state["types"].clear()
            opened = await page.evaluate("Date.now()")
            await page.evaluate(EARLY_JS, path)
            await page.clock.run_for(1_000)
            logs.append(await page.evaluate("window.__done"))
            assert state["types"] == ["application/json"]
        assert logs[1] == logs[0] and logs[0][0][:3] == ["readystatechange 1 0", "send", "loadstart 1 0"], logs
        [sent] = state["urls"]
        assert f"_tank_t={opened + 1000}&" in sent + "&" and "_tank_via=xhr" in sent, sent
        await _ended(reports)
        start = next(r for r in reports if r["type"] == "start")
        assert start["t"] == opened + 1000 and start["ids"] == ["e2"], start
    finally:
        await context.close()


REOPEN_JS = """([path, other]) => {
  const x = new XMLHttpRequest(), log = [];
  for (const n of ["readystatechange", "loadstart", "progress", "abort", "error", "load", "timeout", "loadend"])
    x.addEventListener(n, (e) => log.push(`${e.type} ${x.readyState} ${x.status}`));
  x.open("POST", location.origin + path);
  x.send('{"events":[{"ec":"c","ea":"a","el":"1","meta":{"eid":"e3"}}]}');
  window.__x = x; window.__log = log;
  window.__reopen = () => { log.push("reopen at " + x.readyState + " " + x.status); x.open("POST", location.origin + other); };
}"""


async def _reopened(page: Page, path: str, at: int) -> list[str]:
    """The events of an XHR reopened once it reached readyState ``at`` (1: sent, no answer yet; 3:
    headers and a first chunk came, the rest held), to a path that is never sent."""
    await page.evaluate(REOPEN_JS, [path, "/slow"])
    for _ in range(1000):  # the network's progress, in real time: no page timer is waited for
        if await page.evaluate("window.__x.readyState") >= at:
            break
        await asyncio.sleep(0.01)
    await page.evaluate("window.__reopen()")
    await page.clock.run_for(1_000)
    return await page.evaluate("window.__log")


@pytest.mark.parametrize(("at", "paths", "outcome"), [(1, ("/slow", "/sync"), "abort"),
                                                      (3, ("/stream", "/syncstream"), "ok")])
async def test_an_xhr_reopened_while_its_request_travels_ends_as_the_page_saw_it(
        served: tuple[Browser, str, dict[str, Any]], at: int, paths: tuple[str, str], outcome: str) -> None:
    """Chromium terminates the request silently (the XHR spec's open()): no abort, error or loadend
    reaches the page — only readystatechange to 1 once headers had come — natively and through the
    wrapper alike. Before any answer the page cancelled it (abort); once the headers came the page had
    the status (200): the send is ok, as a fetch resolved by its headers (it read as an abort)."""
    browser, url, state = served
    state["release"].clear()
    context, page, reports = await _page(browser, url)
    try:
        native = await _reopened(page, paths[0], at)
        wrapped = await _reopened(page, paths[1], at)
        state["release"].set()
        assert wrapped == native, (native, wrapped)
        assert not any(e.split(" ")[0] in ("abort", "error", "loadend", "load") for e in native), native
        assert native[-1] == ("readystatechange 1 0" if at == 3 else "reopen at 1 0"), native
        assert await page.evaluate("window.__tankInflight") == 0
        await _ended(reports)
        end = next(r for r in reports if r["type"] == "end")
        assert end["outcome"] == outcome, end
        if outcome == "ok":
            assert end["status"] == 200, end
        else:
            assert "terminated the request before its answer" in end["error"], end
    finally:
        await context.close()


# An XHR with a 5 s timeout, sent and held, then reopened with ``bad`` arguments: each line is what
# the page saw (the error's name, the state after it, then every event).
BAD_REOPEN_JS = """([path, bad]) => {
  const x = new XMLHttpRequest(), log = [];
  x.open("POST", location.origin + path);
  x.timeout = 5000;
  x.send('{"events":[{"ec":"c","ea":"a","el":"1","meta":{"eid":"e4"}}]}');
  try { x.open(...bad); log.push("no throw"); } catch (e) { log.push(e.name); }
  log.push(`after ${x.readyState} ${x.status} ${x.timeout}`);
  for (const n of ["readystatechange", "abort", "error", "load", "timeout", "loadend"])
    x.addEventListener(n, (e) => log.push(`${e.type} ${x.readyState} ${x.status}`));
  (window.__logs = window.__logs || []).push(log);
}"""


@pytest.mark.parametrize(("bad", "goes_on"), [(["BAD METHOD", "/slow"], True), (["TRACE", "/slow"], True),
                                              (["POST", "http://["], True), (["POST", "/slow", False], False)],
                         ids=["method", "forbidden-method", "url", "sync-with-timeout"])
async def test_an_xhr_reopened_with_bad_arguments_while_it_travels_ends_as_chromium_ends_it(
        served: tuple[Browser, str, dict[str, Any]], bad: list[Any], goes_on: bool) -> None:
    """Chromium's open() checks the method and the URL before it terminates the travelling request:
    it throws (SyntaxError, SecurityError) and the request goes on to its answer — load, loadend,
    status 200. Through the wrapper the same, and the send ends ok when its answer comes: it was
    recorded as an abort by open() before the native open() threw (fails before the fix). A
    synchronous open with a timeout is refused after the termination (InvalidAccessError at
    readyState 0, no event): that send is ended, as recorded before."""
    browser, url, state = served
    state["release"].clear()
    context, page, reports = await _page(browser, url)
    try:
        for path in ("/slow", "/sync"):
            await page.evaluate(BAD_REOPEN_JS, [path, bad])
            assert await page.evaluate("window.__tankInflight") == (1 if path == "/sync" and goes_on else 0)
        await page.clock.run_for(1_000)
        state["release"].set()
        for _ in range(1000):  # the answers, in real time: no page timer is waited for
            if not goes_on or min(map(len, await page.evaluate("window.__logs"))) > 4:
                break
            await asyncio.sleep(0.01)
        await _ended(reports)
        end = next(r for r in reports if r["type"] == "end")
        native, wrapped = await page.evaluate("window.__logs")
        assert wrapped == native, (native, wrapped)
        if goes_on:
            assert native[0] in ("SyntaxError", "SecurityError") and native[1] == "after 1 0 5000", native
            assert native[-2:] == ["load 4 200", "loadend 4 200"], native
            assert end["outcome"] == "ok" and end["status"] == 200 and end["t"] == START + 1000, end
        else:
            assert native == ["InvalidAccessError", "after 0 0 5000"], native
            assert end["outcome"] == "abort" and "terminated" in end["error"], end
        assert await page.evaluate("window.__tankInflight") == 0
    finally:
        await context.close()


# An SPA build: opens a relative URL, changes its route (pushState), sends later. The build's URL and
# method are objects whose toString counts its calls and throws after the first (natively: once).
SPA_JS = """(rel) => {
  const x = new XMLHttpRequest(), calls = [];
  const once = (v, name) => ({ toString() { calls.push(name); if (calls.filter((c) => c === name).length > 1) throw new Error(name + " again"); return v; } });
  x.open(once("POST", "method"), once(rel, "url"));
  x.setRequestHeader("Content-Type", "application/json");
  history.pushState({}, "", "/app/route/");
  window.__calls = calls;
  setTimeout(() => {
    try { x.send('{"events":[{"ec":"c","ea":"a","el":"1","meta":{"eid":"e9"}}]}'); } catch (e) { calls.push("send threw " + e.message); }
  }, 1000);
  window.__done = new Promise((r) => x.addEventListener("loadend", () => r([x.status, new URL(x.responseURL).pathname, calls])));
}"""


async def test_an_xhr_sent_later_goes_where_it_was_opened_and_converts_its_arguments_once(
        served: tuple[Browser, str, dict[str, Any]]) -> None:
    """Chromium resolves open()'s URL at open() against the page's URL then: an SPA's route change
    before send() moves nothing. The re-open at send() (a new ``_tank_t``) must not resolve it again
    (it went to /app/route/sync: 404) nor convert the build's arguments again (a toString throwing on
    its second call came out of send()). Native outside the Sync URL and wrapped agree."""
    browser, url, state = served
    state["release"].set()
    out = {}
    for rel in ("slow", "sync"):
        context, page, _ = await _page(browser, url)
        try:
            state["urls"].clear()
            await page.evaluate(SPA_JS, rel)
            await page.clock.run_for(1_000)
            out[rel] = await page.evaluate("window.__done")
            [sent] = state["urls"]
            assert sent.startswith(url + rel), sent
        finally:
            await context.close()
    assert out["slow"] == [200, "/slow", ["method", "url"]], out
    assert out["sync"] == [200, "/sync", ["method", "url"]], out



HEADER_AT_OPEN_JS = """(path) => {
  const x = new XMLHttpRequest(), seen = [];
  x.onreadystatechange = () => {
    if (x.readyState === 1 && !seen.length) { seen.push(1); x.setRequestHeader("Content-Type", "application/json"); x.overrideMimeType("text/plain"); }
  };
  x.open("POST", location.origin + path);
  setTimeout(() => x.send('{"events":[{"ec":"c","ea":"a","el":"1","meta":{"eid":"e8"}}]}'), 1000);
  window.__done = new Promise((r) => x.addEventListener("loadend", () => r([x.status, x.response])));
}"""


async def test_headers_set_from_the_readystatechange_of_open_survive_the_send(
        served: tuple[Browser, str, dict[str, Any]]) -> None:
    """open() fires readystatechange (to 1) before it returns; a build setting its headers and MIME
    override there must find them on the request the wrapper opens again at send() (the server got
    text/plain and the page a JSON response type instead of the override)."""
    browser, url, state = served
    state["release"].set()
    context, page, _ = await _page(browser, url)
    try:
        got = {}
        for path in ("/slow", "/sync"):
            state["types"].clear()
            await page.evaluate(HEADER_AT_OPEN_JS, path)
            await page.clock.run_for(1_000)
            got[path] = [await page.evaluate("window.__done"), list(state["types"])]
        assert got["/sync"] == got["/slow"] == [[200, '{"ok": true}'], ["application/json"]], got
    finally:
        await context.close()


# The headers and MIME override of the top window's XHR set through a same-origin iframe's
# prototype methods; sent from a later timer (page time moved: the wrapper opens it again at send()).
REALM_HEADER_JS = """(path) => new Promise((loaded) => {
  const f = document.createElement("iframe"); f.src = location.origin + "/"; document.body.append(f);
  f.onload = () => {
    const P = f.contentWindow.XMLHttpRequest.prototype, x = new XMLHttpRequest();
    x.open("POST", location.origin + path);
    P.setRequestHeader.call(x, "Content-Type", "application/json");
    P.overrideMimeType.call(x, "text/plain");
    setTimeout(() => x.send('{"events":[{"ec":"c","ea":"a","el":"1","meta":{"eid":"e6"}}]}'), 1000);
    window.__done = new Promise((r) => x.addEventListener("loadend", () => r([x.status, x.response])));
    loaded(f.contentWindow.__tankInstrumented === true);
  };
})"""


async def test_headers_set_through_another_realms_methods_survive_a_later_send(
        served: tuple[Browser, str, dict[str, Any]]) -> None:
    """A same-origin iframe's setRequestHeader/overrideMimeType called on the top window's XHR go
    through the iframe's wrappers, which knew no state of the top window's: the send at a later page
    time, opened again, lost them — the server got text/plain, the page a JSON response type instead
    of the override (fails before the fix). Native outside the Sync URL and wrapped agree."""
    browser, url, state = served
    state["release"].set()
    context, page, _ = await _page(browser, url)
    try:
        got = {}
        for path in ("/slow", "/sync"):
            state["types"].clear()
            assert await page.evaluate(REALM_HEADER_JS, path)  # the iframe is instrumented too
            await page.clock.run_for(1_000)
            got[path] = [await page.evaluate("window.__done"), list(state["types"])]
        assert got["/sync"] == got["/slow"] == [[200, '{"ok": true}'], ["application/json"]], got
    finally:
        await context.close()


BASE_JS = """([rel, base]) => {
  const b = document.createElement("base"); b.href = base; document.head.append(b);
  const x = new XMLHttpRequest(); x.open("POST", rel); x.send('{"events":[{"ec":"c","ea":"a","el":"1","meta":{"eid":"e7"}}]}');
  return new Promise((r) => x.addEventListener("loadend", () => r([x.status, new URL(x.responseURL).pathname])));
}"""


async def test_an_xhr_opened_under_a_base_element_goes_where_chromium_sends_it(
        served: tuple[Browser, str, dict[str, Any]]) -> None:
    """Chromium resolves open()'s URL against the document's base URL: under <base href="/app/">
    a relative "sync" is /app/sync (404 here, as "slow" is /app/slow), not the Sync URL the wrapper
    resolved it to against the page's URL (a build's broken relative URL was sent to Sync: 200). With
    <base href="/"> it is the Sync URL, tagged."""
    browser, url, state = served
    state["release"].set()
    out = {}
    for rel, base in (("slow", "/app/"), ("sync", "/app/"), ("sync", "/")):
        context, page, _ = await _page(browser, url)
        try:
            state["urls"].clear()
            out[rel + " " + base] = await page.evaluate(BASE_JS, [rel, base])
        finally:
            await context.close()
    assert out == {"slow /app/": [404, "/app/slow"], "sync /app/": [404, "/app/sync"], "sync /": [200, "/sync"]}, out
    [sent] = state["urls"]
    assert "_tank_via=xhr" in sent, sent


BASE_FETCH_BEACON_JS = """async ([rel, base]) => {
  const b = document.createElement("base"); b.href = base; document.head.append(b);
  const body = '{"events":[{"ec":"c","ea":"a","el":"1","meta":{"eid":"e6"}}]}';
  const beacon = navigator.sendBeacon(rel, body);
  const r = await fetch(rel, { method: "POST", body });
  const last = await fetch(location.origin + "/sync", { method: "POST", body });  // Sync by any base
  return [beacon, r.status, new URL(r.url).pathname, last.status];
}"""


@pytest.mark.parametrize(("base", "expected", "reported", "fetches"), [
    ("/app/", [True, 404, "/app/sync", 200], ["start"], 1),
    ("/", [True, 200, "/sync", 200], ["beacon", "start", "start"], 2),
])
async def test_fetch_and_beacon_under_a_base_element_go_where_chromium_sends_them(
        served: tuple[Browser, str, dict[str, Any]], base: str, expected: list[Any], reported: list[str],
        fetches: int) -> None:
    """fetch() and sendBeacon() resolve a relative URL against the document's base URL, as open()
    does: under <base href="/app/"> a relative "sync" is /app/sync (404 here), not a Sync send the
    wrapper tagged and reported (it resolved against the page's URL: 200 at /sync, and a beacon
    report for a beacon that natively never reaches Sync). Under <base href="/"> both are Sync."""
    browser, url, state = served
    state["release"].set()
    context, page, reports = await _page(browser, url)
    try:
        state["urls"].clear()
        assert await page.evaluate(BASE_FETCH_BEACON_JS, ["sync", base]) == expected
        for _ in range(1000):  # the last fetch's end report closes the binding's ordered stream
            if sum(r["type"] == "end" for r in reports) == fetches:
                break
            await asyncio.sleep(0.01)
        kinds = sorted(r["type"] for r in reports if r["type"] in ("start", "beacon"))
        assert kinds == reported, reports
        assert all("_tank_via=" in u for u in state["urls"] if "/sync" in u), state["urls"]
    finally:
        await context.close()
