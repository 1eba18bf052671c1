"""What the plugin's tests share: the repository's scenarios and how to start an inner pytest."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

# pytester's in-process sessions drop the modules they imported when they end; a later session
# would import fresh copies beside stale ones (two ``Open`` classes). Imported here, they stay.
import harness.pytest_plugin.runtime  # noqa: F401
import harness.run.suite  # noqa: F401
import harness.toxiproxy.client  # noqa: F401
import harness.toxiproxy.service  # noqa: F401
import server_stub.memory_store  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
PLUGIN = ("-p", "harness.pytest_plugin", "-p", "no:playwright", "-o", "asyncio_default_fixture_loop_scope=function")


def copy_scenarios(pytester: pytest.Pytester, *names: str, folder: str = "scenarios") -> Path:
    """Bundled scenario files copied into the inner session's folder."""
    target = pytester.path / folder
    target.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(SCENARIOS / f"{name}.yaml", target / f"{name}.yaml")
    return target
