"""The mutation matrix goes through the suite's per-scenario error handling: a scenario whose setup
crashes is that scenario's error, the mutant is not counted as caught there, and the matrix goes on."""
from __future__ import annotations

import asyncio

from harness.builds import list_mutants
from harness.checker import Policy, judge
from harness.contract.adapter import Adapter
from harness.contract.history import History
from harness.run import mutants as matrix
from harness.run import suite
from harness.run.scenario import ScenarioResult
from harness.scenario import parse_scenario


def _scenario(name: str, judges: str) -> object:
    return parse_scenario(f"name: {name}\njudges: [{judges}]\nsteps: [{{open: home}}]\n", f"scenarios/{name}.yaml")


def test_a_crashing_scenario_is_its_own_error_and_the_matrix_goes_on(monkeypatch) -> None:
    mutant = list_mutants()[0]
    crashing, fine = _scenario("crashes", mutant.breaks[0]), _scenario("fine", mutant.breaks[0])
    ran: list[str] = []

    async def fake_run(world, scenario, build, adapter, **_):  # noqa: ANN001, ANN202
        ran.append(scenario.name)
        if scenario.name == "crashes":
            raise RuntimeError("the stub could not bind")
        history = History(scenario=scenario.name, outbox_key=adapter.outbox_key, deadletter_key=adapter.deadletter_key)
        verdict = judge(history, list(scenario.judges), Policy())
        verdict.guarantees[mutant.breaks[0]].status = "fail"
        return ScenarioResult(scenario, history, verdict, 0.1, 0)

    monkeypatch.setattr(suite, "run_scenario", fake_run)
    monkeypatch.setattr(matrix, "scenarios_for", lambda mt, scenarios: list(scenarios))
    outcomes = [asyncio.run(matrix.run_mutant(object(), mutant, [crashing, fine], Adapter())) for _ in range(2)]
    assert ran == ["crashes", "fine", "crashes", "fine"]  # every scenario of every mutant ran
    for outcome in outcomes:
        assert set(outcome.errors) == {"crashes"}
        assert "setup failed: RuntimeError: the stub could not bind" in outcome.errors["crashes"]
        assert outcome.failed["fine"] == [mutant.breaks[0]]
        assert not outcome.caught  # a crash proves nothing
