"""The proof the checks can fail: every mutant fails a guarantee it declares it breaks, in every
bundled scenario that it says shows it. With PostgreSQL, a build without meta.eid (or with a fresh one per
attempt) leaves duplicates at rest, and the checker says so."""
from __future__ import annotations

import pytest

from harness.builds import list_mutants
from harness.run.mutants import scenarios_for
from tests.harness.e2e import bundled_scenarios, run_once

MUTANTS = list_mutants()
SCENARIOS = bundled_scenarios("memory")


@pytest.mark.browser
@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_mutant_is_caught(mutant, tank_run) -> None:
    chosen = scenarios_for(mutant, SCENARIOS)
    assert chosen, f"no bundled scenario shows mutant {mutant.name}"
    results = [run_once(tank_run, s, f"mutant:{mutant.name}") for s in chosen]
    assert all(r.error is None for r in results), "\n".join(r.explain() for r in results if r.error)
    failed = {r.scenario.name: [g for g, v in r.verdict.guarantees.items() if v.status == "fail"] for r in results}
    survived = [s for s, gs in failed.items() if not set(gs) & set(mutant.breaks)]
    assert not survived, f"{mutant.name} (breaks {mutant.breaks}) survived {survived}: " + "\n".join(
        r.explain() for r in results if r.scenario.name in survived)


@pytest.mark.browser
@pytest.mark.postgres
@pytest.mark.parametrize("mutant", ["no_eid", "new_id_per_retry"])
def test_duplicates_at_rest_in_postgres(mutant, tank_run) -> None:
    [scenario] = [s for s in bundled_scenarios("postgres") if s.name == "pg_duplicates_collapse"]
    result = tank_run(scenario, build=f"mutant:{mutant}", ingest="postgres")
    at_rest = result.verdict.guarantees["exactly_once"]
    assert at_rest.status == "fail", result.explain()
    assert any("times at rest" in v for v in at_rest.violations), at_rest.violations
