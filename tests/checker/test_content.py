"""A fate credits what was sent, not an id: another event under an envelope's id delivers or
rejects nothing of it; a batch refused for one event rejects only that one; a build whose dead
letters carry no id is judged as one without the key; one click stored under two ids is a
duplicate. Hand-made histories (builds showing it
live: tests/harness/test_hostile_content.py, tests/foreign/test_foreign_builds.py)."""
from __future__ import annotations

from harness.checker import judge
from harness.contract.history import Envelope, OutboxWrite, StoredEvent

from .builders import DEAD, HB

J = ["no_loss", "dead_letter", "exactly_once", "nothing_unexpected"]


def run(h, judges=J):
    v = judge(h, judges)
    return v, {f.id: f for f in v.fates}


def _wire(e: Envelope, **change) -> dict:
    """The envelope's payload as a build altering it on the way out sends it (its id kept)."""
    p = {**(e.payload or {}), **change}
    p["meta"] = {**p.get("meta", {}), "eid": e.id}
    return p


def test_a_conversion_sent_as_a_heartbeat_under_its_id_is_lost():
    """Fails before: delivered, credited by meta.eid alone (no_loss passed)."""
    b = HB()
    e = b.env(ec="conversion", ea="phone_call", el="+90 555")
    b.add(e)
    b.attempt(e)
    b.journal(_wire(e, ec="system", ea="heartbeat", el=""))
    b.remove(e.id)
    v, f = run(b.build())
    assert f[e.id].fate == "lost" and f[e.id].reason_code == "altered_in_transit"
    assert "ec: queued 'conversion', received 'system'" in f[e.id].reason
    assert "ea: queued 'phone_call', received 'heartbeat'" in f[e.id].reason
    assert v.counts["delivered"] == 0 and v.guarantees["no_loss"].status == "fail"


def test_a_label_padded_on_the_way_out_and_refused_is_not_rejected():
    """Fails before: rejected (the 422 was for a label the build never queued)."""
    b = HB()
    e = b.env(ec="conversion", ea="form_submit", el="quote")
    b.add(e)
    b.attempt(e, outcome="http_error", status=422)
    b.journal(_wire(e, el="x" * 600), status=422, errors={0: "el longer than 512"})
    b.dead(e, "rejected")
    b.remove(e.id)
    v, f = run(b.build())
    assert f[e.id].fate == "lost" and f[e.id].reason_code == "altered_in_transit"
    assert "el: queued 'quote', received 'xxxx" in f[e.id].reason
    assert v.guarantees["no_loss"].status == "fail"


def test_per_send_bookkeeping_and_meta_added_on_the_wire_still_deliver():
    """Fields a build adds when sending (attempt counter, sent-at, meta keys) are not the event's identity."""
    b = HB()
    e = b.env(ec="conversion", ea="phone_call")
    b.add(e)
    b.attempt(e)
    p = _wire(e, n=3, sent_at=1234)
    p["meta"] = {**p["meta"], "retry": 2}
    b.journal(p)
    b.remove(e.id)
    _, f = run(b.build())
    assert f[e.id].fate == "delivered"


def test_normal_wire_differences_are_the_same_event():
    """Fails before: each lost altered_in_transit (empty fields left out, ``ev`` as a number, a
    stripped query, a send counter and a sent-at filled in ``meta`` on the way out)."""
    cases = {
        "compact": (dict(r="", ev=None), lambda p: {k: v for k, v in p.items() if k not in ("r", "ev", "el")}),
        "ev text": (dict(ev="5"), lambda p: {**p, "ev": 5}),
        "query": (dict(u="http://127.0.0.1/?utm=1"), lambda p: {**p, "u": "http://127.0.0.1/"}),
        "meta": (dict(meta={"try": 0, "sentAt": None}), lambda p: {**p, "meta": {**p["meta"], "try": 1, "sentAt": 9}}),
    }
    for name, (queued, on_wire) in cases.items():
        b = HB()
        e = b.env(ec="conversion", ea="phone_call")
        e = Envelope(e.id, e.ts, 0, {**(e.payload or {}), **queued}, {})
        b.add(e)
        b.attempt(e)
        b.journal(on_wire(_wire(e)))
        b.remove(e.id)
        v, f = run(b.build())
        assert f[e.id].fate == "delivered", (name, f[e.id].reason)


def test_a_dead_letter_note_holding_another_event_is_not_what_was_queued():
    """Fails before: delivered (the swapped payload, written under the id to the dead-letter key,
    counted as queued; scratch p3, prefix_swapnote.js)."""
    b = HB()
    e = b.env(ec="conversion", ea="phone_call", el="+90 555")
    b.add(e)
    swapped = _wire(e, ec="system", ea="heartbeat", el="")
    b.write(added=(Envelope(e.id, e.ts, 0, swapped, {"reason": "audit"}),), key=DEAD)
    b.attempt(e)
    b.journal(swapped)
    b.remove(e.id)
    v, f = run(b.build())
    assert f[e.id].fate == "lost" and f[e.id].reason_code == "altered_in_transit"
    assert v.guarantees["no_loss"].status == "fail"


def test_an_envelope_turned_into_another_event_in_the_outbox_is_lost():
    """Fails before: delivered (every outbox state counted as queued, the heartbeat among them)."""
    b = HB()
    e = b.env(ec="conversion", ea="phone_call", el="+90 555")
    b.add(e)
    hb = Envelope(e.id, e.ts, 0, {**(e.payload or {}), "ec": "system", "ea": "heartbeat", "el": ""}, {})
    b.change(hb)
    b.deliver(hb)
    v, f = run(b.build())
    assert f[e.id].fate == "lost" and f[e.id].reason_code == "altered_in_queue"
    assert "ec: queued 'conversion', received 'system'" in f[e.id].reason
    assert v.guarantees["no_loss"].status == "fail"


def _decoy_first(rows: bool, journaled: bool = True):
    """Another event stored first under a conversion's id, then the genuine send acknowledged as a
    duplicate (2xx, processed); at rest (``rows``) only the decoy (scratch p2 (b), prefix_decoy.js).
    ``journaled=False``: the journal shows only the genuine send, the row alone tells."""
    b = HB()
    e = b.env(ec="conversion", ea="phone_call", el="+90 555")
    b.add(e)
    decoy = _wire(e, ec="system", ea="heartbeat", el="")
    if journaled:
        b.attempt(e)
        b.journal(decoy)
    b.attempt(e)
    b.journal(e)
    b.remove(e.id)
    h = b.build()
    if rows:
        h.at_rest = [StoredEvent(e.id, "site-1", "sess-1", "2026-01-01", "system", "heartbeat", decoy)]
    v, f = run(h)
    return v, f[e.id]


def test_a_decoy_stored_first_under_the_id_loses_the_envelope():
    """Fails before: delivered (the genuine send after the decoy counted as processed)."""
    for rows in (False, True):
        v, x = _decoy_first(rows)
        assert x.fate == "lost" and x.reason_code == "altered_in_transit", (rows, x.reason)
        assert v.guarantees["no_loss"].status == "fail"


def test_a_row_at_rest_under_the_id_that_is_another_event_is_named():
    """Fails before: delivered; rows at rest were never compared with what was queued."""
    v, x = _decoy_first(rows=True, journaled=False)
    assert x.fate == "lost" and x.reason_code == "altered_at_rest"
    assert "ec 'system', ea 'heartbeat' (queued 'conversion', 'phone_call')" in x.reason
    assert v.guarantees["no_loss"].status == "fail"


def test_a_payload_the_journal_trimmed_is_compared_on_the_labels_it_kept():
    b = HB()
    e = b.env(ec="conversion", ea="form_submit", el="y" * 3000)
    b.add(e)
    b.attempt(e)
    b.journal({"s": "site-1", "sid": "sess-1", "sm": "2026-01-01", "ec": "conversion", "ea": "form_submit",
               "el": "y" * 128, "meta": {"eid": e.id}, "_tank_trimmed": 3300})
    b.remove(e.id)
    _, f = run(b.build())
    assert f[e.id].fate == "delivered"


def test_a_valid_event_taken_down_with_a_batch_refused_for_another_is_lost():
    """Fails before: both rejected, no_loss passed (scratch r4)."""
    b = HB()
    bad = b.env(ec="conversion", ea="form_submit", el="x" * 600)
    good = b.env(ec="conversion", ea="phone_call")
    b.add(bad, good)
    b.attempt(bad, good, outcome="http_error", status=422)
    b.journal(bad, good, status=422, errors={0: "el longer than 512"})
    b.dead(bad, "rejected")
    b.dead(good, "rejected")
    b.remove(bad.id, good.id)
    v, f = run(b.build())
    assert f[bad.id].fate == "rejected"
    assert f[good.id].fate == "lost" and f[good.id].reason_code == "taken_down_with_batch"
    assert v.guarantees["no_loss"].status == "fail"
    assert any("taken down with the batch" in x for x in v.guarantees["dead_letter"].violations)


def test_a_4xx_naming_no_event_refuses_every_event_of_the_request():
    b = HB()
    one, two = b.env(ec="conversion", ea="form_submit"), b.env(ec="conversion", ea="phone_call")
    b.add(one, two)
    b.send(one, two, status=404)
    b.dead(one, "rejected")
    b.dead(two, "rejected")
    b.remove(one.id, two.id)
    v, f = run(b.build())
    assert (f[one.id].fate, f[two.id].fate) == ("rejected", "rejected")
    assert v.guarantees["no_loss"].status == "pass" and v.guarantees["dead_letter"].status == "pass"


def _refused_unread(ec: str = "conversion", el: str = "+90 555", status: int = 400, s: str = "site-1"):
    """A request the endpoint answered ``status`` without naming any event (a body of another shape,
    or one past the journal's budget of refused-event records), then the envelope dead-lettered as
    rejected (scratch p2 (a), prefix_badshape.js)."""
    b = HB()
    stored = b.env(ec="interaction", ea="view")
    b.add(stored)
    b.deliver(stored)
    e = b.env(ec=ec, ea="phone_call", el=el)
    e = Envelope(e.id, e.ts, 0, {**(e.payload or {}), "s": s}, {})
    b.add(e)
    b.attempt(e, outcome="http_error", status=status)
    b.journal(status=status)
    b.dead(e, "rejected")
    b.remove(e.id)
    v, f = run(b.build())
    return v, f[e.id]


def test_a_valid_event_answered_a_4xx_naming_no_event_is_lost():
    """Fails before: rejected, credited from the page's record of the 400 alone."""
    for status in (400, 413):
        v, x = _refused_unread(status=status)
        assert x.fate == "lost" and x.reason_code == "refused_unread", (status, x.reason)
        assert f"after a {status} that named none" in x.reason
        assert v.guarantees["no_loss"].status == "fail"


def test_an_event_the_endpoint_refuses_as_queued_is_rejected_without_a_journal_record():
    """Past the journal's budget of refused-event records: the queued payload is judged by the
    stub's own checks (an over-long label; an unknown site on a 404)."""
    for kw in (dict(el="x" * 600, status=422), dict(s="site-unknown", status=404)):
        v, x = _refused_unread(**kw)  # type: ignore[arg-type]
        assert x.fate == "rejected", (kw, x.reason)
        assert v.guarantees["no_loss"].status == "pass"


def _refused_then_removed(dead_letter: str) -> tuple:
    """A 422 naming the event, then its removal; the build's dead letter: none, with an id, without one."""
    b = HB(deadletter=dead_letter != "no key")
    e = b.env(ec="conversion", ea="form_submit")
    b.add(e)
    b.send(e, status=422, errors={0: "el longer than 512"})
    if dead_letter == "id-less":  # shape {ts,status,ec,ea,attempts} (NOTES.md): the observer keeps no such record
        seq, wall = b._tick()
        b.h.writes.append(OutboxWrite(seq, b.now, wall, "main", DEAD, "write", "http://127.0.0.1/", (), (), (),
                                      length=1, parse_error="1 entries without an id"))
    b.remove(e.id)
    v, f = run(b.build())
    return v, f[e.id]


def test_dead_letters_without_an_id_never_do_worse_than_no_dead_letter_key():
    """Fails before: lost removed_after_error, no_loss and dead_letter failed (scratch r3)."""
    for how in ("no key", "id-less"):
        v, x = _refused_then_removed(how)
        assert x.fate == "rejected", (how, x.reason)
        assert v.guarantees["no_loss"].status == "pass" and v.guarantees["dead_letter"].status == "pass", how
    assert "carry no id (write #" in _refused_then_removed("id-less")[1].reason


def test_a_stray_idless_dead_letter_record_covers_no_later_refusal():
    """Fails before: rejected, dead_letter passed (any id-less write since the envelope was first
    seen counted as its record)."""
    b = HB(deadletter=True)
    e = b.env(ec="conversion", ea="form_submit")
    b.add(e)
    seq, wall = b._tick()
    b.h.writes.append(OutboxWrite(seq, b.now, wall, "main", DEAD, "write", "http://127.0.0.1/", (), (), (),
                                  length=1, parse_error="1 entries without an id"))
    other = b.env(ec="interaction", ea="view")
    b.add(other)
    b.send(e, status=422, errors={0: "el longer than 512"})
    b.remove(e.id)
    v, f = run(b.build())
    assert f[e.id].fate != "rejected" and v.guarantees["dead_letter"].status == "fail", f[e.id].reason


def test_a_keyed_build_that_removes_a_refused_event_without_any_record_is_still_lost():
    v, x = _refused_then_removed("none written")
    assert x.fate == "lost" and v.guarantees["no_loss"].status == "fail"


def _clicks(n: int, per_click: int, debounced: bool = False):
    """``n`` clicks on one link; the build enqueues ``per_click`` envelopes with one payload for each
    (or one for all, ``debounced``); everything delivered and stored."""
    b = HB()
    envs = []
    for _ in range(n):
        b.op("click", intents=[b.intent("conversion", "phone_call")])
        if debounced and envs:
            continue
        for _ in range(per_click):
            e = b.env(ec="conversion", ea="phone_call")
            b.add(e)
            envs.append(e)
        b.advance(1000)
    for e in envs:
        b.deliver(e)
        b.rows(e)
    return run(b.build()), envs


def test_one_click_stored_under_two_ids_is_a_duplicate():
    """Fails before: exactly_once passed, duplicated 0 (scratch r2 case D, twin.js)."""
    (v, f), envs = _clicks(2, 2)
    assert v.counts["duplicated"] == 2 and v.counts["lost"] == 0
    [why] = v.guarantees["exactly_once"].violations
    assert "4 envelopes of one event delivered for 2 intent(s)" in why and "2 duplicate(s)" in why
    assert all(e.id in why for e in envs)


def test_a_twin_with_an_extra_meta_key_is_still_a_duplicate():
    """Fails before: exactly_once passed (twins grouped by the whole payload; prefix_twin_meta.js)."""
    b = HB()
    b.op("click", intents=[b.intent("conversion", "phone_call")])
    e = b.env(ec="conversion", ea="phone_call")
    p = dict(e.payload or {})
    p["meta"] = {**p["meta"], "eid": e.id + "-twin", "copy": 1}
    twin = Envelope(e.id + "-twin", e.ts, 0, p, {})
    b.add(e, twin)
    b.deliver(e, twin)
    b.rows(e, twin)
    v, _ = run(b.build())
    assert v.counts["duplicated"] == 1 and v.guarantees["exactly_once"].status == "fail"


def test_repeated_clicks_and_a_debouncing_build_are_no_duplicates():
    for n, per, debounced in ((3, 1, False), (3, 1, True)):
        (v, _), _ = _clicks(n, per, debounced)
        assert v.counts["duplicated"] == 0 and v.guarantees["exactly_once"].status == "pass", (n, debounced)
