"""The proof the checks can fail: every mutant fails a guarantee it declares it breaks."""
from __future__ import annotations

import pytest

from harness.builds import list_mutants, load_build
from harness.mutation import scenarios_for
from tests.harness.e2e import bundled_scenarios, run_all

MUTANTS = list_mutants()
SCENARIOS = bundled_scenarios()


@pytest.mark.browser
@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_mutant_is_caught(mutant, explain) -> None:
    chosen = scenarios_for(mutant, SCENARIOS)
    assert chosen, f"no bundled scenario shows mutant {mutant.name}"
    results = run_all(load_build(f"mutant:{mutant.name}"), chosen)
    failed = {r.scenario.name: [g for g, v in r.verdict.guarantees.items() if v.status == "fail"] for r in results}
    caught = [s for s, gs in failed.items() if set(gs) & set(mutant.breaks)]
    assert caught, f"{mutant.name} (breaks {mutant.breaks}) survived: " + "\n".join(explain(r) for r in results)
