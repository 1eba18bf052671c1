"""Helpers for end-to-end tests: run scenarios in a real world (Chromium, stub, fault proxy)."""
from __future__ import annotations

import asyncio
from pathlib import Path

from harness.adapter import Adapter
from harness.builds import Build, load_build
from harness.runner import ScenarioResult, run_scenario
from harness.scenario import Scenario, load_scenarios, parse_scenario
from harness.world.world import World, WorldOptions

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"


def bundled_scenarios(ingest: str = "memory") -> list[Scenario]:
    return [s for s in load_scenarios([SCENARIOS]) if s.ingest != "postgres" or ingest == "postgres"]


def run_all(build: Build | str, scenarios: list[Scenario], options: WorldOptions | None = None,
            adapter: Adapter | None = None) -> list[ScenarioResult]:
    """Run scenarios against a build in one fresh world (own event loop: tests stay synchronous)."""
    b = load_build(build) if isinstance(build, str) else build

    async def go() -> list[ScenarioResult]:
        async with World(options or WorldOptions()) as world:
            return [await run_scenario(world, s, b, adapter or Adapter()) for s in scenarios]

    return asyncio.run(go())


def scenario_from_text(text: str, name: str = "inline.yaml") -> Scenario:
    return parse_scenario(text, name)


