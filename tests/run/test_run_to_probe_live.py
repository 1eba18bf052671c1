"""A clock run's closing probe (``PageRun.probe``, read at the end of ``pagetime.run_to``) says
what a probe of the page right after says — nothing open and the next due timer, or a send its
timer started — so the clock may skip that probe for a page the run left idle. A bulk run
(``pagetime.run_bulk``) reads the same at its end: with no timer due at the time it reached
(``PageRun.due_after``) the clock skips the run to that time too (a run there fires nothing)."""
from __future__ import annotations

import asyncio

import pytest

from harness.run import pagetime
from harness.run.pagetime import PageRun, _probe
from harness.run.state import ScenarioRun
from tests.harness.e2e import scenario_from_text

pytestmark = pytest.mark.browser

GUARD_S = 30.0
SEEN: dict[str, object] = {}

SCENARIO = """
name: run_to_probe_live
judges: [no_loss, exactly_once, nothing_unexpected]
steps:
  - {open: home, context: a}
  - hook: tests.run.test_run_to_probe_live:runs
  - advance: 20s
"""


async def runs(run: ScenarioRun) -> None:
    session = await run.session("a")
    page = session.live_tabs()[0]
    held: asyncio.Queue = asyncio.Queue()
    await page.route(lambda url: "_tank_probe=" in url, held.put)
    now = run.clock.now
    await page.evaluate("([a, b]) => { setTimeout(() => {}, a); setTimeout(() => {}, b); }", [1000, 9000])
    quiet = await pagetime.run_to(page, now + 1000)
    SEEN["quiet"], SEEN["quiet_fresh"] = quiet, await session.probe_detail()
    await page.evaluate("(u) => { setTimeout(() => { fetch(u).catch(() => null); }, 1000); }",
                        run.sync_url + "?_tank_probe=1")
    sending = await pagetime.run_to(page, now + 2000)
    SEEN["sending"], SEEN["sending_fresh"] = sending, await session.probe_detail()
    route = await asyncio.wait_for(held.get(), GUARD_S)
    await route.fulfill(status=204, headers={"access-control-allow-origin": "*"})
    await page.wait_for_function("() => (window.__tankInflight || 0) === 0")
    await page.evaluate("() => { setTimeout(() => {}, 1000); setTimeout(() => {}, 3000); }")
    done = await pagetime.run_bulk(page, now + 4000, [])  # the page is at now + 2000: one timer by then
    SEEN["done"], SEEN["done_fresh"] = done, await session.probe_detail()
    await page.evaluate("(u) => { setTimeout(() => { fetch(u).catch(() => null); setTimeout(() => {}, 0); }, 500); }",
                        run.sync_url + "?_tank_probe=2")
    SEEN["request"] = request = await pagetime.run_bulk(page, now + 9000, [])
    SEEN["request_to"] = await pagetime.run_to(page, request.t) if request is not None else None
    route = await asyncio.wait_for(held.get(), GUARD_S)
    await route.fulfill(status=204, headers={"access-control-allow-origin": "*"})


def test_a_runs_closing_probe_reads_what_a_fresh_probe_reads(tank_worlds) -> None:
    SEEN.clear()
    result = tank_worlds.get("memory").run("reference", scenario_from_text(SCENARIO))
    assert result.error is None and result.verdict.passed, (result.error, result.verdict.counts)
    quiet, sending = SEEN["quiet"], SEEN["sending"]
    assert isinstance(quiet, PageRun) and isinstance(sending, PageRun), SEEN
    assert quiet.fired >= 1 and quiet.idle and quiet.probe == SEEN["quiet_fresh"], SEEN
    assert sending.probe is not None and sending.probe[0] == 1 and not sending.idle, SEEN
    assert sending.probe == SEEN["sending_fresh"], SEEN
    done, request = SEEN["done"], SEEN["request"]
    assert isinstance(done, PageRun) and isinstance(request, PageRun), SEEN
    assert done.why == "done" and done.fired == 1 and done.idle and done.due_after, SEEN
    assert done.probe == SEEN["done_fresh"], SEEN
    assert request.why == "request" and request.probe is not None and request.probe[0] == 1, SEEN
    # Playwright's clock puts a zero-delay timer 1 ms later: nothing is due where the run stopped,
    # and a run to there (the page call the clock skips) fires nothing and reads the same.
    assert request.probe[2] == request.t + 1 and request.due_after, SEEN
    request_to = SEEN["request_to"]
    assert isinstance(request_to, PageRun) and request_to.fired == 0 and request_to.probe == request.probe, SEEN


def test_a_closing_probe_counts_a_grant_on_its_way_only_for_a_name_the_tab_does_not_hold() -> None:
    assert _probe([0, 2, 5, {"a": 1, "b": 1}, {"a": 1}]) == (0, 2, 5, 1)
    assert _probe([0, 0, None, {}, {}]) == (0, 0, None, 0)
    assert _probe(None) is None and _probe([0, 0, None]) is None  # an older page script: no probe, probed as before
    assert not PageRun(1).idle and PageRun(1, probe=(0, 0, None, 0)).idle and not PageRun(1, probe=(0, 0, 3, 1)).idle
    assert PageRun(1, probe=(0, 0, None, 0)).due_after and PageRun(1, probe=(1, 0, 2, 0)).due_after
    assert not PageRun(1).due_after and not PageRun(1, probe=(0, 0, 1, 0)).due_after  # a timer due at the time reached
    assert not PageRun(1, probe=(0, 1, None, 0)).due_after  # a Web Lock pending: its grant may start timers
