"""Scenario files: YAML data → validated ``Scenario`` (see docs/scenarios.md for the format)."""
from __future__ import annotations

from harness.scenario.durations import parse_duration
from harness.scenario.errors import ScenarioError, ScenarioIssue
from harness.scenario.loader import load_scenario, load_scenarios, parse_scenario
from harness.scenario.model import (
    CLICK_TARGETS,
    DEFAULT_SETTLE_MS,
    DEFAULT_START,
    PAGES,
    POLICY_FIELDS,
    VISITOR_ACTIONS,
    Advance,
    Click,
    Close,
    Crash,
    Db,
    Hook,
    Navigate,
    Open,
    ProxyEnabled,
    Reload,
    RestartBrowser,
    Scenario,
    SeedEnvelope,
    SeedOutbox,
    Send,
    SetOffline,
    Step,
    StepBase,
    Storage,
    StubFault,
    Toxic,
    Visitors,
)

__all__ = [
    "CLICK_TARGETS", "DEFAULT_SETTLE_MS", "DEFAULT_START", "PAGES", "POLICY_FIELDS", "VISITOR_ACTIONS",
    "Advance", "Click", "Close", "Crash", "Db", "Hook", "Navigate", "Open", "ProxyEnabled", "Reload",
    "RestartBrowser", "Scenario", "ScenarioError", "ScenarioIssue", "SeedEnvelope", "SeedOutbox", "Send",
    "SetOffline", "Step", "StepBase", "Storage", "StubFault", "Toxic", "Visitors",
    "load_scenario", "load_scenarios", "parse_duration", "parse_scenario",
]
