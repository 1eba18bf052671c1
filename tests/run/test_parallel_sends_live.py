"""Ten parallel keepalive fetches under a stub delay: Chromium opens six connections to the stub's
host in a context and queues the other four inside the browser, behind the six the stub holds.
Page time must move on to the delay's due with them queued, not wait the travel cap at every clock
stop and blame a slow machine (``VirtualClock._behind_holds``)."""
from __future__ import annotations

from pathlib import Path

import pytest

from harness.builds import load_build
from tests.harness.e2e import scenario_from_text

BUILD = Path(__file__).resolve().parent / "builds" / "parallel_sends.js"
ENVELOPES = "\n".join(f"      - {{age: 1m, payload: {{ec: conversion, ea: phone_call, el: n{i}}}}}" for i in range(10))
SCENARIO = f"""
name: parallel_sends_delayed
judges: [no_loss]
tracker: {{data-heartbeat-ms: "0"}}
settle: 10s
steps:
  - seed_outbox:
{ENVELOPES}
  - stub: {{default: {{delay_ms: 1s}}}}
  - open: home
  - advance: 2s
"""


@pytest.mark.browser
def test_fetches_queued_behind_held_connections_do_not_stop_page_time(tank_worlds) -> None:
    result = tank_worlds.get("memory").run(load_build(str(BUILD)), scenario_from_text(SCENARIO))
    assert result.error is None, result.error
    notes = result.history.notes + result.verdict.notes
    assert not any("on their way" in n for n in notes), notes
    assert result.verdict.passed, {g: r.violations for g, r in result.verdict.guarantees.items()}
    assert result.verdict.counts["delivered"] == 11  # ten seeded and the page view, each once
