"""pytest plugin (entry point ``harness.pytest_plugin`` in ``pytest11``): scenario files as test items,
world fixtures for tests written in Python, ``--tank-*`` options (docs/pytest.md)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from harness.pytest_plugin import items
from harness.pytest_plugin.fixtures import tank_build, tank_run, tank_world, tank_worlds
from harness.pytest_plugin.options import add_options

__all__ = ["tank_build", "tank_run", "tank_world", "tank_worlds"]


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "tank: a tankharness scenario file collected as a test")
    from harness.pytest_plugin.options import Settings

    settings = Settings.from_config(config)  # a bad option value stops here, before anything starts
    if settings.profile is not None:
        from harness.builds.profile import load_profile
        from harness.contract.errors import HarnessError
        from harness.pytest_plugin.deviations import Deviations

        try:
            profile = load_profile(settings.profile)
        except HarnessError as exc:
            raise pytest.UsageError(f"--tank-profile: {exc}") from None
        config.pluginmanager.register(Deviations(profile, settings.deviations), "tank-deviations")


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix in items.SUFFIXES and items.wanted(parent.config, file_path):
        return items.ScenarioFile.from_parent(parent, path=file_path)
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``--tank-shard I/N``: keep shard I of the collected tests (sorted ids, dealt round-robin)."""
    from harness.pytest_plugin.options import Settings

    shard = Settings.from_config(config).shard
    if shard is None:
        return
    from harness.run.shard import take_shard

    keep = take_shard(items, shard, key=lambda item: item.nodeid)
    kept = {id(item) for item in keep}
    dropped = [item for item in items if id(item) not in kept]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


def pytest_sessionfinish(session: pytest.Session) -> None:
    _close(session.config)  # every world this process started is stopped, pass or fail


def pytest_unconfigure(config: pytest.Config) -> None:
    _close(config)


def _close(config: pytest.Config) -> None:
    if "harness.pytest_plugin.runtime" in sys.modules:  # never imported: no world was started
        sys.modules["harness.pytest_plugin.runtime"].close(config)
