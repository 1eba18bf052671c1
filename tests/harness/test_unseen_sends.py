"""A build that sends from a dedicated Web Worker (where the harness's page scripts do not run):
the server's journal has every request, the page's record of its sends has none, and the report
says so instead of leaving retry, timeout and backoff vacuous without a word."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.harness.e2e import bundled, prefixed_reference

PREFIX = Path(__file__).parent / "fixtures" / "worker_sender_prefix.js"


@pytest.mark.browser
def test_sends_from_a_worker_are_named_in_the_notes(tank_worlds) -> None:
    result = tank_worlds.get("memory").run(prefixed_reference(PREFIX), bundled("retry_503"))
    assert result.error is None, result.error
    posts = [e for e in result.history.journal if e.method == "POST" and e.events]
    assert posts and all(e.via == "unknown" for e in posts)  # none carried the instrumentation's tags
    assert not [a for a in result.history.attempts if a.via == "fetch"]  # and the page recorded none
    [note] = [n for n in result.verdict.notes if "without the instrumentation's tags" in n]
    assert note.startswith(f"{len(posts)} Sync request(s) with events")
    assert result.verdict.guarantees["no_loss"].status == "pass"  # the server's view still judges loss
    [started] = [n for n in result.verdict.notes if "dedicated worker" in n]
    assert started.startswith("context main: its pages started 1 dedicated worker(s) (main: blob:http://127.0.0.1:")
    assert "timers run in real time, not on the page clock" in started


@pytest.mark.browser
def test_a_worker_sender_dropping_by_the_rule_is_policy(tank_worlds) -> None:
    """drop_rule_live: the worker's failed sends are seen by the endpoint only; its two drops after
    11 refused sends and a day are ``dropped_policy`` (before: lost, "the harness saw 0 failed send(s)")."""
    result = tank_worlds.get("memory").run(prefixed_reference(PREFIX), bundled("drop_rule_live"))
    assert result.error is None, result.error
    v = result.verdict
    assert v.counts.get("dropped_policy") == 2, [(f.fate, f.reason) for f in v.fates]
    assert all(g.status == "pass" for g in v.guarantees.values() if g.status != "not_judged"), \
        {k: g.status for k, g in v.guarantees.items()}
