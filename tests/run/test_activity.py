"""Per-context activity: a context's counter moves with its own journal entries, writes and
attempts, and with untagged journal entries once answered; never with another context's."""
from __future__ import annotations

from types import SimpleNamespace

from harness.run.activity import ContextActivity
from server_stub.journal import Journal


def _run() -> SimpleNamespace:
    return SimpleNamespace(stub=SimpleNamespace(journal=Journal()), recorder=SimpleNamespace(writes=[], attempts=[]))


def test_each_context_counts_its_own_facts_only() -> None:
    run = _run()
    activity = ContextActivity(run)  # type: ignore[arg-type]
    a, b = activity("visitor1"), activity("visitor2")
    seq = run.stub.journal.begin(method="POST", path="/api/sync", via="fetch").seq
    run.stub.journal.update(seq, context="visitor1")
    assert activity("visitor1") > a and activity("visitor2") == b
    a = activity("visitor1")
    run.recorder.writes.append(SimpleNamespace(context="visitor2"))
    run.recorder.attempts.append(SimpleNamespace(context="visitor2"))
    assert activity("visitor2") == b + 2 and activity("visitor1") == a


def test_an_untagged_request_moves_every_context_once_answered() -> None:
    run = _run()
    activity = ContextActivity(run)  # type: ignore[arg-type]
    a, b = activity("visitor1"), activity("visitor2")
    seq = run.stub.journal.begin(method="POST", path="/api/sync", via="beacon").seq
    assert (activity("visitor1"), activity("visitor2")) == (a, b)  # arriving: its tag may still come
    run.stub.journal.finish(seq, outcome="ok", status=200)
    assert activity("visitor1") > a and activity("visitor2") > b
