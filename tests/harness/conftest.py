"""Fixtures for end-to-end tests: shared worlds and a readable explanation of a result."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.run.scenario import ScenarioResult
from harness.world.world import WorldOptions
from tests.harness.e2e import WorldThread, postgres_available


@pytest.fixture(scope="session")
def memory_world(request: pytest.FixtureRequest) -> Iterator[WorldThread]:
    if request.config.getoption("--ingest") == "postgres":
        pytest.skip("--ingest postgres: the in-memory world is not used")
    with WorldThread(WorldOptions(ingest="memory")) as wt:
        yield wt


@pytest.fixture(scope="session")
def postgres_world(request: pytest.FixtureRequest) -> Iterator[WorldThread]:
    if request.config.getoption("--ingest") == "memory":
        pytest.skip("--ingest memory: the PostgreSQL world is not used")
    if not postgres_available():
        pytest.skip("PostgreSQL server binaries not found (make setup installs them)")
    with WorldThread(WorldOptions(ingest="postgres")) as wt:
        yield wt


@pytest.fixture
def explain():
    """Format a result for assertion messages: the violations say what went wrong."""

    def fmt(result: ScenarioResult) -> str:
        lines = [f"scenario {result.scenario.name}: error={result.error!r}"]
        for gid, g in result.verdict.guarantees.items():
            lines.append(f"  {gid}: {g.status} (evidence {g.evidence}) {'; '.join(g.violations[:5])}")
        lines.append(f"  counts: {result.verdict.counts}")
        return "\n".join(lines)

    return fmt
