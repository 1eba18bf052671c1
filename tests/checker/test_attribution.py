"""Attribution by request: a delivery is credited among the envelopes of the context that sent it.

A build without ``meta.eid`` whose pages produce byte-identical payloads (two visitors on the
same page, no random session id) must not have one page's beacon credited to the other page's
event: the journal entry names its sender's context, and so does the page's record of the send.
"""
from __future__ import annotations

from harness.checker import Policy, judge
from harness.checker.facts import build_facts
from harness.checker.guarantees import GUARANTEES

from .builders import HB, payload

BODY = payload("conversion", "phone_call", "tel:+1")


def _two_pages(tagged: bool = True):
    """Contexts a then b queue the same payload; b closes and its beacon carries its copy; a's copy
    never leaves (a is offline until the end)."""
    b = HB()
    b.op("open", ctx="a")
    x = b.add(b.env("x", body=dict(BODY)), ctx="a")[0]
    b.op("offline", ctx="a")
    b.op("open", ctx="b")
    y = b.add(b.env("y", body=dict(BODY)), ctx="b")[0]
    b.op("close", ctx="b", online=True)
    b.attempt(y, via="beacon", outcome="queued", status=None, ctx="b", ids=False)
    b.journal(y, via="beacon", wire_eid=False, ctx="b" if tagged else None)
    return b, x, y


def test_identical_payloads_of_two_pages_are_credited_to_the_sender():
    b, x, y = _two_pages()
    m = build_facts(b.build(), Policy()).m
    assert [hit.entry.via for hit in m.hits.get("y", [])] == ["beacon"]
    assert not m.hits.get("x")
    assert [a.via for a in m.attempts.get("y", [])] == ["beacon"] and not m.attempts.get("x")


def test_the_sender_is_judged_and_the_other_page_keeps_its_event():
    b, x, y = _two_pages()
    v = judge(b.build(), list(GUARANTEES))
    fates = {f.id: f for f in v.fates}
    assert fates["y"].fate == "delivered" and fates["x"].fate != "delivered"
    assert v.guarantees["last_gasp"].status == "pass", v.guarantees["last_gasp"].violations


def test_an_untagged_request_falls_back_to_payload_order():
    """What the checker did before requests named their sender: the first queued copy is credited,
    so b's unload looks beaconless. Kept for requests the harness did not instrument."""
    b, x, y = _two_pages(tagged=False)
    m = build_facts(b.build(), Policy()).m
    assert [hit.entry.via for hit in m.hits.get("x", [])] == ["beacon"] and not m.hits.get("y")
    assert [a.via for a in m.attempts.get("y", [])] == ["beacon"]  # the attempt knows its page anyway


def test_a_request_from_a_context_without_such_an_envelope_is_unexpected():
    b = HB()
    x = b.add(b.env("x", body=dict(BODY)), ctx="a")[0]
    b.journal(x, wire_eid=False, ctx="b")
    m = build_facts(b.build(), Policy()).m
    assert not m.hits.get("x") and len(m.unexpected) == 1


def test_an_eid_still_wins_over_the_sender_tag():
    """A build with ``meta.eid`` is attributed by it, whatever context the tag names."""
    b = HB()
    x = b.add(b.env("x"), ctx="a")[0]
    b.journal(x, ctx="b")
    m = build_facts(b.build(), Policy()).m
    assert len(m.hits["x"]) == 1
