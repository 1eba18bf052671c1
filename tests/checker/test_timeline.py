"""Timelines tell an envelope's story in order, from the same indexes the verdict uses."""
from __future__ import annotations

import pytest

from harness.checker import judge, timeline

from .builders import HB


def test_timeline_story_in_order():
    b = HB()
    b.op("open")
    e = b.env()
    b.add(e)
    b.attempt(e, outcome="abort", status=None, duration=5000, error="AbortError")
    b.journal(e, status=None, outcome="hung")
    b.advance(5000)
    e = b.bump(e)
    b.op("close")
    e = b.bump(e, 0, beaconed=True)
    b.attempt(e, via="beacon", outcome="queued", status=None)
    b.journal(e, via="beacon")
    b.advance(1000)
    b.remove(e.id)
    entries = timeline(b.build(), e.id)
    whats = [t.what for t in entries]
    assert whats == ["enqueued", "attempt", "arrived", "attempts", "beaconed", "attempt", "arrived", "removed"]
    assert entries[1].detail["duration_ms"] == 5000 and entries[1].detail["outcome"] == "abort"
    assert entries[6].detail["via"] == "beacon" and entries[6].detail["processed"] is True
    assert entries[3].detail == {"from": 0, "to": 1}


def test_timeline_dead_letter_pending_and_rows():
    b = HB()
    e, p = b.env(), b.env()
    b.add(e, p)
    b.send(e, status=422, errors={0: "bad"})
    b.dead(e, "rejected")
    b.remove(e.id)
    b.h.at_rest = []
    h = b.build()
    v = judge(h, ["dead_letter"])
    rej = v.fate_of(e.id)
    assert rej and [t.what for t in rej.timeline][-3:] == ["dead-lettered", "removed", "at rest"]
    assert rej.timeline[2].detail["error"] == "bad"
    pend = v.fate_of(p.id)
    assert pend and [t.what for t in pend.timeline][-2:] == ["pending at end", "at rest"]


def test_timeline_of_an_intent_and_unknown_id():
    b = HB()
    it = b.intent("conversion", "phone_call")
    b.op("click", intents=[it])
    h = b.build()
    [entry] = timeline(h, it.intent_id)
    assert entry.what == "intent" and entry.detail["ea"] == "phone_call"
    with pytest.raises(KeyError, match="no envelope or intent"):
        timeline(h, "missing")


def test_reordered_and_readded_envelope():
    """A stale save removes then re-adds an envelope: both show, the final state decides."""
    b = HB()
    e = b.env()
    b.add(e)
    b.remove(e.id)
    b.add(e)
    v = judge(b.build(), ["no_loss"])
    f = v.fate_of(e.id)
    assert f and f.fate == "pending"
    assert [t.what for t in f.timeline] == ["enqueued", "removed", "re-added", "pending at end"]
