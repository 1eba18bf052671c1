"""A scenario run is made whole: its clock at the scenario's start, reading this run, from the start."""
from __future__ import annotations

from harness.run.state import Contexts, FaultsInPlace, ScenarioRun
from harness.scenario import parse_scenario


def _run(text: str) -> ScenarioRun:
    scenario = parse_scenario(text, "scenarios/x.yaml")
    return ScenarioRun.start(world=object(), scenario=scenario, adapter=object(), site_id="s", stub=object(),
                             sync_url="http://127.0.0.1:1/api/sync", proxy_name=None, recorder=object())


def test_the_clock_is_built_with_the_run() -> None:
    run = _run("judges: [no_loss]\nstart: '2026-03-10T12:00:00Z'\nseed: 4\nsteps: [{open: home}]\n")
    assert run.clock.now == run.scenario.start_ms == run.now
    assert run.contexts == Contexts(persistent=False) and run.faults == FaultsInPlace() and run.notes == []
    assert run.rng.random() == _run("judges: [no_loss]\nseed: 4\nsteps: [{open: home}]\n").rng.random()


def test_profiles_persist_only_when_a_step_restarts_the_browser() -> None:
    run = _run("judges: [no_loss]\nsteps: [{open: home}, {restart_browser: true}, {open: home}]\n")
    assert run.contexts.persistent
