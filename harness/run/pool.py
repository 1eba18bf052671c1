"""Scenarios run concurrently in one world, each in its own contexts, stub and proxy listener.

Results come back in the order the scenarios were given, so a run with ``--workers N`` reports
exactly what a serial run reports. A scenario that acts on what all scenarios share — the
database (``db`` steps) or anything a ``hook`` may touch — runs alone.
"""
from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from typing import TypeVar

from harness.run.tasks import gather_or_cancel
from harness.scenario import model as m

T = TypeVar("T")
J = TypeVar("J")


def default_workers() -> int:
    """Two per core, at most 6: pages mostly wait on each other and the network, not the CPU."""
    return max(1, min(6, 2 * (os.cpu_count() or 1)))


def expected_cost(scenario: "m.Scenario") -> float:
    """A rough guess of a scenario's cost, to start the long ones first: one unit per step (each
    opens, clicks or stops the clock a few times) and per visitor, plus ten per hour of page time
    run timer by timer (a build's heartbeats and retries fire all along; ``jump`` fires none).

    Two things cost far more than their page time says. Under a toxic the clock steps every timer
    and every held slice of bytes (a bandwidth trickle stops it every 100 ms of page time) and each
    stop waits for the toxic's holds: ten per page minute run and ten per ``advance`` run under a
    toxic. ``restart_browser`` launches a second Chromium with a profile on disk: forty.
    (Measured alone: bandwidth_slicer 9-17 s and browser_restart 5-9 s against 1-3 s for most
    scenarios; ranked 5th and 15th by steps and page time, they ended the matrix late.)

    Only the order of the runs follows it, never a result. Started last, a 26-hour scenario alone
    outlasts the rest of the matrix (longest-processing-time-first scheduling)."""
    run_ms = sum(s.ms for s in scenario.steps if isinstance(s, m.Advance) and s.mode == "run") + scenario.settle_ms
    visitors = scenario.visitors.count * len(scenario.visitors.actions) if scenario.visitors is not None else 0
    toxics, toxic_ms, toxic_runs, restarts = 0, 0, 0, 0
    for step in scenario.steps:
        if isinstance(step, m.Toxic):
            toxics = max(0, toxics + {"add": 1, "remove": -1}.get(step.op, 0))
        elif isinstance(step, m.RestartBrowser):
            restarts += 1
        elif isinstance(step, m.Advance) and step.mode == "run" and toxics:
            toxic_ms, toxic_runs = toxic_ms + step.ms, toxic_runs + 1
    return (len(scenario.steps) + visitors + 10 * run_ms / 3_600_000
            + 10 * toxic_ms / 60_000 + 10 * toxic_runs + 40 * restarts)


def runs_alone(scenario: "m.Scenario") -> bool:
    """A scenario whose steps reach what other scenarios of the world share."""
    return any(isinstance(s, (m.Db, m.Hook)) for s in scenario.steps)


class _Gate:
    """Many shared holders or one exclusive holder (a reader-writer lock over the world)."""

    def __init__(self) -> None:
        self._shared = 0
        self._exclusive = False
        self._changed = asyncio.Condition()

    async def enter(self, alone: bool) -> None:
        async with self._changed:
            await self._changed.wait_for(lambda: not self._exclusive and (not alone or self._shared == 0))
            if alone:
                self._exclusive = True
            else:
                self._shared += 1

    async def leave(self, alone: bool) -> None:
        async with self._changed:
            if alone:
                self._exclusive = False
            else:
                self._shared -= 1
            self._changed.notify_all()


async def run_pool(jobs: list[J], run_one: Callable[[J], Awaitable[T]], workers: int,
                   scenario_of: Callable[[J], "m.Scenario"] = lambda job: job) -> list[T]:  # type: ignore[assignment,return-value]
    """Run ``run_one`` over the jobs (scenarios, or e.g. a build and a scenario: ``scenario_of``
    names each job's scenario) with at most ``workers`` at once; results in input order.

    Jobs whose scenario runs alone go last, so they never hold the others back while they wait;
    the others start longest first (``expected_cost``), so the longest never starts last."""
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    order = sorted(range(len(jobs)), key=lambda i: (runs_alone(scenario_of(jobs[i])),
                                                    -expected_cost(scenario_of(jobs[i]))))
    slots = asyncio.Semaphore(workers)
    gate = _Gate()
    results: dict[int, T] = {}

    async def one(i: int) -> None:
        alone = runs_alone(scenario_of(jobs[i]))
        async with slots:
            await gate.enter(alone)
            try:
                results[i] = await run_one(jobs[i])
            finally:
                await gate.leave(alone)

    await gather_or_cancel(one(i) for i in order)
    return [results[i] for i in range(len(jobs))]
