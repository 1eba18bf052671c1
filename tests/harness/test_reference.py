"""The reference build keeps every promise: every guarantee of every bundled scenario holds,
and every guarantee a scenario judges is actually exercised (never vacuous)."""
from __future__ import annotations

import pytest

from tests.harness.e2e import bundled_scenarios, run_all

SCENARIOS = bundled_scenarios()


@pytest.mark.browser
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_reference_passes(scenario, explain) -> None:
    [result] = run_all("reference", [scenario])
    assert result.error is None, explain(result)
    statuses = {g: r.status for g, r in result.verdict.guarantees.items() if g in scenario.judges}
    assert all(s == "pass" for s in statuses.values()), explain(result)
    assert result.verdict.counts["lost"] == 0, explain(result)
    assert result.verdict.counts["unexpected"] == 0, explain(result)
