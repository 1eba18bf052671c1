"""Scenarios run concurrently: input order kept, shared-world scenarios alone, nothing left running."""
from __future__ import annotations

import asyncio

import pytest

from harness.run.pool import default_workers, expected_cost, run_pool, runs_alone
from harness.scenario import parse_scenario

PLAIN = "judges: [no_loss]\nsteps:\n  - open: home\n  - advance: 1s\n"
DB = "judges: [no_loss]\ningest: postgres\nsteps:\n  - open: home\n  - db: stop\n  - db: start\n"


def _scenarios(n_plain: int, n_db: int) -> list:
    return ([parse_scenario(PLAIN, f"p{i}.yaml") for i in range(n_plain)]
            + [parse_scenario(DB, f"d{i}.yaml") for i in range(n_db)])


async def test_results_come_back_in_input_order_with_at_most_n_at_once() -> None:
    scenarios = _scenarios(6, 0)
    running, peak = 0, 0

    async def one(s):  # noqa: ANN001, ANN202
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.02 * (6 - int(s.name[1:])))  # later ones finish first
        running -= 1
        return s.name

    assert await run_pool(scenarios, one, 3) == [s.name for s in scenarios]
    assert peak == 3


async def test_a_scenario_that_stops_the_database_runs_alone() -> None:
    scenarios = _scenarios(3, 2)
    assert [runs_alone(s) for s in scenarios] == [False, False, False, True, True]
    running: set[str] = set()
    overlaps: list[set[str]] = []

    async def one(s):  # noqa: ANN001, ANN202
        running.add(s.name)
        overlaps.append(set(running))
        await asyncio.sleep(0.01)
        running.discard(s.name)
        return s.name

    await run_pool(scenarios, one, 4)
    assert all(len(o) == 1 for o in overlaps if o & {"d0", "d1"}), overlaps


async def test_the_longest_scenario_starts_first_and_results_keep_input_order() -> None:
    long = parse_scenario("judges: [no_loss]\nsteps:\n  - open: home\n  - advance: 26h\n", "long.yaml")
    jumps = parse_scenario("judges: [no_loss]\nsteps:\n  - open: home\n  - jump: 48h\n", "jumps.yaml")
    scenarios = [*_scenarios(3, 1), jumps, long]
    assert expected_cost(long) > expected_cost(scenarios[0]) >= expected_cost(jumps) - 1
    started: list[str] = []

    async def one(s):  # noqa: ANN001, ANN202
        started.append(s.name)
        await asyncio.sleep(0.01)
        return s.name

    assert await run_pool(scenarios, one, 2) == [s.name for s in scenarios]
    assert started[0] == "long" and started[-1] == "d0"


def test_time_under_a_toxic_and_a_browser_restart_rank_a_scenario_early() -> None:
    """Under a toxic the clock steps every timer and every 100 ms slice of bytes; a restart launches
    a second Chromium: a few minutes of that outlast an hour run in bulk (measured alone:
    bandwidth_slicer 9-17 s, browser_restart 5-9 s, most scenarios 1-3 s)."""
    hour = parse_scenario("judges: [no_loss]\nsteps:\n  - open: home\n  - advance: 1h\n", "hour.yaml")
    trickle = parse_scenario("judges: [no_loss]\nsteps:\n  - open: home\n"
                             "  - toxic: {add: {type: bandwidth, stream: downstream, attributes: {rate: 20}}}\n"
                             "  - advance: 6m\n", "trickle.yaml")
    healed = parse_scenario("judges: [no_loss]\nsteps:\n  - open: home\n"
                            "  - toxic: {add: {type: bandwidth, stream: downstream, attributes: {rate: 20}}}\n"
                            "  - toxic: {remove: bandwidth_downstream}\n  - advance: 6m\n", "healed.yaml")
    restart = parse_scenario("judges: [no_loss]\nsteps:\n  - open: home\n  - advance: 10s\n"
                             "  - restart_browser: true\n  - open: home\n  - advance: 5s\n", "restart.yaml")
    assert expected_cost(trickle) > expected_cost(restart) > expected_cost(hour) > expected_cost(healed)


async def test_a_failure_cancels_the_others() -> None:
    started: list[str] = []

    async def one(s):  # noqa: ANN001, ANN202
        started.append(s.name)
        if s.name == "p0":
            raise RuntimeError("environment gone")
        await asyncio.sleep(10)

    with pytest.raises(RuntimeError):
        await asyncio.wait_for(run_pool(_scenarios(3, 0), one, 3), 5)


def test_default_workers_is_sensible() -> None:
    assert 1 <= default_workers() <= 6
