"""The plugin's per-session state: settings, the build under test, and the pool of worlds.

Kept on ``config.stash`` so scenario items and fixtures share one world per process (under
pytest-xdist each worker is a process: one world per worker).
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.builds import Build, load_build
from harness.builds.profile import load_profile
from harness.contract.adapter import Adapter
from harness.pytest_plugin.judged import Judged
from harness.pytest_plugin.options import Settings
from harness.pytest_plugin.worlds import WorldPool, WorldThread
from harness.scenario import Scenario, load_scenario, parse_scenario
from harness.world.world import WorldOptions

ScenarioLike = Scenario | Path | str | dict[str, Any]


class Runtime:
    def __init__(self, config: pytest.Config) -> None:
        self.settings = Settings.from_config(config)
        self.pool = WorldPool(self.world_options, self.settings.allowed_ingests())
        self._builds: dict[str, Build] = {}
        self.profile = load_profile(self.settings.profile) if self.settings.profile else None
        self.adapter = self.profile.adapter if self.profile else Adapter()

    def world_options(self, ingest: str) -> WorldOptions:
        s = self.settings
        return WorldOptions(ingest=ingest, database_url=s.database_url, browser_ws=s.browser_ws,
                            browser_cdp=s.browser_cdp, trace=s.trace, artifacts_dir=s.output)

    def build(self, spec: Build | str | None = None) -> Build:
        if isinstance(spec, Build):
            return spec
        spec = spec or self.settings.tracker
        if spec not in self._builds:
            build = load_build(spec)
            self._builds[spec] = dataclasses.replace(build, profile=self.profile) if self.profile else build
        return self._builds[spec]

    def run(self, scenario: ScenarioLike, *, ingest: str | None = None, build: Build | str | None = None,
            adapter: Adapter | None = None, world: WorldThread | None = None) -> Judged:
        """Run a scenario (object, file, or a dict written like a scenario file) and judge it."""
        sc = as_scenario(scenario)
        if world is None:
            kind = ingest or ("postgres" if sc.ingest == "postgres" else self.settings.default_ingest())
            world = self.pool.get(kind)
        judged_build = self.build(build)
        result = world.run(judged_build, sc, adapter or self.adapter)
        return Judged(result, strict=self.settings.strict, profile=judged_build.profile)


def as_scenario(scenario: ScenarioLike) -> Scenario:
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, dict):
        name = str(scenario.get("name") or "inline")
        return parse_scenario(yaml.safe_dump(scenario, sort_keys=False), f"{name}.yaml")
    if isinstance(scenario, (str, Path)):
        return load_scenario(scenario)
    raise TypeError(f"a scenario is a Scenario, a file path or a dict, not {type(scenario).__name__}")


_KEY = pytest.StashKey[Runtime]()


def runtime(config: pytest.Config) -> Runtime:
    if _KEY not in config.stash:
        config.stash[_KEY] = Runtime(config)
    return config.stash[_KEY]


def close(config: pytest.Config) -> None:
    rt = config.stash.get(_KEY, None)
    if rt is not None:
        rt.pool.close()
        del config.stash[_KEY]

