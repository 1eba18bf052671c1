"""Copies the browser re-sent by itself of one page send (same ``send`` id, journaled from the
``_tank_a`` URL tag) are counted apart as ``browser_copies``: not deliveries, not the build's
duplicates, so counts repeat however many copies real time let through. The build's own re-sends
(a new send, a new id) still count, and still fail ``exactly_once`` at rest."""
from __future__ import annotations

import dataclasses
import hashlib
import json

from harness.checker import judge
from harness.checker.copies import copy_of
from harness.checker.guarantees import GUARANTEES
from harness.checker.verdict import EnvelopeFate
from server_stub.journal_bounds import TRIMMED, bound_events

from .builders import HB

ALL = list(GUARANTEES)


def held_past_abort(copies: int, *, wire_eid: bool = True, rows: int | None = None, own_resend: bool = False,
                    via: str = "fetch"):
    """One click: the page's send is held past its abort (processed, answered late), the browser
    re-sends it ``copies`` times, the page retries with a new send that gets a 200."""
    b = HB()
    e = b.env(ec="conversion", ea="phone_call")
    b.add(e)
    b.attempt(e, outcome="abort", status=None, duration=5000, ids=wire_eid, via=via)
    b.journal(e, wire_eid=wire_eid, ctx="main", send="load1.1", via=via)
    for _ in range(copies):
        b.journal(e, wire_eid=wire_eid, ctx="main", send="load1.1", via=via)
    b.bump(e)
    b.advance(5000)
    b.attempt(e, ids=wire_eid, via=via)
    b.journal(e, wire_eid=wire_eid, ctx="main", send="load1.2", via=via)
    if own_resend:
        b.attempt(e, ids=wire_eid, via=via)
        b.journal(e, wire_eid=wire_eid, ctx="main", send="load1.3", via=via)
    b.remove(e.id)
    if rows is not None:
        b.rows(e, times=rows)
    v = judge(b.build(), ALL)
    return v, v.fate_of(e.id)


def test_copies_are_counted_apart_and_the_counts_repeat():
    seen = []
    for copies in (0, 1, 3):
        v, f = held_past_abort(copies)
        assert f is not None and f.fate == "delivered"
        assert (f.deliveries, f.duplicates, f.browser_copies) == (2, 1, copies)
        assert (v.counts["duplicated"], v.counts["browser_copies"]) == (1, copies)
        seen.append({k: n for k, n in v.counts.items() if k != "browser_copies"})
        assert any("count as browser_copies" in n for n in v.notes) == bool(copies)
    assert seen[0] == seen[1] == seen[2]


def test_copies_of_an_xhr_send_are_counted_apart():
    """The instrumentation tags an XHR as it tags a fetch (its own ``_tank_a``, build-written tags
    dropped): Chromium's network stack re-sends either the same way."""
    for copies in (0, 2):
        v, f = held_past_abort(copies, via="xhr")
        assert (f.fate, f.deliveries, f.duplicates, f.browser_copies) == ("delivered", 2, 1, copies)
    v, f = held_past_abort(2, own_resend=True, via="xhr")
    assert (f.deliveries, f.duplicates, f.browser_copies) == (3, 2, 2)


def test_a_build_re_sending_is_still_its_duplicate():
    v, f = held_past_abort(2, own_resend=True)
    assert (f.deliveries, f.duplicates, f.browser_copies) == (3, 2, 2)
    assert v.counts["duplicated"] == 2


def test_exactly_once_still_fails_on_the_rows_of_browser_copies_and_says_so():
    """An id-less build's every processed request is a row at rest: de-duplicating the browser's
    copies by event id is the build's part (SPEC §3.10), so they still fail it, named as such."""
    v, f = held_past_abort(2, wire_eid=False, rows=4)  # the send, two copies, the page's retry
    g = v.guarantees["exactly_once"]
    assert f.browser_copies == 2 and g.status == "fail"
    assert "(3 duplicate(s), 2 of them from copies the browser re-sent" in g.violations[0], g.violations
    v, f = held_past_abort(2, wire_eid=False, rows=1)  # collapsed at rest
    assert v.guarantees["exactly_once"].status == "pass"
    b = HB()  # two rows from two page sends: no copy to name
    e = b.env()
    b.add(e)
    b.journal(e, wire_eid=False, ctx="main", send="load1.1")
    b.journal(e, wire_eid=False, ctx="main", send="load1.2")
    b.remove(e.id)
    b.rows(e, times=2)
    g = judge(b.build(), ALL).guarantees["exactly_once"]
    assert g.status == "fail" and "(1 duplicate(s))" in g.violations[0]


def test_an_id_less_copy_is_credited_to_its_sends_envelope_not_a_twin():
    """Byte-identical payloads: matched by payload, a copy took the next envelope sharing it."""
    b = HB()
    p = {"ec": "system", "ea": "heartbeat"}
    one, two = b.env(**p), b.env(**p)
    two = type(two)(two.id, two.ts, two.attempts, dict(one.payload or {}), two.extra)
    b.add(one, two)
    b.journal(one, wire_eid=False, ctx="main", send="load1.1")
    b.journal(one, wire_eid=False, ctx="main", send="load1.1")  # the browser's copy
    b.remove(one.id)
    v = judge(b.build(), ALL)
    f1, f2 = v.fate_of(one.id), v.fate_of(two.id)
    assert (f1.fate, f1.deliveries, f1.browser_copies) == ("delivered", 1, 1)
    assert (f2.fate, f2.deliveries) == ("pending", 0)


def test_a_copy_of_a_send_not_processed_delivers():
    b = HB()
    e = b.env()
    b.add(e)
    b.journal(e, status=None, processed=False, outcome="client_gone", ctx="main", send="load1.1")
    b.journal(e, ctx="main", send="load1.1")
    b.remove(e.id)
    v = judge(b.build(), ALL)
    f = v.fate_of(e.id)
    assert (f.fate, f.deliveries, f.duplicates, f.browser_copies) == ("delivered", 1, 0, 0)


def test_the_same_send_id_in_another_context_or_untagged_is_no_copy():
    b = HB()
    e = b.env()
    b.add(e)
    first = b.journal(e, ctx="main", send="x.1")
    other = b.journal(e, ctx="b", send="x.1")
    untagged = b.journal(e, ctx="main")
    again = b.journal(e, ctx="main", send="x.1")
    b.remove(e.id)
    h = b.build()
    assert copy_of(h.journal) == {again.seq: first.seq}
    assert other.seq not in copy_of(h.journal) and untagged.seq not in copy_of(h.journal)
    f = judge(h, ALL).fate_of(e.id)
    assert (f.deliveries, f.duplicates, f.browser_copies) == (3, 2, 1)


def test_the_timeline_names_a_copy_and_the_count_survives_json():
    v, f = held_past_abort(2)
    copies = [t for t in f.timeline if t.what == "arrived" and "browser_copy_of" in t.detail]
    assert len(copies) == 2 and {t.detail["browser_copy_of"] for t in copies} == {1}
    back = EnvelopeFate.from_json(f.to_json())
    assert back.browser_copies == 2 and back.to_json() == f.to_json()


def test_a_hung_send_the_browser_re_sent_makes_no_duplicate_of_the_pages_retry():
    """The stub holds a send without processing it; the page aborts; Chromium usually re-sends
    it (stored) and the page retries (stored). Whether the copy came is real time's: the counts
    of deliveries and duplicates are the same either way."""
    seen = []
    for copy in (False, True):
        b = HB()
        e = b.env()
        b.add(e)
        b.attempt(e, outcome="abort", status=None, duration=5000)
        b.journal(e, status=None, processed=False, outcome="client_gone", ctx="main", send="ld.1")
        if copy:
            b.journal(e, ctx="main", send="ld.1")
        b.bump(e)
        b.advance(5000)
        b.send(e, ctx="main", send="ld.2")
        b.remove(e.id)
        f = judge(b.build(), ALL).fate_of(e.id)
        seen.append((f.fate, f.deliveries, f.duplicates))
        assert f.browser_copies == int(copy)
    assert seen == [("delivered", 1, 0)] * 2


def test_a_copy_the_browser_re_sent_is_no_retry_of_the_builds():
    """Every answer hangs; the page aborts its send and never tries again; Chromium re-sends the
    aborted POST by itself, later in page time. That copy is not the build retrying."""
    b = HB()
    e = b.env()
    b.add(e)
    b.attempt(e, outcome="abort", status=None, duration=5000)
    b.journal(e, status=None, processed=False, outcome="hung", ctx="main", send="ld.1")
    b.bump(e)
    b.advance(6000)
    b.op("advance", ctx=None, page=None)
    b.journal(e, status=None, processed=False, outcome="hung", ctx="main", send="ld.1")
    r = judge(b.build(end_after=400_000), ["retry"]).guarantees["retry"]
    assert r.status == "fail" and "never tried again" in r.violations[0], (r.status, r.violations)


def test_a_copy_is_no_send_on_load_of_the_builds():
    """Without instrumentation, the journal says whether a page load sent what was queued: a copy
    of the previous page's send arriving after the load is not that send."""
    b = HB()
    e = b.env()
    b.add(e)
    b.journal(e, status=None, processed=False, outcome="hung", ctx="main", send="ld.1")
    b.advance(1000)
    b.op("reload", intents=())
    b.journal(e, status=None, processed=False, outcome="hung", ctx="main", send="ld.1")
    b.advance(60_000)
    b.op("advance", ctx=None, page=None)
    v = judge(b.build(end_after=60_000), ["trigger_load"])
    assert v.guarantees["trigger_load"].status == "fail", v.guarantees["trigger_load"]


def test_a_copy_after_a_first_request_without_its_body_is_matched_as_the_send():
    """The first request of a send journaled no events (the client went away while sending): the
    copy is the only arrival with the send's body, matched and counted as the page's delivery."""
    b = HB()
    e = b.env()
    b.add(e)
    b.journal(status=None, processed=False, outcome="client_gone", ctx="main", send="ld.1")
    b.journal(e, ctx="main", send="ld.1")
    b.remove(e.id)
    v = judge(b.build(), ALL)
    f = v.fate_of(e.id)
    assert (f.fate, f.deliveries, f.browser_copies) == ("delivered", 1, 0)
    assert v.counts["unexpected"] == 0


def test_a_borrowed_send_id_hides_no_duplicate_of_the_build():
    """A build is untrusted: a request that borrows a send's id (read from ``res.url``, or written
    into a URL where the instrumentation does not run: a worker) but carries other events, or comes
    untagged, is the build's own — its duplicates count, nothing is credited to the
    send's subjects by index."""
    b = HB()
    e1, e2 = b.env(ec="conversion", ea="phone_call"), b.env(ec="conversion", ea="whatsapp")
    b.add(e1)
    b.add(e2)
    first = b.journal(e1, ctx="main", send="ld.1")
    other = b.journal(e2, ctx="main", send="ld.1")  # same id, other events: e2's delivery
    again = b.journal(e2, ctx="main", send="ld.1")  # e2 once more: the build's duplicate
    xhr = b.journal(e1, ctx="main", send="ld.1", via="unknown")  # e1's bytes, not a tagged fetch or XHR
    b.remove(e1.id)
    b.remove(e2.id)
    assert copy_of(b.h.journal) == {}, (first.seq, other.seq, again.seq, xhr.seq)
    v = judge(b.build(), ALL)
    f1, f2 = v.fate_of(e1.id), v.fate_of(e2.id)
    assert (f1.deliveries, f1.duplicates, f1.browser_copies) == (2, 1, 0)
    assert (f2.deliveries, f2.duplicates, f2.browser_copies) == (2, 1, 0)
    assert (v.counts["duplicated"], v.counts["browser_copies"]) == (2, 0)


def test_a_copy_is_the_sends_very_bytes():
    b = HB()
    e = b.env()
    b.add(e)
    first = b.journal(e, ctx="main", send="ld.1")
    same = b.journal(e, ctx="main", send="ld.1")
    b.remove(e.id)
    assert copy_of(b.h.journal) == {same.seq: first.seq}


def _batch_hung_then_retried(copy: bool, *, hashed: bool = True):
    """A 20-event batch (~9 KB) the stub holds unprocessed; the page aborts and retries with a new
    send; with ``copy``, Chromium re-sends the held POST by itself and that copy is processed. The
    held request keeps whole payloads for 4 KB only (``journal_bounds``), its copy keeps them all.
    ``hashed``: the stub journaled each body's hash (older histories did not)."""
    b = HB()
    envs = [b.env(ec="conversion", ea="phone_call", el=f"tel:+90{i:03d}" + "x" * 360) for i in range(20)]
    b.add(*envs)
    raw = json.dumps({"events": [e.payload for e in envs]}).encode()
    assert len(raw) > 8_000
    stamp = {"body_size": len(raw), "body_sha256": hashlib.sha256(raw).hexdigest() if hashed else None}

    def journal(**kw):
        e = b.journal(*envs, ctx="main", **kw)
        if not e.processed:
            e = dataclasses.replace(e, events=bound_events(e.events, processed=False))
        b.h.journal[-1] = dataclasses.replace(e, **stamp)
        return b.h.journal[-1]

    b.attempt(*envs, outcome="abort", status=None, duration=5000)
    held = journal(status=None, processed=False, outcome="hung", send="ld.1")
    assert TRIMMED in held.events[-1].payload and TRIMMED not in held.events[0].payload  # labels only past the budget
    if copy:
        journal(send="ld.1")
    b.bump(envs[0])
    b.advance(5000)
    b.attempt(*envs)
    journal(send="ld.2")
    b.remove(*(e.id for e in envs))
    return judge(b.build(), ALL)


def test_a_copy_of_a_large_batch_whose_first_request_was_trimmed_is_a_copy():
    """The held request's payloads were trimmed, so they never equal its copy's: the stub's hash of
    the raw body and its size tell the copy (before: duplicated 20, browser_copies 0)."""
    seen = []
    for copy in (False, True):
        v = _batch_hung_then_retried(copy)
        assert (v.counts["duplicated"], v.counts["browser_copies"]) == (0, 20 if copy else 0), v.counts
        seen.append({k: n for k, n in v.counts.items() if k != "browser_copies"})
    assert seen[0] == seen[1]


def test_without_a_hash_a_trimmed_first_request_leaves_its_copy_the_builds():
    """An older history (no ``body_sha256``) falls back to the payloads, as before."""
    v = _batch_hung_then_retried(True, hashed=False)
    assert (v.counts["duplicated"], v.counts["browser_copies"]) == (20, 0), v.counts


def test_a_hash_of_other_bytes_is_no_copy():
    """Same send id, same size, same journaled events, but other bytes: the build's own request."""
    b = HB()
    e = b.env()
    b.add(e)
    first = dataclasses.replace(b.journal(e, ctx="main", send="ld.1"), body_size=10, body_sha256="a" * 64)
    other = dataclasses.replace(b.journal(e, ctx="main", send="ld.1"), body_size=10, body_sha256="b" * 64)
    same = dataclasses.replace(b.journal(e, ctx="main", send="ld.1"), body_size=10, body_sha256="a" * 64)
    assert copy_of([first, other, same]) == {same.seq: first.seq}


def test_after_a_first_request_without_its_body_the_first_with_it_is_the_page_s_and_the_rest_copies():
    """The first request of a send journaled no events; then the browser's copies arrive. The first
    with the body is the page's arrival, the later ones its copies: one copy or two, deliveries 1
    and no duplicate of the build's (before, with two: deliveries 2, duplicated 1)."""
    for n in (1, 2, 3):
        b = HB()
        e = b.env()
        b.add(e)
        b.journal(status=None, processed=False, outcome="client_gone", ctx="main", send="ld.1")
        anchor = b.journal(e, ctx="main", send="ld.1")
        later = [b.journal(e, ctx="main", send="ld.1") for _ in range(n - 1)]
        b.remove(e.id)
        h = b.build()
        assert copy_of(h.journal) == {c.seq: anchor.seq for c in later}, n
        v = judge(h, ALL)
        f = v.fate_of(e.id)
        assert (f.fate, f.deliveries, f.duplicates, f.browser_copies) == ("delivered", 1, 0, n - 1), n
        assert v.counts["duplicated"] == 0 and v.counts["unexpected"] == 0, n


def test_one_judgement_looks_for_copies_once(monkeypatch) -> None:
    """The matching's copies are the ones the notes count (one sort and pass over the journal, not two)."""
    from harness.checker import match, notes

    calls = []

    def counted(journal):
        calls.append(1)
        return copy_of(journal)

    monkeypatch.setattr(match, "copy_of", counted)
    monkeypatch.setattr(notes, "copy_of", counted)
    v, f = held_past_abort(2)
    assert f is not None and f.browser_copies == 2 and any("2 carried their send's id" in n for n in v.notes), v.notes
    assert len(calls) == 1
