"""Send reports against storage writes: the id-less matcher reads which outbox entry a send carried
from the order of the page's send report and the observer's writes (``Touches.after``). A build
that touches one identical copy right before it sends the other must still get each request
credited to the copy it sent, whatever the channels' speeds (tests/harness/fixtures/idless_race.js)."""
from __future__ import annotations

from pathlib import Path

import pytest

from harness.builds import load_build
from harness.checker import Policy
from harness.checker.facts import build_facts
from tests.harness.e2e import scenario_from_text

pytestmark = pytest.mark.browser

RACE = Path(__file__).parent / "fixtures" / "idless_race.js"
ROUNDS = 12

SCENARIO = f"""
name: report_order
description: identical heartbeats, one touched right before the other is sent
judges: [no_loss]
settle: 0
heal: false
steps:
  - open: home
  - advance: {ROUNDS * 4}s
"""


def test_a_write_right_before_a_send_is_numbered_before_it(tank_worlds) -> None:
    result = tank_worlds.get("memory").run(load_build(str(RACE)), scenario_from_text(SCENARIO))
    assert result.error is None, result.error
    m = build_facts(result.history, Policy()).m
    credited = {tid: len(hits) for tid, hits in m.hits.items() if hits}
    expected = {f"{x}{k}": 1 for k in range(1, ROUNDS + 1) for x in "ab"}
    assert credited == expected, sorted(credited.items())
    assert m.decided_by.get("send record") == 2 * ROUNDS, m.decided_by
