"""Fixtures for tests written in Python: the world, the build under test, a scenario runner."""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # the harness (Playwright …) is imported when a fixture is first used
    from harness.builds import Build
    from harness.pytest_plugin.judged import Judged
    from harness.pytest_plugin.worlds import WorldPool, WorldThread


def runtime(config: pytest.Config) -> Any:
    from harness.pytest_plugin.runtime import runtime as get

    return get(config)


@pytest.fixture(scope="session")
def tank_worlds(pytestconfig: pytest.Config) -> "WorldPool":
    """Every world of the session by ingest: ``tank_worlds.get("memory")`` / ``get("postgres")``."""
    return runtime(pytestconfig).pool


@pytest.fixture(scope="session")
def tank_world(pytestconfig: pytest.Config) -> "WorldThread":
    """The session's world (Chromium, fault proxy, store per ``--tank-ingest``), started once."""
    rt = runtime(pytestconfig)
    return rt.pool.get(rt.settings.default_ingest())


@pytest.fixture(scope="session")
def tank_build(pytestconfig: pytest.Config) -> "Build":
    """The build under test (``--tank-tracker``, default the reference tracker)."""
    return runtime(pytestconfig).build()


@pytest.fixture
def tank_run(pytestconfig: pytest.Config) -> Callable[..., "Judged"]:
    """``tank_run(scenario, build=None, adapter=None, ingest=None, world=None) -> Judged``.

    ``scenario`` is a file path, a dict written like a scenario file, or a ``Scenario``; the build
    defaults to ``--tank-tracker``. The result has ``passed``, ``explain()``, ``verdict``, ``history``.
    """
    rt = runtime(pytestconfig)

    def run(scenario: Any, **kwargs: Any) -> Judged:
        return rt.run(scenario, **kwargs)

    return run
