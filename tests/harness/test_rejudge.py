"""A history saved by ``--out`` is the whole run: judged again from the file, without a browser,
it gives the live run's verdicts, fates and notes — for every bundled scenario on the reference
build and every mutant on the scenarios that show it. The runs are shared with the reference and
mutant tests (``run_once``, per test process), so this costs a save and a judge per case."""
from __future__ import annotations

import pytest

from harness.builds import list_mutants
from harness.checker import judge_history
from harness.contract.history import load_history, save_history
from harness.run.mutants import scenarios_for
from tests.harness.e2e import bundled_scenarios, run_once

MEMORY = bundled_scenarios("memory")
CASES = [("reference", s) for s in MEMORY] + [
    (f"mutant:{m.name}", s) for m in list_mutants() for s in scenarios_for(m, MEMORY)]


@pytest.mark.browser
@pytest.mark.parametrize("build, scenario", CASES, ids=[f"{b}-{s.name}" for b, s in CASES])
def test_saved_history_is_judged_the_same(build, scenario, tank_run, tmp_path) -> None:
    result = run_once(tank_run, scenario, build)
    path = tmp_path / f"{scenario.name}.history.json"
    save_history(result.history, path)
    loaded = load_history(path)
    assert loaded == result.history
    again, live = judge_history(loaded).to_json(), result.verdict.to_json()
    # The live run may add hints that need the build itself (which profile would explain a
    # failure); everything judged from the history is the same, notes included up to those.
    again_notes, live_notes = again.pop("notes"), live.pop("notes")
    assert live_notes[:len(again_notes)] == again_notes
    assert again == live
    assert loaded.error == result.error
