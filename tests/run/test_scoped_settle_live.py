"""Scoped settles with real pages: a step's own send has landed when the step ends, and every
request the stub holds is counted for the context that sent it (the ``_tank_ctx`` tag)."""
from __future__ import annotations

import pytest

from harness.run.state import ScenarioRun
from tests.harness.e2e import scenario_from_text

pytestmark = pytest.mark.browser

SEEN: list[dict[str, object]] = []

SCENARIO = """
name: scoped_settle_live
judges: [no_loss, exactly_once, nothing_unexpected]
steps:
  - {open: home, context: a}
  - {send: {category: test, action: first}, context: a}
  - hook: tests.run.test_scoped_settle_live:look
  - stub: {default: {delay_ms: 3s}}
  - {open: home, context: b}
  - {send: {category: test, action: second}, context: b}
  - hook: tests.run.test_scoped_settle_live:look
  - advance: 1m
"""


def look(run: ScenarioRun) -> None:
    """What each context has on the wire and held, as the step before this one ended."""
    holds = run.stub.faults.holds
    posts = [e for e in run.stub.journal.entries() if e.method == "POST"]
    SEEN.append({
        "open": {c: sum(1 for e in posts if e.context == c and e.t_done is None) for c in ("a", "b")},
        "done": {c: sum(1 for e in posts if e.context == c and e.t_done is not None) for c in ("a", "b")},
        "held": {c: holds.count("fetch", c) for c in ("a", "b")},
        "held_in": {c: run.clock.held_in(c).fetches for c in ("a", "b")},
        "all_held": holds.count("fetch"),
    })


def test_a_step_waits_for_its_own_send_and_held_requests_carry_their_context(tank_worlds) -> None:
    SEEN.clear()
    result = tank_worlds.get("memory").run("reference", scenario_from_text(SCENARIO))
    assert result.error is None and result.verdict.passed, (result.error, result.verdict.counts)
    first, second = SEEN
    assert first["open"] == {"a": 0, "b": 0} and first["done"]["a"] >= 1, first  # a's send had landed
    assert second["held"]["a"] == 0 and second["held"]["b"] >= 1, second  # b's sends wait 3 s of page time
    assert second["held"] == second["held_in"] and sum(second["held"].values()) == second["all_held"], second
