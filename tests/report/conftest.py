"""A small run with one passing and one failing scenario, built by hand and judged for real."""
from __future__ import annotations

import pytest

from harness.checker import judge
from harness.report.model import RunReport, ScenarioEntry
from tests.checker.builders import HB


def passing():
    b = HB("happy")
    e = b.env("aaaa1111-pass")
    b.add(e)
    b.deliver(e)
    b.rows(e)
    return judge(b.build(), ["no_loss", "exactly_once", "retry"])


def failing():
    b = HB("outage")
    good = b.env("bbbb2222-good")
    b.add(good)
    b.deliver(good)
    lost = b.env("cccc3333-lost", ec="conversion", ea="phone_call", el="tel:\x00+90 <&>")
    b.add(lost)
    b.send(lost, status=503)
    b.remove(lost.id)
    b.journal({"ec": "x", "ea": "ghost", "meta": {"eid": "ghost"}})
    return judge(b.build(), ["no_loss", "response_ok", "nothing_unexpected", "timeout"])


META = {"build": {"name": "reference", "kind": "reference", "path": ""},
        "browser": {"source": "chromium-headless-shell", "executable": "/usr/bin/x", "version": "156.0"},
        "proxy": {"kind": "embedded", "version": "2.x"}, "store": "memory", "seed": 7,
        "started": "2026-01-01T00:00:00+00:00"}


@pytest.fixture
def run_report() -> RunReport:
    return RunReport(META, [
        ScenarioEntry("happy", passing(), 1.25, 60_000, None, ["no_loss", "exactly_once", "retry"]),
        ("outage", failing(), 2.5, 120_000),
        ScenarioEntry("broken", None, 0.1, 0, "scenarios/broken.yaml:3: tab 'main' is not open", ["no_loss"]),
    ])
