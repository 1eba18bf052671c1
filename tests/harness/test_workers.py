"""Scenarios run concurrently report exactly what a serial run reports: the same verdict per
guarantee and the same fate counts for every bundled scenario (memory ingest).

The serial side is the results the reference tests already hold (``run_once``: each scenario run
alone, once per test process), so the check costs one concurrent run of the matrix. The number of
transport duplicates is left out: Chromium re-sends a POST by itself when a reused keep-alive
connection breaks, depending on real timing, so it varies between two serial runs too
(reset_peer, response_lost_limit_data); whether each event is stored once is the exactly_once verdict."""
from __future__ import annotations

import asyncio

import pytest

from harness.builds import load_build
from harness.contract.adapter import Adapter
from harness.run.suite import run_suite
from harness.world.world import WorldOptions
from tests.harness.e2e import bundled_scenarios, run_once

MEMORY = bundled_scenarios("memory")
WORKERS = 4


def outcome(result) -> tuple:  # noqa: ANN001 - a ScenarioResult or the plugin's Judged
    return (result.error is None, {g: v.status for g, v in result.verdict.guarantees.items()},
            {fate: n for fate, n in result.verdict.counts.items() if fate != "duplicated"})


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.timeout(1200)  # run alone, the serial side is a whole serial matrix too (~400 s at load 20)
def test_workers_report_what_a_serial_run_reports(tank_run) -> None:
    _, results = asyncio.run(run_suite(load_build("reference"), MEMORY, Adapter(), WorldOptions(ingest="memory"),
                                       workers=WORKERS))
    concurrent = {r.scenario.name: outcome(r) for r in results}
    serial = {s.name: outcome(run_once(tank_run, s, "reference")) for s in MEMORY}
    assert len(concurrent) == len(MEMORY) >= 30
    differ = {n: (serial[n], concurrent[n]) for n in serial if serial[n] != concurrent[n]}
    assert not differ, differ
