"""A Sync answer whose body the build is still reading is a send in flight, on a real page.

fetch resolves with the headers; the body comes later, in real time. A build reading it inside the
try whose finally clears its abort timer (signalq, tagq, relay, pulse) looked idle to the clock
meanwhile: the settle ended, the clock ran to the next due timer — that abort timer, or the one of
the request the build started when the body came — and a send the server had processed was aborted
or not by the machine's speed (signalq's 26 h outage: 25 heartbeats re-sent one by one, PASS or FAIL
from run to run). Here the body is held at a server of the test until the probes have looked.
"""
from __future__ import annotations

import asyncio

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from harness.run.state import ScenarioRun
from tests.harness.e2e import fail_fast_if_counted, scenario_from_text

pytestmark = pytest.mark.browser

GUARD_S = 30.0  # a bound on waits for real events, never a duration the test depends on
SEEN: dict[str, object] = {}

SCENARIO = """
name: body_read_live
judges: [no_loss, exactly_once, nothing_unexpected]
steps:
  - {open: home, context: a}
  - hook: tests.run.test_body_read_live:read_slow_body
"""


async def _slow_body_server(release: asyncio.Event, headers_sent: asyncio.Event) -> TestServer:
    """A server that sends an answer's headers at once and its body only when ``release`` is set."""
    async def answer(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"access-control-allow-origin": "*", "content-type": "application/json"})
        await resp.prepare(request)
        headers_sent.set()
        await release.wait()
        await resp.write(b'{"ok": true}')
        await resp.write_eof()
        return resp

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    server = TestServer(app)
    await server.start_server()
    return server


async def read_slow_body(run: ScenarioRun) -> None:
    session = await run.session("a")
    page = session.live_tabs()[0]
    release, headers_sent = asyncio.Event(), asyncio.Event()
    server = await _slow_body_server(release, headers_sent)
    port = server.port
    try:
        # The page's own (instrumented) fetch of the Sync URL, sent on to the slow server.
        await page.route(lambda url: "_tank_body=" in url,
                         lambda route: route.continue_(url=f"http://127.0.0.1:{port}/api/sync"))
        await page.evaluate("""(u) => {
          window.__bodyRead = "waiting";
          fetch(u).then((r) => { window.__headers = true; return r.json(); })
            .then((b) => { window.__bodyRead = JSON.stringify(b); }, (e) => { window.__bodyRead = String(e); });
        }""", run.sync_url + "?_tank_body=1")
        await asyncio.wait_for(headers_sent.wait(), GUARD_S)
        await page.wait_for_function("window.__headers === true", timeout=GUARD_S * 1000)
        SEEN["reading"] = await session.probe_detail(0)
        SEEN["read_state"] = await page.evaluate("window.__bodyRead")
        release.set()
        await page.wait_for_function("window.__bodyRead !== 'waiting'", timeout=GUARD_S * 1000)
        SEEN["read"] = await session.probe_detail(0)
        fail_fast_if_counted("a body read with json()", SEEN["read"][0], "the read ended")
        SEEN["body"] = await page.evaluate("window.__bodyRead")
        # A body nobody reads is not waited for: the send ended with its headers.
        release.clear()
        headers_sent.clear()
        await page.evaluate("(u) => { fetch(u).then(() => { window.__unread = true; }); }", run.sync_url + "?_tank_body=2")
        await asyncio.wait_for(headers_sent.wait(), GUARD_S)
        await page.wait_for_function("window.__unread === true", timeout=GUARD_S * 1000)
        SEEN["unread"] = await session.probe_detail(0)
        fail_fast_if_counted("an answer whose body is not read", SEEN["unread"][0], "its headers arrived")
        release.set()
    finally:
        release.set()
        await page.unroute_all(behavior="ignoreErrors")
        await server.close()


def test_a_body_being_read_is_in_flight_until_read(tank_worlds) -> None:
    SEEN.clear()
    result = tank_worlds.get("memory").run("reference", scenario_from_text(SCENARIO))
    assert result.error is None, result.error
    assert SEEN["read_state"] == "waiting", SEEN  # the probe below looked while the body was on its way
    assert SEEN["reading"][0] == 1, SEEN  # the body read counts as the send still in flight
    assert SEEN["body"] == '{"ok":true}' and SEEN["read"][0] == 0, SEEN
    assert SEEN["unread"][0] == 0, SEEN
