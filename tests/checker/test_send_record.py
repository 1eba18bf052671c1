"""Attribution by the page's send record inside one context.

A build without ``meta.eid`` queues byte-identical heartbeats. Without a record, a delivery is
credited to the first queued copy — possibly one the build had already dropped — and the copy
that really went is "removed without delivery" (signalq in ``drop_rule_live``: 32 false losses).
With the record (the outbox entries holding that payload when the request was sent), a delivery
is credited only among those, to the one the build touched first after the send.
"""
from __future__ import annotations

import dataclasses
from collections import Counter

from harness.checker import Policy, judge
from harness.checker.facts import build_facts
from harness.checker.sendrecord import link_requests
from harness.contract.history import Carried

from .builders import HB, HOUR, payload

HEARTBEAT = payload("system", "heartbeat")  # no meta.eid, the same bytes every minute


def _record(*envs):
    """The instrumentation's record for a body of one id-less heartbeat, outbox as ``envs``."""
    return [Carried((0,), tuple(e.id for e in envs), tuple(range(len(envs))))]


def _dropped_then_sent(record: bool = True):
    """Old copies a, b are dropped past the drop rule; then x and y go one per request, each
    removed after its 200. ``record``: whether the page's send record is there."""
    b = HB()
    old = [b.env(i, body=dict(HEARTBEAT), ts=b.now - 25 * HOUR, attempts=11) for i in ("a", "b")]
    b.seed(*old)  # past the drop rule by the harness's own seed
    b.advance(60_000)
    x, y = b.env("x", body=dict(HEARTBEAT)), b.env("y", body=dict(HEARTBEAT))
    b.add(x, y)
    b.advance(60_000)
    for e in old:
        b.dead(e, "ttl")
    b.remove("a", "b")
    b.advance(60_000)
    for sent, queued in ((x, (x, y)), (y, (y,))):
        b.attempt(sent, ids=False, carried=_record(*queued) if record else None)
        b.journal(sent, wire_eid=False, ctx="main")
        b.remove(sent.id)
        b.advance(60_000)
    return b.build(end_after=60_000)


def test_a_delivery_is_credited_only_to_a_copy_still_queued_when_it_was_sent():
    h = _dropped_then_sent()
    m = build_facts(h, Policy()).m
    assert {tid: len(hs) for tid, hs in m.hits.items()} == {"x": 1, "y": 1}
    assert [h.evidence for hs in m.hits.values() for h in hs] == ["send record"] * 2
    v = judge(h, ["no_loss", "drop_rule"])
    fates = {f.id: f.fate for f in v.fates}
    assert fates["x"] == fates["y"] == "delivered", fates
    assert v.guarantees["no_loss"].status == "pass", v.guarantees["no_loss"].violations
    assert v.guarantees["drop_rule"].status == "pass", v.guarantees["drop_rule"].violations
    assert any("2 delivered event(s) without meta.eid credited by the page's send record" in n for n in v.notes), v.notes


def test_without_the_record_the_dropped_copies_get_the_credit():
    """What the matcher did before (and still does for a request with no record): payload order."""
    h = _dropped_then_sent(record=False)
    m = build_facts(h, Policy()).m
    assert {tid: len(hs) for tid, hs in m.hits.items()} == {"a": 1, "b": 1}
    v = judge(h, ["no_loss"])
    assert v.guarantees["no_loss"].status == "fail"
    assert not any("send record" in n for n in v.notes)


def test_identical_events_of_one_request_are_credited_to_distinct_copies():
    b = HB()
    envs = [b.env(i, body=dict(HEARTBEAT)) for i in ("p", "q", "r")]
    b.add(*envs)
    b.advance(1000)
    b.attempt(envs[1], envs[2], ids=False, carried=[Carried((0, 1), ("p", "q", "r"), (0, 1, 2))])
    b.journal(envs[1], envs[2], wire_eid=False, ctx="main")
    b.remove("q", "r")  # the build removed the two it sent
    m = build_facts(b.build(), Policy()).m
    assert Counter({tid: len(hs) for tid, hs in m.hits.items()}) == Counter({"q": 1, "r": 1})
    assert {tid for tid, atts in m.attempts.items() if atts} == {"q", "r"}


def test_a_failed_send_is_credited_to_the_copies_the_build_then_counted():
    """After a 503 the build bumps the attempts of what it sent: the attempt goes to that copy,
    not to the first queued one (retry, backoff and the drop rule count attempts per envelope)."""
    b = HB()
    p, q = b.env("p", body=dict(HEARTBEAT)), b.env("q", body=dict(HEARTBEAT))
    b.add(p, q)
    b.advance(1000)
    b.attempt(q, ids=False, outcome="http_error", status=503, carried=_record(p, q))
    b.journal(q, status=503, wire_eid=False, ctx="main")
    b.bump(q)
    m = build_facts(b.build(), Policy()).m
    assert [tid for tid, atts in m.attempts.items() if atts] == ["q"]
    assert list(m.hits) == ["q"]


def test_requests_are_linked_to_the_sends_that_reached_the_server():
    """A refused beacon never left; a send with another page time is another request."""
    b = HB()
    e = b.env("e", body=dict(HEARTBEAT))
    b.add(e)
    refused = b.attempt(e, via="beacon", outcome="refused", status=None, ids=False, carried=_record(e))
    b.advance(5)
    sent = b.attempt(e, via="beacon", outcome="queued", status=None, ids=False, carried=_record(e))
    j = b.journal(e, via="beacon", wire_eid=False, ctx="main")
    links = link_requests(b.build())
    assert links == {j.seq: sent} and refused.seq not in {a.seq for a in links.values()}


def test_a_send_record_naming_no_queued_copy_falls_back_to_the_payload():
    """A build that sends before it writes: the record lists nothing; payload equality decides."""
    b = HB()
    e = b.env("e", body=dict(HEARTBEAT))
    b.attempt(e, ids=False, carried=[Carried((0,), (), ())])
    b.journal(e, wire_eid=False, ctx="main")
    b.add(e)
    b.remove("e")
    m = build_facts(b.build(), Policy()).m
    assert [h.evidence for h in m.hits["e"]] == ["payload"]


def _outage_then_minutes(cut: str, back: str = ""):
    """A heartbeat ``o`` sent into an outage (fails with a network error), then, the way back,
    ``o`` delivered and a new heartbeat ``n`` delivered a minute later. ``cut``: the op that cut
    the way (``proxy``: the proxy disabled; ``offline``: the context offline); ``back``: the op
    that restores it (default: its opposite; ``heal``: the end-of-run heal)."""
    b = HB()
    b.op("proxy", ctx=None, page=None, enabled=False) if cut == "proxy" else b.op("offline", page=None)
    o = b.env("o", body=dict(HEARTBEAT))
    b.add(o)
    b.attempt(o, ids=False, outcome="network_error", status=None, error="Failed to fetch", carried=_record(o))
    b.bump(o)
    b.advance(60_000)
    if back == "heal":
        b.op("heal", ctx=None, page=None)
    else:
        b.op("proxy", ctx=None, page=None, enabled=True) if cut == "proxy" else b.op("online", page=None)
    b.attempt(o, ids=False, carried=_record(o))
    b.journal(o, wire_eid=False, ctx="main")
    b.remove("o")
    b.advance(60_000)
    n = b.env("n", body=dict(HEARTBEAT))
    b.add(n)
    b.attempt(n, ids=False, carried=_record(n))
    b.journal(n, wire_eid=False, ctx="main")
    b.remove("n")
    b.rows(o, n)
    return b.build(end_after=60_000)


def test_a_send_made_while_the_way_was_cut_is_not_paired_with_a_later_request():
    """signalq in ``bandwidth_slicer``: the heartbeats it sent while the proxy was disabled took the
    deliveries after it, one each, and every copy delivered later read as lost beside a
    duplicate (17 and 17)."""
    for cut, back in (("proxy", ""), ("offline", ""), ("proxy", "heal"), ("offline", "heal")):
        h = _outage_then_minutes(cut, back)
        links = link_requests(h)
        assert [a.ids or a.carried[0].entries for a in links.values()] == [("o",), ("n",)], (cut, back)
        assert all(a.outcome == "ok" for a in links.values()), (cut, back)
        v = judge(h, ["no_loss", "exactly_once"])
        assert {f.id: f.fate for f in v.fates} == {"o": "delivered", "n": "delivered"}, (cut, back)
        assert v.guarantees["no_loss"].status == v.guarantees["exactly_once"].status == "pass", (cut, back)


def test_a_failed_send_made_with_the_way_open_may_still_be_the_request():
    """A network error with the way open (a response cut after the server read it): that send is
    still the one the request came from."""
    b = HB()
    o = b.env("o", body=dict(HEARTBEAT))
    b.add(o)
    b.attempt(o, ids=False, outcome="network_error", status=None, error="Failed to fetch", carried=_record(o))
    b.journal(o, wire_eid=False, ctx="main")
    links = link_requests(b.build(end_after=60_000))
    assert [a.outcome for a in links.values()] == ["network_error"]


def _cut_while_sending(cut: str, through: bool):
    """Heartbeat ``w`` sent just after the op that cut the way (``proxy`` disabled or the context
    ``offline``), failing with a network error — with ``through``, its request reached the stub
    first (the op is recorded just before the cut takes effect). ``o`` is sent into the outage and
    never arrives. The way back, ``w`` and then ``o`` are sent again and delivered."""
    b = HB()
    w = b.env("w", body=dict(HEARTBEAT))
    b.add(w)
    b.op("proxy", ctx=None, page=None, enabled=False) if cut == "proxy" else b.op("offline", page=None)
    first = b.attempt(w, ids=False, outcome="network_error", status=None, error="Failed to fetch", carried=_record(w))
    window = b.journal(w, wire_eid=False, ctx="main") if through else None  # processed; its answer never came
    b.bump(w)
    b.advance(60_000)
    o = b.env("o", body=dict(HEARTBEAT))
    b.add(o)
    into = b.attempt(o, ids=False, outcome="network_error", status=None, error="Failed to fetch", carried=_record(w, o))
    b.bump(o)
    b.advance(60_000)
    b.op("proxy", ctx=None, page=None, enabled=True) if cut == "proxy" else b.op("online", page=None)
    sent = []
    for e, queued in ((w, (w, o)), (o, (o,))):
        a = b.attempt(e, ids=False, carried=_record(*queued))
        sent.append((b.journal(e, wire_eid=False, ctx="main"), a))
        b.remove(e.id)
        b.advance(60_000)
    b.rows(*([w] if through else []), w, o)
    return b.build(end_after=60_000), first, window, into, sent


def test_a_request_that_got_through_as_the_way_was_cut_is_paired_with_its_send():
    """The edge of the rule above: a send started between the op that cut the way and the cut
    taking effect reached the stub, then failed. Its request arrived while the ops say the way was
    cut, which only such a send can explain: it is paired with it, and the requests after the
    outage with their own sends (before: it took the first send after the outage, and every later
    request the next one)."""
    for cut in ("proxy", "offline"):
        h, first, window, into, sent = _cut_while_sending(cut, through=True)
        links = link_requests(h)
        assert links == {window.seq: first, **{j.seq: a for j, a in sent}}, cut
        assert into.seq not in {a.seq for a in links.values()}, cut  # sent into the outage: never arrived
        v = judge(h, ["no_loss"])
        assert {f.id: f.fate for f in v.fates} == {"w": "delivered", "o": "delivered"}, cut
        assert v.guarantees["no_loss"].status == "pass", cut


def test_a_send_into_the_cut_is_not_paired_with_a_request_that_arrived_before_or_after_it():
    """Without a request in the window, the sends made while the way was cut stay unpaired: a
    request that arrived before the op (no page send recorded for it: a page unloading) or after
    the way opened again is not theirs."""
    for cut in ("proxy", "offline"):
        h, first, _, into, sent = _cut_while_sending(cut, through=False)
        assert link_requests(h) == {j.seq: a for j, a in sent}, cut
        b = HB()
        e = b.env("e", body=dict(HEARTBEAT))
        b.add(e)
        early = b.journal(e, wire_eid=False, ctx="main")  # its send was not recorded
        b.op("proxy", ctx=None, page=None, enabled=False) if cut == "proxy" else b.op("offline", page=None)
        b.attempt(e, ids=False, outcome="network_error", status=None, error="Failed to fetch", carried=_record(e))
        assert early.seq not in link_requests(b.build(end_after=60_000)), cut


def _lost_beside_a_window_request(step_between: bool = False, same_payload: bool = False):
    """X and Y: conversion/phone_call on two pages (other payloads, the same labels). The proxy is
    disabled; X's send fails with a network error and the build drops X. A request carrying Y (its
    send record lost: a page unloading) arrives while the way is cut; after the way opens Y is sent
    again and delivered. ``step_between``: an op between the cutting op and X's send;
    ``same_payload``: X carries Y's very payload (then nothing but the timing tells them apart)."""
    b = HB()
    py = payload("conversion", "phone_call", u="http://127.0.0.1/b")
    x = b.env("x", body=dict(py) if same_payload else payload("conversion", "phone_call", u="http://127.0.0.1/a"))
    y = b.env("y", body=dict(py))
    b.add(x, y)
    b.op("proxy", ctx=None, page=None, enabled=False)
    if step_between:
        b.advance(5_000)
        b.op("advance", ctx=None, page=None, ms=5_000)
    sent = b.attempt(x, ids=False, page="a", outcome="network_error", status=None, error="Failed to fetch",
              carried=_record(x, y) if same_payload else _record(x))
    b.remove("x")  # the build drops X
    window = b.journal(y, wire_eid=False, ctx="main", status=None, outcome="hung")
    b.advance(60_000)
    b.op("proxy", ctx=None, page=None, enabled=True)
    b.attempt(y, ids=False, page="b", carried=_record(y))
    b.journal(y, wire_eid=False, ctx="main")
    b.remove("y")
    b.rows(y)
    return b.build(end_after=60_000), window, sent


def test_a_window_request_with_another_payload_does_not_hide_a_loss():
    """A cut send is a window request's candidate only when the request carries the very payloads
    of the outbox entries the send carried: Y's request does not make X delivered."""
    h, window, x = _lost_beside_a_window_request()
    assert link_requests(h).get(window.seq) != x
    v = judge(h, ["no_loss"])
    assert {f.id: f.fate for f in v.fates}["x"] == "lost"
    assert v.guarantees["no_loss"].status == "fail"


def test_a_send_a_step_after_the_cut_is_not_a_window_request():
    """The moment between the op and the cut taking effect lies inside the cutting step: a send
    made after another op came into a cut way and never arrived, whatever the request carries."""
    h, window, x = _lost_beside_a_window_request(step_between=True, same_payload=True)
    assert link_requests(h).get(window.seq) != x
    h, window, x = _lost_beside_a_window_request(same_payload=True)
    assert link_requests(h).get(window.seq) == x  # right after the op, the same bytes: it may have got through


def test_a_refused_batch_the_journal_kept_only_labels_of_is_still_paired_with_its_send():
    """A refused request keeps whole payloads only within its budget (server_stub/journal_bounds.py).
    signalq's 25 id-less heartbeats refused with 503 (drop_rule_live): the events past the budget
    kept nothing, the request matched no page send (the pairing reads every event's labels) and
    3 events read as never enqueued. Bounded as the stub bounds them, all 25 are the queued ones."""
    from server_stub.journal_bounds import bound_events

    b = HB()
    beats = [b.env(f"h{i}", body=dict(HEARTBEAT, u="http://127.0.0.1/" + "x" * 120)) for i in range(25)]
    b.add(*beats)
    b.advance(1000)
    b.attempt(*beats, outcome="http_error", status=503, ids=False,
              carried=[Carried(tuple(range(25)), tuple(e.id for e in beats), tuple(range(25)))])
    sent = b.journal(*beats, status=503, wire_eid=False, ctx="main")
    kept = dataclasses.replace(sent, events=bound_events(sent.events, processed=False))
    assert kept.events[-1].payload != beats[-1].payload  # the budget was exceeded: the last one is trimmed
    b.h.journal[-1] = kept
    b.advance(1000)
    v = judge(b.build(end_after=1000), ["nothing_unexpected"])
    assert v.guarantees["nothing_unexpected"].status == "pass", v.guarantees["nothing_unexpected"].violations
