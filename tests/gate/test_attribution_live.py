"""Attribution by request in a browser: a build without ``meta.eid`` whose two visitors produce
byte-identical payloads (the ``no_eid`` mutant with one fixed session id) gets each delivery
credited to the context that sent it — the beacon of the tab that closed, not the other's event."""
from __future__ import annotations

import dataclasses

import pytest

from harness.builds import load_build
from tests.harness.e2e import scenario_from_text

pytestmark = pytest.mark.browser

SESSION = "memSid = sessionGet(SID_KEY) || newId();"

SCENARIO = """
name: identical_visitors
description: two visitors on one page, one closes its tab while the endpoint has just recovered
judges: [last_gasp, no_loss, nothing_unexpected]
tracker: {data-heartbeat-ms: "0"}
settle: 1m
steps:
  - stub: {default: {status: 503}}
  - {open: home, context: a}
  - {open: home, context: b}
  - {offline: true, context: a}
  - advance: 1s
  - stub: {default: null}
  - {close: true, context: b}
  - advance: 1s
"""


def test_identical_payloads_of_two_visitors_are_credited_to_the_sender(tank_worlds) -> None:
    base = load_build("mutant:no_eid")
    assert base.source.count(SESSION) == 1
    build = dataclasses.replace(base, name="mutant:no_eid+fixed_sid",
                                source=base.source.replace(SESSION, "memSid = 'one-visitor';"))
    result = tank_worlds.get("memory").run(build, scenario_from_text(SCENARIO))
    assert result.error is None, result.error
    h = result.history
    views = [ev.payload for e in h.journal for ev in e.events if ev.payload.get("ea") == "view"]
    assert len(views) >= 2 and all(v == views[0] for v in views), "the two page views must be byte-identical"
    assert {e.context for e in h.journal if e.method == "POST"} == {"a", "b"}
    beacon = [e for e in h.journal if e.via == "beacon" and e.processed]
    assert beacon and all(e.context == "b" for e in beacon)
    g = result.verdict.guarantees
    assert g["last_gasp"].status == "pass", g["last_gasp"].violations
    assert result.verdict.passed, result.verdict.explain() if hasattr(result.verdict, "explain") else g
