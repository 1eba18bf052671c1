"""A scenario run is made whole: its clock at the scenario's start, reading this run, from the start."""
from __future__ import annotations

import asyncio

import pytest

from harness.run.state import Contexts, FaultsInPlace, ScenarioRun
from harness.scenario import parse_scenario


def _run(text: str) -> ScenarioRun:
    scenario = parse_scenario(text, "scenarios/x.yaml")
    return ScenarioRun.start(world=object(), scenario=scenario, adapter=object(), site_id="s", stub=object(),
                             sync_url="http://127.0.0.1:1/api/sync", proxy_name=None, recorder=object())


def test_the_clock_is_built_with_the_run() -> None:
    run = _run("judges: [no_loss]\nstart: '2026-03-10T12:00:00Z'\nseed: 4\nsteps: [{open: home}]\n")
    assert run.clock.now == run.scenario.start_ms == run.now
    # its one context, one tab and nothing else: recorded through the tab (visitors.scripted_tab_channel)
    assert run.contexts == Contexts(persistent=False, tab_channel=frozenset({"main"}))
    assert run.faults == FaultsInPlace() and run.notes == []
    assert run.rng.random() == _run("judges: [no_loss]\nseed: 4\nsteps: [{open: home}]\n").rng.random()


def test_profiles_persist_only_when_a_step_restarts_the_browser() -> None:
    run = _run("judges: [no_loss]\nsteps: [{open: home}, {restart_browser: true}, {open: home}]\n")
    assert run.contexts.persistent


class _Flushing:
    """A context whose flush waits for its observer's round trip (``gate``), or fails."""

    def __init__(self, name: str, log: list[str], gate: "asyncio.Event", fail: bool = False) -> None:
        self.name, self.log, self.gate, self.fail = name, log, gate, fail

    async def flush(self) -> None:
        self.log.append(f"start {self.name}")
        await self.gate.wait()
        self.log.append(f"end {self.name}")
        if self.fail:
            raise RuntimeError(f"{self.name} failed")


async def test_every_context_flushes_side_by_side_and_the_first_failure_is_raised_after_all_end() -> None:
    run = _run("judges: [no_loss]\nsteps: [{open: home}]\n")
    log: list[str] = []
    gate = asyncio.Event()
    run.contexts.sessions = {n: _Flushing(n, log, gate, fail=n in ("b", "c")) for n in "abcd"}  # type: ignore[misc]
    flushing = asyncio.ensure_future(run.flush())
    for _ in range(5):
        await asyncio.sleep(0)
    assert log == ["start a", "start b", "start c", "start d"]  # none waited for another's round trip
    gate.set()
    with pytest.raises(RuntimeError, match="b failed") as raised:
        await flushing
    assert sorted(log[4:]) == ["end a", "end b", "end c", "end d"]
    assert raised.value.__notes__ == ["context c's flush failed too: RuntimeError: c failed"]  # not dropped
