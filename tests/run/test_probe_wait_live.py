"""The settle probe that waits in the page (``PROBE_DETAIL_JS`` with ``waitMs``), on a real page:
it answers when the page's open work changes — not before, and long before its cap — and at once
when every send in flight is held by a fault place or nothing is on its way."""
from __future__ import annotations

import asyncio

import pytest

from harness.run.state import ScenarioRun
from tests.harness.e2e import scenario_from_text

pytestmark = pytest.mark.browser

CAP_MS = 60_000  # far beyond the guard below: an answer within the guard did not wait for the cap
GUARD_S = 30.0
SEEN: dict[str, object] = {}

SCENARIO = """
name: probe_wait_live
judges: [no_loss, exactly_once, nothing_unexpected]
steps:
  - {open: home, context: a}
  - hook: tests.run.test_probe_wait_live:probe
"""


async def probe(run: ScenarioRun) -> None:
    session = await run.session("a")
    page = session.live_tabs()[0]
    # A send on its way: the page's own (instrumented) fetch of the Sync URL, held at a route until
    # it lands. The page's counters cannot be written from outside the instrumentation.
    held: asyncio.Queue = asyncio.Queue()
    await page.route(lambda url: "_tank_probe=" in url, held.put)

    async def send() -> None:
        await page.evaluate("(u) => { fetch(u).catch(() => null); }", run.sync_url + "?_tank_probe=1")

    async def land() -> None:
        route = await asyncio.wait_for(held.get(), GUARD_S)
        await route.fulfill(status=204, headers={"access-control-allow-origin": "*"})

    SEEN["idle"] = await asyncio.wait_for(session.probe_detail(CAP_MS), GUARD_S)
    await send()
    waiting = asyncio.ensure_future(session.probe_detail(CAP_MS))
    await page.evaluate("1")  # the page has begun the probe (messages to a page run in order)
    SEEN["before_landing"] = waiting.done()
    await land()
    SEEN["landed"] = await asyncio.wait_for(waiting, GUARD_S)
    await send()
    SEEN["held"] = await asyncio.wait_for(session.probe_detail(CAP_MS, 1), GUARD_S)  # the one send is held
    SEEN["capped"] = await asyncio.wait_for(session.probe_detail(20), GUARD_S)  # nothing changes: the cap
    await land()


def test_the_waiting_probe_answers_when_the_pages_work_changes(tank_worlds) -> None:
    SEEN.clear()
    result = tank_worlds.get("memory").run("reference", scenario_from_text(SCENARIO))
    assert result.error is None and result.verdict.passed, (result.error, result.verdict.counts)
    assert SEEN["idle"][0] == 0, SEEN  # nothing on its way: answered at once
    assert SEEN["before_landing"] is False, SEEN  # it waited while the send was on its way
    assert SEEN["landed"][0] == 0, SEEN  # and answered with what the page had once it landed
    assert SEEN["held"][0] == 1 and SEEN["capped"][0] == 1, SEEN
