"""Each vocabulary is declared once and everything else reads it: toxic attributes (the embedded
proxy's toxic classes), adapter defaults (``Adapter``), checker policy settings (``Policy``)."""
from __future__ import annotations

import dataclasses

from harness.checker.policy import Policy
from harness.cli.run import run as run_command
from harness.contract.adapter import Adapter
from harness.scenario import POLICY_FIELDS
from harness.scenario.toxics import REQUIRED_ATTRIBUTE, TOXIC_ATTRIBUTES
from harness.toxiproxy.toxics import REGISTRY


def test_toxic_attributes_come_from_the_proxy_classes() -> None:
    assert set(TOXIC_ATTRIBUTES) == set(REGISTRY) - {"noop"}
    for name, attrs in TOXIC_ATTRIBUTES.items():
        assert list(attrs) == [f.name for f in dataclasses.fields(REGISTRY[name])]
    assert REQUIRED_ATTRIBUTE["latency"] == "latency" and "reset_peer" not in REQUIRED_ATTRIBUTE


def test_cli_adapter_defaults_are_the_adapters() -> None:
    defaults = {p.name: p.default for p in run_command.params}
    adapter = Adapter()
    for name in ("site_attr", "api_attr", "outbox_key", "api_name"):
        assert defaults[name] == getattr(adapter, name)
    assert defaults["deadletter_key"] == adapter.deadletter_key


def test_policy_settings_are_policy_fields() -> None:
    declared = {f.name: f.metadata["kind"] for f in dataclasses.fields(Policy) if f.metadata.get("scenario")}
    assert POLICY_FIELDS == declared and "click_debounce_ms" not in POLICY_FIELDS  # a build profile's, not a scenario's
