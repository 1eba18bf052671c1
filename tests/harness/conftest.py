"""Fixtures for end-to-end tests."""
from __future__ import annotations

import pytest

from harness.runner import ScenarioResult


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
