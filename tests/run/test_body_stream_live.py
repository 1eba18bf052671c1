"""A Sync answer's body read as a stream is a send in flight while a read waits, on a real page.

The same race as a body read with ``json()`` (tests/run/test_body_read_live.py): fetch resolves with
the headers and the body comes later in real time. A build reading ``res.body`` — a reader until
done, ``pipeTo``, ``pipeThrough``, ``for await``, ``new Response(res.body).json()`` — looked idle
meanwhile, and the clock could run its abort timer. Here the answer's first chunk comes with the
headers and the rest is held at a server of the test until the probes have looked. A stream taken
and not read, read partly and left, cancelled or errored holds nothing.
"""
from __future__ import annotations

import asyncio
from urllib.parse import parse_qs, urlsplit

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from playwright.async_api import Page, Route

from harness.run.state import ScenarioRun
from tests.harness.e2e import fail_fast_if_counted, scenario_from_text

pytestmark = pytest.mark.browser

GUARD_S = 30.0  # a bound on waits for real events, never a duration the test depends on
FIRST, REST = b'{"ok":', b"true}"
SEEN: dict[str, object] = {}

# Each way of reading: a function of the response, resolving with the body's text.
WAYS = {
    "reader": """async (r) => { const rd = r.body.getReader(), dec = new TextDecoder(); let s = "";
      for (;;) { const { done, value } = await rd.read(); if (done) return s; s += dec.decode(value, { stream: true }); } }""",
    "byob": """async (r) => { const rd = r.body.getReader({ mode: "byob" }), dec = new TextDecoder(); let s = "";
      for (;;) { const { done, value } = await rd.read(new Uint8Array(64)); if (done) return s; s += dec.decode(value, { stream: true }); } }""",
    "pipeTo": """async (r) => { const dec = new TextDecoder(); let s = "";
      await r.body.pipeTo(new WritableStream({ write(c) { s += dec.decode(c, { stream: true }); } })); return s; }""",
    "pipeThrough": """async (r) => { const rd = r.body.pipeThrough(new TextDecoderStream()).getReader(); let s = "";
      for (;;) { const { done, value } = await rd.read(); if (done) return s; s += value; } }""",
    "forAwait": """async (r) => { const dec = new TextDecoder(); let s = "";
      for await (const c of r.body) s += dec.decode(c, { stream: true }); return s; }""",
    "newResponse": """(r) => new Response(r.body).json().then((b) => JSON.stringify(b))""",
    # A build replacing the readers (configurable, as natively) reaches only the counted ones: its own
    # json() over res.body, its own body getter over the one it found. Last: the replacements stay.
    "replacedJson": """async (r) => { Object.defineProperty(Response.prototype, "json", { configurable: true, writable: true, value: async function () {
      const rd = this.body.getReader(), dec = new TextDecoder(); let s = "";
      for (;;) { const { done, value } = await rd.read(); if (done) return JSON.parse(s); s += dec.decode(value, { stream: true }); } } });
      return JSON.stringify(await r.json()); }""",
    "redefinedBody": """async (r) => { const d = Object.getOwnPropertyDescriptor(Response.prototype, "body");
      Object.defineProperty(Response.prototype, "body", { configurable: true, get() { return d.get.call(this); } });
      return new Response(r.body).text(); }""",
}

# Ways of leaving a stream with the rest of the body still held: none may count once it is left.
# A pending read is counted from the stream's next pull, microtasks later: read after a task boundary.
TASK = "await new Promise((t) => { const c = new MessageChannel(); c.port1.onmessage = t; c.port2.postMessage(0); });"
LEFT = {
    "unread": """async (r) => { r.body; r.body.getReader(); }""",
    "partly": """async (r) => { await r.body.getReader().read(); }""",
    "cancelled": """async (r) => { const rd = r.body.getReader(); await rd.read(); const p = rd.read(); """ + TASK + """
      window.__pending = window.__tankInflight; await rd.cancel("enough"); await p; }""",
    "aborted": """async (r, abort) => { const rd = r.body.getReader(); await rd.read(); const p = rd.read(); """ + TASK + """
      window.__pending = window.__tankInflight; abort(); await p.catch(() => {}); }""",
}


class SlowBodies:
    """A server answering each request's headers and first chunk at once, the rest on release."""

    def __init__(self) -> None:
        self.heads: dict[str, asyncio.Event] = {}
        self.releases: dict[str, asyncio.Event] = {}
        self.server: TestServer | None = None
        self.port = 0

    def expect(self, key: str) -> None:
        self.heads[key], self.releases[key] = asyncio.Event(), asyncio.Event()

    async def answer(self, request: web.Request) -> web.StreamResponse:
        key = request.query["k"]
        resp = web.StreamResponse(headers={"access-control-allow-origin": "*", "content-type": "application/json"})
        await resp.prepare(request)
        await resp.write(FIRST)
        self.heads[key].set()
        await self.releases[key].wait()
        try:
            await resp.write(REST)
            await resp.write_eof()
        except ConnectionError:  # the page cancelled or aborted its read: the connection is gone
            pass
        return resp

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.answer)
        self.server = TestServer(app)
        await self.server.start_server()
        self.port = self.server.port or 0

    async def stop(self) -> None:
        for e in self.releases.values():
            e.set()
        if self.server is not None:
            await self.server.close()

    async def route(self, page: Page) -> None:
        """The page's own (instrumented) fetch of the Sync URL, sent on to this server."""
        async def onward(route: Route) -> None:
            key = parse_qs(urlsplit(route.request.url).query)["_tank_body"][0]
            await route.continue_(url=f"http://127.0.0.1:{self.port}/api/sync?k={key}")
        await page.route(lambda url: "_tank_body=" in url, onward)


START = """([u, way]) => {
  const ctl = new AbortController(), read = (0, eval)("(" + way + ")");
  window.__state = "waiting";
  fetch(u, { signal: ctl.signal }).then((r) => { window.__headers = true; return read(r, () => ctl.abort()); })
    .then((b) => { window.__state = b === undefined ? "left" : b; }, (e) => { window.__state = "error " + e; });
}"""


async def _start(page: Page, run: ScenarioRun, bodies: SlowBodies, key: str, way: str) -> None:
    bodies.expect(key)
    await page.evaluate("window.__headers = false; window.__pending = null")
    await page.evaluate(START, [f"{run.sync_url}?_tank_body={key}", way])
    await asyncio.wait_for(bodies.heads[key].wait(), GUARD_S)
    await page.wait_for_function("window.__headers === true", timeout=GUARD_S * 1000)


async def read_streams(run: ScenarioRun) -> None:
    session = await run.session("a")
    page = session.live_tabs()[0]
    bodies = SlowBodies()
    await bodies.start()
    try:
        await bodies.route(page)
        for name, way in WAYS.items():
            await _start(page, run, bodies, name, way)
            reading = await session.probe_detail(0)
            state = await page.evaluate("window.__state")
            bodies.releases[name].set()
            await page.wait_for_function("window.__state !== 'waiting'", timeout=GUARD_S * 1000)
            SEEN[name] = (state, reading[0], await page.evaluate("window.__state"), (await session.probe_detail(0))[0])
            fail_fast_if_counted(f"body stream {name!r}", SEEN[name][3], "the stream was read whole")
    finally:
        await page.unroute_all(behavior="ignoreErrors")
        await bodies.stop()


async def leave_streams(run: ScenarioRun) -> None:
    session = await run.session("a")
    page = session.live_tabs()[0]
    bodies = SlowBodies()
    await bodies.start()
    travel_max, run.clock.travel_max_s = run.clock.travel_max_s, 5.0  # a held count would cost 5 s and a note
    try:
        await bodies.route(page)
        for name, way in LEFT.items():
            await _start(page, run, bodies, name, way)
            await page.wait_for_function("window.__state !== 'waiting'", timeout=GUARD_S * 1000)
            notes = len(run.clock.notes)
            await run.clock.settle(session)
            SEEN[name] = (await page.evaluate("[window.__state, window.__pending]"), (await session.probe_detail(0))[0],
                          run.clock.notes[notes:], bodies.releases[name].is_set())
            fail_fast_if_counted(f"body stream {name!r}", SEEN[name][1], "the stream was left")
    finally:
        run.clock.travel_max_s = travel_max
        await page.unroute_all(behavior="ignoreErrors")
        await bodies.stop()


def _run(tank_worlds, hook: str) -> None:
    SEEN.clear()
    text = f"""
name: body_stream_live
judges: [no_loss, exactly_once, nothing_unexpected]
steps:
  - {{open: home, context: a}}
  - hook: tests.run.test_body_stream_live:{hook}
"""
    result = tank_worlds.get("memory").run("reference", scenario_from_text(text))
    assert result.error is None, result.error


def test_a_body_stream_being_read_is_in_flight_until_read(tank_worlds) -> None:
    _run(tank_worlds, "read_streams")
    assert set(SEEN) == set(WAYS), SEEN
    for name, (state, reading, body, after) in SEEN.items():
        assert state == "waiting", (name, SEEN)  # the probe looked while the rest of the body was held
        assert reading == 1, (name, SEEN)  # the stream's read counts as the send still in flight
        assert body == '{"ok":true}' and after == 0, (name, SEEN)  # read whole, as sent; nothing left counted


def test_a_body_stream_left_holds_nothing(tank_worlds) -> None:
    _run(tank_worlds, "leave_streams")
    assert set(SEEN) == set(LEFT), SEEN
    for name, ((state, pending), after, notes, released) in SEEN.items():
        assert not released, (name, SEEN)  # the rest of the body was still held at the server
        assert after == 0 and notes == [], (name, SEEN)  # the settle did not wait for it
    assert SEEN["unread"][0][0] == "left" and SEEN["partly"][0][0] == "left", SEEN
    assert SEEN["cancelled"][0] == ["left", 1] and SEEN["aborted"][0] == ["left", 1], SEEN  # counted until then
