"""Helpers for end-to-end tests: the bundled scenarios, inline scenario text, and builds that are
the reference behind a JavaScript prefix."""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.builds import Build, load_build
from harness.scenario import Scenario, load_scenarios, parse_scenario

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"


def bundled_scenarios(ingest: str = "memory") -> list[Scenario]:
    return [s for s in load_scenarios([SCENARIOS]) if s.ingest != "postgres" or ingest == "postgres"]


def bundled(name: str) -> Scenario:
    """One bundled scenario by name."""
    return next(s for s in load_scenarios([SCENARIOS]) if s.name == name)


def prefixed_reference(prefix: Path) -> Build:
    """The reference build with ``prefix`` (a JavaScript file) run before it: a build that differs
    from the reference, or misbehaves, by that prefix alone."""
    reference = load_build("reference")
    return dataclasses.replace(reference, name=f"prefixed:{prefix.stem}", source=prefix.read_text() + "\n" + reference.source)


def scenario_from_text(text: str, name: str = "inline.yaml") -> Scenario:
    return parse_scenario(text, name)


_ONCE: dict[tuple[str, str, str], Any] = {}


def run_once(tank_run: Callable[..., Any], scenario: Scenario, build: str, ingest: str = "memory") -> Any:
    """A build's result on a scenario, run once per test process and shared by the tests that only
    read it (the reference and mutant checks, and re-judging their saved histories)."""
    key = (build, scenario.name, ingest)
    if key not in _ONCE:
        _ONCE[key] = tank_run(scenario, build=build, ingest=ingest)
    return _ONCE[key]


def fail_fast_if_counted(what: str, counted: int, after: str) -> None:
    """In a hook: stop the scenario at once when ``what`` left ``counted`` sends counted in flight
    ``after`` it ended. A count that never ends makes every later clock stop of the scenario (the
    hook's settle, its heal and settle) wait the clock's ``travel_max_s`` for it: the test would hang
    to the scenario's time budget instead of failing with the way that leaked."""
    if counted:
        raise AssertionError(f"{what}: {counted} send(s) still counted in flight after {after} — "
                             "the instrumentation's count of that read leaks")
