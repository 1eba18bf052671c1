"""The mutation matrix goes through the worker pool: every (mutant, scenario) run happens once,
and the outcomes are those of a serial run, in mutant order, whatever order the runs end in."""
from __future__ import annotations

import asyncio
import random

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


def test_mutants_run_concurrently_report_what_a_serial_run_reports(monkeypatch) -> None:
    mutants = list_mutants()[:4]
    scenarios = [_scenario(f"s{i}", mt.breaks[0]) for i, mt in enumerate(mutants)]
    ran: list[tuple[str, str]] = []
    jitter = random.Random(7)

    async def fake_run(world, scenario, build, adapter, **_):  # noqa: ANN001, ANN202
        await asyncio.sleep(jitter.random() / 100)  # runs end out of order
        ran.append((build.name, scenario.name))
        history = History(scenario=scenario.name, outbox_key=adapter.outbox_key, deadletter_key=adapter.deadletter_key)
        verdict = judge(history, list(scenario.judges), Policy())
        if scenario.name.endswith(build.name[-1:]) or scenario.name == "s0":  # some runs catch, some do not
            verdict.guarantees[scenario.judges[0]].status = "fail"
        return ScenarioResult(scenario, history, verdict, 0.1, 0)

    monkeypatch.setattr(suite, "run_scenario", fake_run)
    monkeypatch.setattr(matrix, "scenarios_for", lambda mt, ss: list(ss))
    serial = asyncio.run(matrix.run_mutants(object(), mutants, scenarios, Adapter(), workers=1))
    ran_serial, ran[:] = list(ran), []
    concurrent = asyncio.run(matrix.run_mutants(object(), mutants, scenarios, Adapter(), workers=3))
    assert sorted(ran) == sorted(ran_serial) and len(ran) == len(mutants) * len(scenarios)
    assert [o.__dict__ for o in concurrent] == [o.__dict__ for o in serial]
    assert [o.mutant for o in concurrent] == [mt.name for mt in mutants]
