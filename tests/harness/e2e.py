"""Helpers for end-to-end tests: run scenarios in a real world (Chromium, stub, fault proxy)."""
from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from harness.contract.adapter import Adapter
from harness.builds import Build, load_build
from harness.run.scenario import ScenarioResult, run_scenario
from harness.scenario import Scenario, load_scenarios, parse_scenario
from harness.world.postgres import PostgresUnavailable, find_binaries
from harness.world.world import World, WorldOptions

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"


def postgres_available() -> bool:
    try:
        find_binaries()
    except PostgresUnavailable:
        return False
    return True


def bundled_scenarios(ingest: str = "memory") -> list[Scenario]:
    return [s for s in load_scenarios([SCENARIOS]) if s.ingest != "postgres" or ingest == "postgres"]


class WorldThread:
    """A world on its own event loop in a background thread, shared by many synchronous tests.

    Starting Chromium, the fault proxy and PostgreSQL once per session instead of once per test
    keeps the suite fast; each scenario still gets its own stub, proxy listener and contexts.
    """

    def __init__(self, options: WorldOptions) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="tank-world", daemon=True)
        self.world = World(options)

    def call(self, coro: Coroutine[Any, Any, Any], timeout: float = 600) -> Any:
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()  # a runaway scenario must not keep running into the next test
            raise

    def __enter__(self) -> "WorldThread":
        self.thread.start()
        try:
            self.call(self.world.__aenter__(), timeout=120)
        except BaseException:
            self._stop_loop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.call(self.world.__aexit__(None, None, None), timeout=120)
        finally:
            self._stop_loop()

    def _stop_loop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)
        self.loop.close()

    def run(self, build: Build | str, scenario: Scenario, adapter: Adapter | None = None) -> ScenarioResult:
        b = load_build(build) if isinstance(build, str) else build
        return self.call(run_scenario(self.world, scenario, b, adapter or Adapter()))


def run_all(build: Build | str, scenarios: list[Scenario], options: WorldOptions | None = None,
            adapter: Adapter | None = None) -> list[ScenarioResult]:
    """Run scenarios against a build in one fresh world of their own."""
    with WorldThread(options or WorldOptions()) as wt:
        return [wt.run(build, s, adapter) for s in scenarios]


def scenario_from_text(text: str, name: str = "inline.yaml") -> Scenario:
    return parse_scenario(text, name)
