"""Scenario files: YAML data → validated ``Scenario`` (see docs/scenarios.md for the format)."""
from __future__ import annotations

from harness.lazy import exported, lazy_attributes

# Names resolve on first use: importing the package (the CLI does, for its errors) must not load
# the whole format, which loads the embedded proxy's toxic classes and aiohttp with it.
EXPORTS = {
    "harness.scenario.model": (
        "CLICK_TARGETS", "DEFAULT_SETTLE_MS", "DEFAULT_START", "PAGES", "POLICY_FIELDS",
        "VISITOR_ACTIONS", "Advance", "Click", "Close", "Crash", "Db", "Hook", "Navigate", "Open",
        "ProxyEnabled", "Reload", "RestartBrowser", "Scenario", "SeedEnvelope", "SeedOutbox",
        "Send", "SetOffline", "Step", "StepBase", "Storage", "StubFault", "Toxic", "Visitors"),
    "harness.scenario.errors": ("ScenarioError", "ScenarioIssue"),
    "harness.scenario.loader": ("load_scenario", "load_scenarios", "parse_scenario"),
    "harness.scenario.durations": ("parse_duration",),
}
__getattr__ = lazy_attributes(__name__, EXPORTS)

__all__ = exported(EXPORTS)
