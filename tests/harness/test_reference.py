"""The reference build keeps every promise: every guarantee of every bundled scenario holds,
and every guarantee a scenario judges is actually exercised (never vacuous). With PostgreSQL
behind the Sync endpoint, every delivered event is stored exactly once at rest, in every scenario."""
from __future__ import annotations

import pytest

from tests.harness.e2e import bundled_scenarios, run_once

MEMORY = bundled_scenarios("memory")
ALL = bundled_scenarios("postgres")


def assert_reference_passes(result, scenario) -> None:
    assert result.error is None, result.explain()
    # The clock reads Playwright's timer queue; after an upgrade that hides it, say so here.
    assert result.history.meta["clock_fallback"] is False, "page clock internals unreadable: slow fallback used"
    statuses = {g: r.status for g, r in result.verdict.guarantees.items() if g in scenario.judges}
    assert all(s == "pass" for s in statuses.values()), result.explain()
    assert result.verdict.counts["lost"] == 0, result.explain()
    assert result.verdict.counts["unexpected"] == 0, result.explain()


@pytest.mark.browser
@pytest.mark.parametrize("scenario", MEMORY, ids=[s.name for s in MEMORY])
def test_reference_passes(scenario, tank_run) -> None:
    result = run_once(tank_run, scenario, "reference")
    assert_reference_passes(result, scenario)


@pytest.mark.browser
@pytest.mark.postgres
@pytest.mark.parametrize("scenario", ALL, ids=[s.name for s in ALL])
def test_reference_exactly_once_at_rest(scenario, tank_run) -> None:
    result = tank_run(scenario, build="reference", ingest="postgres")
    assert_reference_passes(result, scenario)
    assert result.history.at_rest_source == "postgres"
    at_rest = result.verdict.guarantees["exactly_once"]
    assert at_rest.violations == [] and at_rest.evidence > 0, result.explain()
