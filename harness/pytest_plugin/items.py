"""Scenario YAML files as pytest items: one item per file, the guarantees' verdicts as its failure.

A YAML file is collected when it is named on the command line, or when it looks like a scenario
(top-level ``steps:``, ``visitors:`` or ``judges:``) and lies under a folder named on the command
line or listed in the ``tank_scenarios`` ini — but never merely because it sits inside one of the
project's ``testpaths`` (test fixtures there are often broken scenarios on purpose).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

SUFFIXES = (".yaml", ".yml")
_SCENARIO_KEY = re.compile(rb"^(steps|visitors|judges)\s*:", re.MULTILINE)
_SNIFF_BYTES = 256 * 1024


def looks_like_scenario(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            return bool(_SCENARIO_KEY.search(f.read(_SNIFF_BYTES)))
    except OSError:
        return False


def _arg_paths(config: pytest.Config) -> list[Path]:
    if config.args_source != pytest.Config.ArgsSource.ARGS:
        return []
    root = Path(config.invocation_params.dir)
    return [(root / a.split("::")[0]).resolve() for a in config.args]


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def wanted(config: pytest.Config, path: Path) -> bool:
    """Whether ``path`` (a YAML file) is to be collected as a scenario."""
    path = path.resolve()
    args = _arg_paths(config)
    if path in args:
        return True
    if not looks_like_scenario(path):
        return False
    if any(_inside(path, Path(p).resolve()) for p in config.getini("tank_scenarios")):
        return True
    root = Path(config.rootpath)
    testpaths = [(root / t).resolve() for t in config.getini("testpaths")]
    for arg in args:
        if arg.is_dir() and _inside(path, arg) and not any(_inside(t, arg) for t in testpaths):
            return True
    return False


class ScenarioFile(pytest.File):
    def collect(self) -> list["ScenarioItem"]:
        from harness.scenario import load_scenario

        scenario = load_scenario(self.path)
        return [ScenarioItem.from_parent(self, name=scenario.name, scenario=scenario)]

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        from harness.scenario import ScenarioError

        if isinstance(excinfo.value, ScenarioError):
            return str(excinfo.value)
        return super().repr_failure(excinfo)


class ScenarioFailed(Exception):
    """A judged guarantee failed (or the scenario could not run)."""

    def __init__(self, judged: Any) -> None:
        super().__init__(judged.explain())
        self.judged = judged


class ScenarioItem(pytest.Item):
    def __init__(self, *, scenario: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario
        self.add_marker("tank")
        known = {line.split(":")[0].strip() for line in self.config.getini("markers")}
        for tag in scenario.tags:
            if tag not in known:  # registered, so --strict-markers accepts tags as markers
                self.config.addinivalue_line("markers", f"{tag}: scenario tag")
            self.add_marker(tag)

    def runtest(self) -> None:
        from harness.pytest_plugin.runtime import runtime

        rt = runtime(self.config)
        ingest = rt.settings.default_ingest()
        if self.scenario.ingest == "postgres" and ingest != "postgres":
            pytest.skip(f"scenario {self.scenario.name} needs PostgreSQL (--tank-ingest postgres or DATABASE_URL)")
        judged = rt.run(self.scenario, ingest=ingest)
        self.user_properties.extend(judged.properties())
        if not judged.passed:
            raise ScenarioFailed(judged)
        self.add_report_section("call", "tank verdicts", judged.explain())  # shown by -rP

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, ScenarioFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"scenario: {self.name}"
