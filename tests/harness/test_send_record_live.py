"""The page's send record in a browser: signalq.js (no ``meta.eid``, byte-identical heartbeats a
minute apart) under an outage, then recovery. Every request is credited among the entries its send
could have carried, and none is lost."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from harness.builds import load_build
from harness.builds.profile import load_profile
from tests.harness.e2e import scenario_from_text

pytestmark = pytest.mark.browser

FOREIGN = Path(__file__).resolve().parents[2] / "tracker_js" / "foreign"

SCENARIO = """
name: identical_heartbeats
description: five identical heartbeats queue during an outage and go one per request after it
judges: [no_loss, drop_rule, retry]
settle: 3m
steps:
  - stub: {default: {status: 503}}
  - open: home
  - advance: 5m
  - stub: {default: null}
  - advance: 3m
"""

def _run(tank_worlds):
    profile = load_profile(FOREIGN / "profiles" / "signalq.yaml")
    build = dataclasses.replace(load_build(str(FOREIGN / "signalq.js")), profile=profile)
    result = tank_worlds.get("memory").run(build, scenario_from_text(SCENARIO), profile.adapter)
    assert result.error is None, result.error
    return result


def _check(result) -> None:
    h, v = result.history, result.verdict
    ids = {e.id for w in h.writes if w.key == h.outbox_key for e in w.added}
    records = [g for a in h.attempts if a.carried for g in a.carried]
    assert records and all(g.entries and set(g.entries) <= ids for g in records), records
    beats = [e for e in h.journal if e.processed for ev in e.events if ev.payload.get("ea") == "heartbeat"]
    assert len(beats) >= 5
    assert v.counts["lost"] == 0, [x.reason for x in v.fates if x.fate == "lost"]
    assert v.passed, {g: r.violations for g, r in v.guarantees.items() if r.violations}
    assert any("credited by the page's send record" in n for n in v.notes), v.notes


def test_identical_heartbeats_are_credited_by_the_send_record(tank_worlds) -> None:
    _check(_run(tank_worlds))
