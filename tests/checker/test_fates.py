"""Every fate, by proof: hand-made histories where the answer is known."""
from __future__ import annotations

import dataclasses

import pytest

from harness.checker import judge
from harness.checker.dropproof import OVERFLOW_MIN_LENGTH
from harness.checker.guarantees import GUARANTEES

from .builders import HB, HOUR, payload

ALL = list(GUARANTEES)


def fates(h):
    v = judge(h, ALL)
    return v, {f.id: f for f in v.fates}


def test_delivered_once():
    b = HB()
    e = b.env()
    b.add(e)
    b.deliver(e)
    v, f = fates(b.build())
    assert f[e.id].fate == "delivered" and f[e.id].deliveries == 1 and f[e.id].duplicates == 0
    assert v.counts["delivered"] == 1 and v.counts["duplicated"] == 0


def test_duplicates_counted_with_multiplicity_across_requests():
    b = HB()
    e = b.env()
    b.add(e)
    for _ in range(3):
        b.journal(e)
    b.remove(e.id)
    v, f = fates(b.build())
    assert (f[e.id].deliveries, f[e.id].duplicates) == (3, 2)
    assert v.counts["duplicated"] == 2


def test_twice_inside_one_batch_is_a_duplicate():
    b = HB()
    e, other = b.env(), b.env()
    b.add(e, other)
    b.journal(e, other, e)
    b.remove(e.id, other.id)
    v, f = fates(b.build())
    assert (f[e.id].deliveries, f[e.id].duplicates) == (2, 1)
    assert (f[other.id].deliveries, f[other.id].duplicates) == (1, 0)
    assert v.counts["duplicated"] == 1


def test_beacon_delivery_counts_and_unprocessed_does_not():
    b = HB()
    e = b.env()
    b.add(e)
    b.journal(e, status=503)  # not processed
    b.journal(e, via="beacon")
    b.journal(e)
    v, f = fates(b.build())
    assert f[e.id].fate == "delivered" and f[e.id].deliveries == 2 and f[e.id].duplicates == 1


def test_process_then_fail_is_a_delivery():
    b = HB()
    e = b.env()
    b.add(e)
    b.journal(e, status=500, processed=True, outcome="process_then_fail")
    b.journal(e)
    b.remove(e.id)
    _, f = fates(b.build())
    assert (f[e.id].fate, f[e.id].deliveries, f[e.id].duplicates) == ("delivered", 2, 1)


def test_pending_at_end():
    b = HB()
    e = b.env()
    b.add(e)
    b.send(e, status=503)
    e = b.bump(e)
    v, f = fates(b.build())
    assert f[e.id].fate == "pending" and v.counts["pending"] == 1


def test_delivered_wins_over_pending():
    b = HB()
    e = b.env()
    b.add(e)
    b.journal(e)  # accepted, but the build never removed it
    _, f = fates(b.build())
    assert f[e.id].fate == "delivered"


def test_rejected_needs_record_and_4xx():
    b = HB()
    e = b.env()
    b.add(e)
    b.send(e, status=422, errors={0: "el too long"})
    b.dead(e, "rejected")
    b.remove(e.id)
    _, f = fates(b.build())
    assert f[e.id].fate == "rejected"


def test_rejected_claim_without_4xx_is_lost():
    b = HB()
    e = b.env()
    b.add(e)
    b.send(e, status=503)
    b.dead(e, "rejected")
    b.remove(e.id)
    _, f = fates(b.build())
    assert f[e.id].fate == "lost" and f[e.id].reason_code == "rejected_without_4xx"


def test_removed_after_4xx_without_deadletter_key_is_rejected():
    b = HB(deadletter=False)
    e = b.env()
    b.add(e)
    b.send(e, status=404)
    b.remove(e.id)
    _, f = fates(b.build())
    assert f[e.id].fate == "rejected"


def test_removed_after_4xx_with_key_but_no_record_is_lost():
    b = HB()
    e = b.env()
    b.add(e)
    b.send(e, status=422)
    b.remove(e.id)
    _, f = fates(b.build())
    assert f[e.id].fate == "lost"


def _aged(b: HB, attempts: int, age_h: float, claim: bool = False):
    e = b.env(attempts=attempts, ts=b.now)
    b.seed(e)
    b.advance(int(age_h * HOUR))
    if claim:
        b.dead(e, "ttl")
    b.remove(e.id)
    return e


@pytest.mark.parametrize("attempts,age_h,fate", [
    (11, 25, "dropped_policy"),
    (11, 1, "lost"),
    (3, 48, "lost"),
    (10, 25, "lost"),
    (10, 24, "lost"),
])
def test_drop_rule_needs_proof(attempts, age_h, fate):
    b = HB()
    e = _aged(b, attempts, age_h)
    v, f = fates(b.build())
    assert f[e.id].fate == fate
    g = v.guarantees["drop_rule"]
    if fate == "lost":
        assert f[e.id].reason_code == "dropped_early"
        assert g.status == "fail" and f"attempts={attempts}" in g.violations[0] and f"age={age_h:.1f}h" in g.violations[0]
    else:
        assert f[e.id].reason_code == "ttl" and g.status == "pass" and g.evidence == 1


def test_ttl_claim_is_not_proof():
    b = HB()
    e = _aged(b, 3, 48, claim=True)
    v, f = fates(b.build())
    assert f[e.id].fate == "lost" and f[e.id].reason_code == "dropped_early" and "recorded as ttl" in f[e.id].reason
    assert v.guarantees["drop_rule"].status == "fail"


def test_ttl_proof_comes_from_the_outbox_not_the_deadletter_copy():
    b = HB()
    e = b.env(attempts=10, ts=b.now)
    b.seed(e)
    b.advance(25 * HOUR)
    b.dead(b.env(e.id, attempts=11, ts=e.ts), "ttl")  # the build claims 11; the outbox never showed it
    b.remove(e.id)
    _, f = fates(b.build())
    assert f[e.id].fate == "lost"


def test_overflow_record_is_dropped_policy():
    b = HB()
    e = b.env(ec="system", ea="heartbeat")
    b.add(e, *(b.env(ec="system", ea="heartbeat") for _ in range(OVERFLOW_MIN_LENGTH - 1)))  # the outbox at a cap
    b.dead(e, "overflow")
    b.remove(e.id)
    v, f = fates(b.build())
    assert f[e.id].fate == "dropped_policy" and f[e.id].reason_code == "overflow"
    assert v.counts["dropped_policy"] == 1


def test_a_shed_at_the_cap_recorded_as_overflow_is_a_policy_drop_like_tagqs():
    """SPEC §4: a build may shed at its cap (heartbeats first) when every shed envelope is recorded
    with its reason; such a drop is dropped_policy, reason overflow — the reference's sheds and
    tagq's (tracker_js/foreign/tagq.js: {id, ts, payload, attempts, reason, status, at} in its dead
    list) alike. A heartbeat shed a day into an outage, never sent (attempts 0), is overflow, not ttl;
    one the build sheds without a record is lost."""
    b = HB()
    shed, silent = b.env(ec="system", ea="heartbeat"), b.env(ec="system", ea="heartbeat")
    b.add(shed, silent, *(b.env(ec="interaction", ea="view") for _ in range(OVERFLOW_MIN_LENGTH)))  # at a cap
    b.advance(25 * HOUR)
    b.dead(b.env(shed.id, "system", "heartbeat", attempts=0, ts=shed.ts, status=None, at=b.now), "overflow")
    b.remove(shed.id, silent.id)
    v, f = fates(b.build())
    assert (f[shed.id].fate, f[shed.id].reason_code) == ("dropped_policy", "overflow")
    assert f[silent.id].fate == "lost"


def test_malformed_record_needs_a_malformed_envelope():
    b = HB()
    bad = b.env(attempts=None)
    good = b.env()
    b.seed(bad, good)
    b.dead(bad, "malformed")
    b.dead(good, "malformed")
    b.remove(bad.id, good.id)
    _, f = fates(b.build())
    assert f[bad.id].fate == "dropped_policy" and f[good.id].fate == "lost"


def test_lost_after_503_names_the_status():
    b = HB()
    e = b.env()
    b.add(e)
    b.send(e, status=503)
    b.remove(e.id)
    _, f = fates(b.build())
    assert f[e.id].fate == "lost" and f[e.id].reason_code == "removed_after_error" and "503" in f[e.id].reason


def test_stale_save_loss_is_removed_unsent():
    b = HB()
    a = b.env()
    b.add(a)
    late = b.env()
    b.add(late)
    b.send(a)
    b.remove(a.id, late.id)  # the stale copy did not have `late`
    _, f = fates(b.build())
    assert f[a.id].fate == "delivered"
    assert f[late.id].fate == "lost" and f[late.id].reason_code == "removed_unsent"


def test_overwrite_by_another_page():
    b = HB()
    e = b.env()
    b.add(e, url="http://127.0.0.1/")
    b.remove(e.id, url="http://127.0.0.1/page2")
    _, f = fates(b.build())
    assert f[e.id].reason_code == "overwritten"


def test_removed_after_beacon_that_never_arrived():
    b = HB()
    e = b.env()
    b.add(e)
    b.attempt(e, via="beacon", outcome="queued", status=None)
    b.remove(e.id)
    _, f = fates(b.build())
    assert f[e.id].fate == "lost" and f[e.id].reason_code == "removed_after_beacon"


def test_unexpected_event():
    b = HB()
    e = b.env()
    b.add(e)
    b.journal(e, payload("interaction", "ghost", eid="nobody"))
    b.remove(e.id)
    v, _ = fates(b.build())
    assert v.counts["unexpected"] == 1
    assert v.unexpected[0]["ea"] == "ghost" and v.unexpected[0]["request"] == 1
    assert v.guarantees["nothing_unexpected"].status == "fail"


def test_eidless_build_matched_by_payload_in_order():
    b = HB()
    # two envelopes with the same payload (no eid anywhere), one with another payload
    same = payload("system", "heartbeat")
    x, y = b.env("x", body=same), b.env("y", body=dict(same))
    z = b.env("z", eid=False, ea="click")
    b.add(x, y, z)
    b.journal(x, z, wire_eid=False)
    b.remove(x.id, z.id)
    b.journal(y, wire_eid=False)
    b.journal(y, wire_eid=False)  # a duplicate of one of them
    b.remove(y.id)
    v, f = fates(b.build())
    assert f["x"].deliveries == 1 and f["y"].deliveries == 2 and f["z"].deliveries == 1
    assert v.counts == {"delivered": 3, "duplicated": 1, "browser_copies": 0, "dropped_policy": 0, "rejected": 0, "pending": 0,
                        "lost": 0, "unexpected": 0}


def test_fresh_eid_per_attempt_is_matched_by_payload():
    b = HB()
    e = b.env()
    b.add(e)
    wire = dict(e.payload or {})
    wire["meta"] = {**wire["meta"], "eid": "fresh-1"}
    b.journal(wire)
    b.remove(e.id)
    v, f = fates(b.build())
    assert f[e.id].fate == "delivered" and v.counts["unexpected"] == 0


def test_intent_never_enqueued_is_lost():
    b = HB()
    it = b.intent("conversion", "phone_call")
    b.op("click", intents=[it], target="tel")
    v, f = fates(b.build())
    assert f[it.intent_id].fate == "lost" and f[it.intent_id].reason_code == "never_enqueued"
    assert f[it.intent_id].kind == "intent"
    assert v.guarantees["no_loss"].status == "fail"


def test_intent_fulfilled_by_an_envelope_is_not_a_separate_fate():
    b = HB()
    it = b.intent("conversion", "phone_call")
    b.op("click", intents=[it])
    e = b.env(ec="conversion", ea="phone_call")
    b.add(e)
    b.deliver(e)
    _, f = fates(b.build())
    assert set(f) == {e.id}


def test_intent_matches_only_envelopes_added_after_it():
    b = HB()
    early = b.env(ec="conversion", ea="phone_call")
    b.add(early)
    b.advance(1000)
    it = b.intent("conversion", "phone_call")
    b.op("click", intents=[it])
    _, f = fates(b.build())
    assert f[it.intent_id].fate == "lost"


def test_intent_label_must_match_when_given():
    b = HB()
    it = b.intent("cat", "act", "the-label")
    b.op("send", intents=[it])
    e = b.env(ec="cat", ea="act", el="other")
    b.add(e)
    _, f = fates(b.build())
    assert f[it.intent_id].fate == "lost" and f[e.id].fate == "pending"


def test_intent_sent_without_outbox_is_delivered_but_unexpected():
    """Sent before (instead of) being stored: it arrived, but it was never enqueued."""
    b = HB()
    it = b.intent("conversion", "whatsapp")
    b.op("click", intents=[it])
    b.journal(payload("conversion", "whatsapp", eid="direct"))
    v, f = fates(b.build())
    assert f[it.intent_id].fate == "delivered" and v.counts["unexpected"] == 1
    assert v.unexpected[0]["intent"] == it.intent_id
    assert "sent without being stored first" in v.guarantees["nothing_unexpected"].violations[0]


def test_intent_sent_from_memory_while_storage_fails_is_not_unexpected():
    b = HB()
    b.op("storage", mode="quota")
    it = b.intent("conversion", "whatsapp")
    b.op("click", intents=[it])
    b.journal(payload("conversion", "whatsapp", eid="direct"))
    v, f = fates(b.build())
    assert f[it.intent_id].fate == "delivered" and v.counts["unexpected"] == 0


def test_counts_cover_every_fate_once():
    b = HB()
    d, p, r = b.env(), b.env(), b.env()
    b.add(d, p, r)
    b.deliver(d)
    b.send(r, status=400)
    b.dead(r, "rejected")
    b.remove(r.id)
    v, _ = fates(b.build())
    assert v.counts["delivered"] == 1 and v.counts["pending"] == 1 and v.counts["rejected"] == 1
    assert sum(v.counts[k] for k in ("delivered", "dropped_policy", "rejected", "pending", "lost")) == len(v.fates)


def test_fates_survive_odd_data():
    """Envelopes without ts/attempts/payload do not crash anything."""
    b = HB()
    e = b.env(attempts=None, ts=None, body=None)  # type: ignore[arg-type]
    b.write(added=[type(e)(e.id, None, None, None)])
    b.remove(e.id)
    b.journal({"not": "a tracker payload"})
    v = judge(b.build(), ALL)
    assert v.fates[0].fate == "lost"
    assert not any("checker error" in x for g in v.guarantees.values() for x in g.violations)


def test_auto_events_sent_from_memory_while_storage_fails_are_direct_not_unexpected():
    b = HB()
    b.op("storage", mode="quota")
    hb = payload("system", "heartbeat", eid="mem-1")
    b.journal(hb, status=503)
    b.journal(hb)
    b.journal(hb)  # a duplicate of the same eid
    b.journal(payload("interaction", "ghost", eid="mem-2"))  # not an auto event: still unexpected
    v, f = fates(b.build())
    assert f["mem-1"].kind == "direct" and f["mem-1"].fate == "delivered"
    assert (f["mem-1"].deliveries, f["mem-1"].duplicates) == (2, 1)
    assert v.counts["unexpected"] == 1 and v.unexpected[0]["ea"] == "ghost"
    assert [t.what for t in f["mem-1"].timeline] == ["arrived", "arrived", "arrived"]


def test_auto_events_without_a_storage_failure_are_unexpected():
    b = HB()
    b.journal(payload("system", "heartbeat", eid="mem-1"))
    v, _ = fates(b.build())
    assert v.counts["unexpected"] == 1


def test_direct_send_never_accepted_is_lost():
    b = HB()
    b.op("storage", ctx=None, page=None, mode="private", context="main")
    b.journal(payload("system", "session_end", eid="mem-9"), status=503)
    v, f = fates(b.build())
    assert f["mem-9"].fate == "lost" and f["mem-9"].context == "main"


def test_removal_found_only_by_the_final_read_says_so():
    b = HB()
    e = b.env()
    b.add(e)
    b.write(removed=[e.id], kind="snapshot", url=None)
    _, f = fates(b.build())
    assert f[e.id].fate == "lost" and "harness's read" in f[e.id].reason


def test_identical_idless_heartbeats_from_memory_are_distinct_events():
    """Ten heartbeats without eid, sent from memory a minute apart, are ten events (one each) — not
    one event stored ten times; a failed copy followed by an accepted one may be its retry."""
    b = HB()
    b.op("storage", mode="quota")
    hb = payload("system", "heartbeat")
    b.journal(hb, status=503)
    for _ in range(10):
        b.journal(hb)
        b.advance(60_000)
    v, f = fates(b.build())
    direct = [x for x in f.values() if x.kind == "direct"]
    assert len(direct) == 10
    assert all((x.fate, x.deliveries, x.duplicates) == ("delivered", 1, 0) for x in direct)
    assert v.counts["duplicated"] == 0 and v.counts["lost"] == 0


def test_an_idless_direct_send_the_network_repeated_is_one_event_twice():
    b = HB()
    b.op("storage", mode="quota")
    hb = payload("system", "heartbeat")
    first = b.journal(hb)
    b.h.journal[-1] = dataclasses.replace(first, t_page=b.now)
    again = b.journal(hb)
    b.h.journal[-1] = dataclasses.replace(again, t_page=b.now)  # same page send: same page-time tag
    _, f = fates(b.build())
    (x,) = [x for x in f.values() if x.kind == "direct"]
    assert (x.deliveries, x.duplicates) == (2, 1)
