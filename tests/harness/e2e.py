"""Helpers for end-to-end tests: the bundled scenarios and inline scenario text."""
from __future__ import annotations

from pathlib import Path

from harness.scenario import Scenario, load_scenarios, parse_scenario

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"


def bundled_scenarios(ingest: str = "memory") -> list[Scenario]:
    return [s for s in load_scenarios([SCENARIOS]) if s.ingest != "postgres" or ingest == "postgres"]


def scenario_from_text(text: str, name: str = "inline.yaml") -> Scenario:
    return parse_scenario(text, name)
