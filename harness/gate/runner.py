"""Run a baseline and a candidate build over the same seeded scenarios in one world.

Repeat ``r`` runs every scenario with its own seed plus ``r`` for both builds, alternating
baseline and candidate per scenario, so both see the same machine load and the same seeds.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from rich.console import Console

from harness.builds import Build
from harness.contract.adapter import Adapter
from harness.report.json_report import run_to_json
from harness.run.scenario import ScenarioResult
from harness.run.suite import make_report, run_scenario_or_error
from harness.scenario import Scenario
from harness.world.world import World, WorldOptions


async def run_gate(baseline: Build, candidate: Build, scenarios: list[Scenario], adapter: Adapter,
                   candidate_adapter: Adapter, options: WorldOptions, repeats: int, console: Console,
                   run_meta: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(baseline reports, candidate reports): one ``tankharness-report/1`` document per repeat."""
    base_reports: list[dict[str, Any]] = []
    cand_reports: list[dict[str, Any]] = []
    async with World(options) as world:
        for r in range(repeats):
            started = dt.datetime.now(dt.timezone.utc)
            base_results: list[ScenarioResult] = []
            cand_results: list[ScenarioResult] = []
            for scenario in scenarios:
                seeded = dataclasses.replace(scenario, seed=scenario.seed + r)
                console.print(f"[dim]repeat {r + 1}/{repeats}: {scenario.name} (seed {seeded.seed}) …[/dim]")
                base_results.append(await run_scenario_or_error(world, seeded, baseline, adapter))
                cand_results.append(await run_scenario_or_error(world, seeded, candidate, candidate_adapter))
            base_reports.append(run_to_json(make_report(world, baseline, adapter, base_results, started,
                                                        {**run_meta, "tracker": run_meta.get("baseline")})))
            cand_reports.append(run_to_json(make_report(world, candidate, candidate_adapter, cand_results, started,
                                                        {**run_meta, "tracker": run_meta.get("candidate")})))
    return base_reports, cand_reports
