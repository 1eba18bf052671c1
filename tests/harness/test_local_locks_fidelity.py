"""Builds that serialise their outbox with Web Locks, across tabs, get the same verdicts and fates
whether a bulk run arbitrates the page's locks in the page (the default) or every grant goes
through the browser — and one tab fires as many timers: a grant made in the page before the other
timers of its instant had run let the storm's passes stop coalescing (2 h outage: 4,945 timers
instead of 3,039, same fates). With two tabs stepping side by side the count varies by a timer or
so between runs either way (which tab finds the lock taken is a real-time race): not compared. Duplicate counts are left out as in test_workers.py (Chromium's own re-sends
of a POST on a broken keep-alive connection depend on real timing)."""
from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

import pytest

from harness.builds import load_build
from harness.builds.profile import load_profile
from harness.checker.verdict import BY_REAL_TIME
from harness.run import pagetime
from tests.harness.e2e import bundled_scenarios

FOREIGN = Path(__file__).resolve().parents[2] / "tracker_js" / "foreign"

# (build, scenario, timers compared): the reference and tagq share one outbox between two tabs
# (tagq's sender is a Web Lock); the storm's 5 s chains take two locks per timer and meet at one instant.
CASES = [("reference", "two_tabs", False), ("tagq", "two_tabs", False),
         ("mutant:retry_storm", "retry_cadence", True), ("mutant:retry_storm", "outage_overflow_short", True)]


def _outcome(result, timers: bool) -> tuple:  # noqa: ANN001
    assert result.error is None, result.error
    return ({g: v.status for g, v in result.verdict.guarantees.items()},
            {fate: n for fate, n in result.verdict.counts.items() if fate != "duplicated" and fate not in BY_REAL_TIME},
            result.history.meta.get("clock_timers") if timers else None)


def _run(tank_worlds, build_name: str, scenario: str):  # noqa: ANN001, ANN202
    sc = next(s for s in bundled_scenarios() if s.name == scenario)
    if build_name.startswith(("reference", "mutant:")):
        return tank_worlds.get("memory").run(load_build(build_name), sc)
    profile = load_profile(FOREIGN / "profiles" / f"{build_name}.yaml")
    build = dataclasses.replace(load_build(str(FOREIGN / f"{build_name}.js")), profile=profile)
    return tank_worlds.get("memory").run(build, sc, profile.adapter)


@pytest.mark.browser
@pytest.mark.parametrize("build,scenario,timers", CASES, ids=[f"{b}-{s}" for b, s, _ in CASES])
def test_the_same_fates_with_and_without_in_page_lock_arbitration(
        tank_worlds, monkeypatch: pytest.MonkeyPatch, build: str, scenario: str, timers: bool) -> None:  # noqa: ANN001
    in_page = _outcome(_run(tank_worlds, build, scenario), timers)
    monkeypatch.setattr(pagetime, "run_bulk", functools.partial(pagetime.run_bulk, local_locks=False))
    through_browser = _outcome(_run(tank_worlds, build, scenario), timers)
    assert in_page == through_browser
