"""Scenarios run concurrently report exactly what a serial run reports: the same verdict per
guarantee and the same fate counts for every scenario (a short bundled subset, memory ingest)."""
from __future__ import annotations

import asyncio

import pytest

from harness.builds import load_build
from harness.contract.adapter import Adapter
from harness.run.suite import run_suite
from harness.world.world import WorldOptions
from tests.harness.e2e import bundled_scenarios

SUBSET = [s for s in bundled_scenarios("memory") if "smoke" in s.tags and "long" not in s.tags]


def _outcomes(workers: int) -> dict[str, tuple]:
    _, results = asyncio.run(run_suite(load_build("reference"), SUBSET, Adapter(), WorldOptions(ingest="memory"),
                                       workers=workers))
    return {r.scenario.name: (r.error, {g: v.status for g, v in r.verdict.guarantees.items()},
                              dict(r.verdict.counts)) for r in results}


@pytest.mark.browser
def test_workers_report_what_a_serial_run_reports() -> None:
    assert len(SUBSET) >= 3
    assert _outcomes(3) == _outcomes(1)
