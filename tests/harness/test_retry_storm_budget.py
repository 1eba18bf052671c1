"""The retry-storm mutant (a 5 s timer per failure and per enqueue, never cleared) cannot keep
the 26-hour outage past its wall budget: the scenario ends as an error naming the budget and how
far it got, and what was recorded until then is still judged.

Its timers are stepped one by one here (no bulk runs: a clock stop per timer instant, tens of
minutes), so the storm outlasts the budget however fast bulk runs become on however fast a machine."""
from __future__ import annotations

import time

import pytest

from harness.builds import load_build
from harness.run import pagetime, watchdog
from tests.harness.e2e import bundled_scenarios

BUDGET_S = 20.0
TOLERANCE_S = 40.0  # stopping, the final read and closing pages on a busy 2-core machine


@pytest.fixture
def small_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """The scenario's budget as ``--scenario-timeout 20`` would set it."""
    original = watchdog.Watchdog.__init__

    def capped(self, run, budget_s, pages, **kw):  # type: ignore[no-untyped-def]
        original(self, run, min(budget_s, BUDGET_S), pages, **kw)

    monkeypatch.setattr(watchdog.Watchdog, "__init__", capped)


@pytest.fixture
def no_bulk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every timer stepped by the harness clock, as when a page cannot run in bulk."""
    async def none(*args: object, **kwargs: object) -> None:
        return None

    monkeypatch.setattr(pagetime, "run_bulk", none)


@pytest.mark.browser
def test_the_retry_storm_cannot_keep_the_26h_outage_past_its_budget(tank_worlds, small_budget, no_bulk) -> None:
    scenario = next(s for s in bundled_scenarios() if s.name == "outage_26h_overflow")
    started = time.monotonic()
    result = tank_worlds.get("memory").run(load_build("mutant:retry_storm"), scenario)
    elapsed = time.monotonic() - started
    assert result.error is not None, "the storm finished within the budget: lower BUDGET_S"
    assert f"wall budget of {BUDGET_S:g} s (--scenario-timeout) was spent" in result.error, result.error
    assert "stopped after" in result.error and "step " in result.error and "had stepped" in result.error
    assert elapsed < BUDGET_S + TOLERANCE_S, f"took {elapsed:.0f} s"
