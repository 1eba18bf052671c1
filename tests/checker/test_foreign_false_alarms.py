"""False alarms that builds written apart from the reference (tracker_js/foreign/) exposed, each
pinned on a hand-written history shaped like the real one."""
from __future__ import annotations

import dataclasses

from harness.checker import judge
from harness.checker.guarantees import GUARANTEES

from .builders import HB

ALL = list(GUARANTEES)
HOME, PAGE2 = "http://127.0.0.1/", "http://127.0.0.1/page2"


def _fates(h):
    v = judge(h, ALL)
    return v, {f.id: f for f in v.fates}


def test_tabs_writing_back_their_own_copies_is_an_overwrite_not_a_beacon_loss() -> None:
    """leadtrack.js in two_tabs: each tab keeps the queue it read at load and writes it back whole.
    Tab b's event bounces (a erases it, b puts it back), b beacons it on close (the endpoint is
    down), then a's next write erases it for good. The cause is the overwrite, not the beacon."""
    b = HB()
    e = b.env(ec="conversion", ea="phone_call")
    b.add(e, url=PAGE2)
    b.send(e, status=503)
    e = dataclasses.replace(e, attempts=1)
    b.write(changed=[e], url=PAGE2)
    b.remove(e.id, url=HOME)  # a's copy never had it
    b.add(e, url=PAGE2)  # b's copy has it
    b.send(e, status=503, via="beacon")
    e = dataclasses.replace(e, extra={"beaconed": True})
    b.write(changed=[e], url=PAGE2)
    b.advance(40_000)
    b.remove(e.id, url=HOME)
    v, f = _fates(b.build())
    assert f[e.id].fate == "lost" and f[e.id].reason_code == "overwritten", f[e.id].reason
    assert "/page2" in f[e.id].reason and "put back 1 time(s)" in f[e.id].reason
    assert v.guarantees["drop_rule"].status != "fail", v.guarantees["drop_rule"].violations


def test_removal_by_the_beaconing_page_stays_a_beacon_loss_and_names_the_refusal() -> None:
    b = HB()
    e = b.env()
    b.add(e, url=PAGE2)
    b.send(e, status=503, via="beacon")
    b.remove(e.id, url=PAGE2)
    _, f = _fates(b.build())
    assert f[e.id].reason_code == "removed_after_beacon"
    assert "refused (503)" in f[e.id].reason


def test_a_scenarios_timing_override_yields_to_the_timing_a_profile_declares() -> None:
    """relay.js in reload_during_outage: the scenario sets ``data-jitter: 0`` on the script tag and
    ``policy: {backoff_jitter: 0}``; relay.js does not read the reference's attributes and declares
    ±30 % jitter, so its retries must be judged at ±30 %, not as exact."""
    from harness.checker.judge import policy_of

    b = HB()
    h = b.build()
    h.policy = {"backoff_jitter": 0, "drop_age_ms": 1000}
    h.profile_policy = {"backoff_jitter": 0.3, "backoff_base_ms": 2000}
    p = policy_of(h)
    assert (p.backoff_jitter, p.backoff_base_ms, p.drop_age_ms) == (0.3, 2000, 1000)
    h.profile_policy = {}
    assert policy_of(h).backoff_jitter == 0


def test_a_click_on_another_link_of_the_same_kind_is_not_a_debounced_repeat() -> None:
    """pulse.js debounces repeated clicks per link (2 s). happy_path clicks wa.me, then WhatsApp
    Web 0 s later: both are conversion/whatsapp intents without a label, yet not a repeat — a
    build that dropped the second would lose a lead, and the declaration must not excuse it."""
    from harness.checker import Policy

    b = HB()
    e = b.env("e1", "conversion", "whatsapp")
    b.op("click", intents=[b.intent("conversion", "whatsapp")], target="whatsapp")
    b.add(e)
    b.op("click", intents=[b.intent("conversion", "whatsapp")], target="whatsapp_web")  # never enqueued
    b.deliver(e)
    v = judge(b.build(), ["no_loss"], Policy(click_debounce_ms=2000))
    assert v.counts["lost"] == 1 and not any("debounce" in n for n in v.notes)


def test_a_removal_by_a_page_older_than_the_envelope_is_an_overwrite() -> None:
    """The same run: tab b's session_end, written and beaconed as b closes, never bounced; tab a
    (open since before it existed, no page loaded since) erased it with its next write."""
    b = HB()
    b.op("open", page="a", page_name="home")
    b.op("open", page="b", page_name="page2")
    e = b.env(ec="system", ea="session_end")
    b.add(e, url=PAGE2)
    b.op("close", page="b")
    b.send(e, status=503, via="beacon")
    b.write(changed=[dataclasses.replace(e, extra={"beaconed": True})], url=PAGE2)
    b.advance(40_000)
    b.remove(e.id, url=HOME)
    _, f = _fates(b.build())
    assert f[e.id].reason_code == "overwritten" and "open since before" in f[e.id].reason, f[e.id].reason


def test_a_page_loaded_after_the_beacon_that_drops_it_is_blamed_on_the_beacon() -> None:
    """A build whose next page deletes what the previous page beaconed: a page loaded in between,
    so the removal is that build's own (beacon) decision, not an overwrite."""
    b = HB()
    e = b.env()
    b.add(e, url=HOME)
    b.attempt(e, via="beacon", outcome="queued", status=None)
    b.op("navigate", page="main", page_name="page2")
    b.remove(e.id, url=PAGE2)
    _, f = _fates(b.build())
    assert f[e.id].reason_code == "removed_after_beacon", f[e.id].reason


def _queue_history(second_gap: int) -> "HB":
    """pulse.js under a 503 outage: the head batch fails (the queue pauses 5 s), a new event joins,
    the batch fails again (pause 10 s), then goes through. The new event's first failure is the
    queue's second: per envelope it would be due after 5 s, the queue waits 10 s."""
    b = HB()
    old = b.env("old", "conversion", "phone_call")
    b.add(old)
    b.send(old, status=503)
    b.advance(2_000)
    new = b.env("new", "conversion", "whatsapp")
    b.add(new)
    b.advance(3_000)
    b.send(old, new, status=503)
    b.advance(second_gap)
    b.deliver(old, new)
    return b


def test_a_queue_wide_pause_is_judged_as_declared() -> None:
    from harness.builds.profile import parse_profile
    from harness.checker import Policy

    declared = parse_profile("backoff: {base: 5s, cap: 80s, jitter: 0, scope: queue}\n", "p.yaml")
    assert declared.policy["backoff_scope"] == "queue" and any("whole queue" in d for d in declared.deviations)
    queue = Policy(backoff_scope="queue", backoff_jitter=0, backoff_cap_ms=80_000)
    per_envelope = Policy(backoff_jitter=0, backoff_cap_ms=80_000)
    h = _queue_history(10_000).build()
    assert judge(h, ["backoff"], queue).guarantees["backoff"].status == "pass"
    assert judge(h, ["backoff"], per_envelope).guarantees["backoff"].status == "fail"  # the 'new' envelope
    early = judge(_queue_history(4_000).build(), ["backoff"], queue).guarantees["backoff"]
    assert early.status == "fail" and "too early" in early.violations[0] and "k=2" in early.violations[0]


def test_a_send_of_a_payload_twin_is_no_resend_past_the_drop_rule() -> None:
    """signalq.js in drop_rule_live: no meta.eid, and its heartbeats are byte-identical. At +25 h it
    drops the expired ones (ttl) and sends the young ones in the same pass; the send, named by
    payload alone, must not count as re-sending an expired envelope."""
    from tests.checker.builders import HOUR

    b = HB()
    old = b.env("old", "system", "heartbeat", eid=False, attempts=11)
    b.seed(old)  # 11 attempts the harness itself wrote: the drop's proof
    b.advance(25 * HOUR)
    young = b.env("young", "system", "heartbeat", eid=False, attempts=0)
    b.add(young)
    b.attempt(young, outcome="http_error", status=503, ids=False)  # carries a heartbeat: whose?
    b.dead(old, "ttl")
    b.remove(old.id)
    v = judge(b.build(), ["drop_rule"])
    assert v.guarantees["drop_rule"].status != "fail", v.guarantees["drop_rule"].violations
    b2 = HB()
    lone = b2.env("lone", "system", "heartbeat", eid=False, attempts=11)
    b2.seed(lone)
    b2.advance(25 * HOUR)
    b2.attempt(lone, outcome="http_error", status=503, ids=False)  # its payload is unique: it is a resend
    assert judge(b2.build(), ["drop_rule"]).guarantees["drop_rule"].status == "fail"


def test_backoff_is_not_judged_on_sends_credited_to_a_payload_twin() -> None:
    """signalq.js in proxy_disabled: identical heartbeats without meta.eid; which twin a send
    carried is a guess, so a per-envelope schedule drawn from it is no evidence."""
    from harness.checker import Policy

    b = HB()
    one = b.env("one", "system", "heartbeat", eid=False)
    two = b.env("two", "system", "heartbeat", eid=False)
    b.add(one, two)
    b.attempt(one, outcome="network_error", status=None, ids=False)
    b.advance(1_000)  # 1 s later: far too early for one envelope's 5 s backoff
    b.attempt(two, outcome="network_error", status=None, ids=False)
    b.advance(1_000)
    b.attempt(one, outcome="network_error", status=None, ids=False)
    v = judge(b.build(), ["backoff"], Policy())
    assert v.guarantees["backoff"].status != "fail", v.guarantees["backoff"].violations


def test_a_loss_after_isolating_a_refused_batch_is_worded_from_the_last_answer():
    """A 422 for the batch [a, b]; the build sends a alone, gets a 200, and removes both: b left
    after a 200 for a request that did not carry it — not "after 422"."""
    b = HB()
    a_, b_ = b.env("a", "conversion", "phone_call"), b.env("b", "conversion", "whatsapp")
    b.add(a_, b_)
    b.send(a_, b_, status=422)
    b.advance(1000)
    ok = b.send(a_)
    b.remove("a", "b")
    v = judge(b.build(), ["no_loss"])
    (line,) = v.guarantees["no_loss"].violations
    assert f"after a 200 for a request that did not carry it (request #{ok.seq}; its own last answer was 422)" in line, line
    assert {f.id: f.reason_code for f in v.fates}["b"] == "removed_after_other_success"


def test_a_removal_right_after_its_own_422_keeps_that_wording():
    b = HB()
    a_, b_ = b.env("a", "conversion", "phone_call"), b.env("b", "conversion", "whatsapp")
    b.add(a_, b_)
    b.send(a_, b_, status=422)
    b.remove("a", "b")
    v = judge(b.build(), ["no_loss"])
    assert all("after 422 without delivery" in x for x in v.guarantees["no_loss"].violations)
    assert len(v.guarantees["no_loss"].violations) == 2


def test_two_tabs_on_one_url_writing_back_their_copies_is_an_overwrite() -> None:
    """leadtrack.js with both tabs on the home page: the URLs are equal, the page loads that wrote
    (the instrumentation's stamp) are not — the same evidence as with two URLs."""
    b = HB()
    a_, b_ = "a#k1", "b#k2"
    e = b.env(ec="conversion", ea="phone_call")
    b.add(e, url=HOME, writer=b_)
    b.send(e, status=503)
    e = dataclasses.replace(e, attempts=1)
    b.write(changed=[e], url=HOME, writer=b_)
    b.remove(e.id, url=HOME, writer=a_)  # a's copy never had it
    b.add(e, url=HOME, writer=b_)  # b's copy has it
    b.send(e, status=503, via="beacon")
    e = dataclasses.replace(e, extra={"beaconed": True})
    b.write(changed=[e], url=HOME, writer=b_)
    b.advance(40_000)
    b.remove(e.id, url=HOME, writer=a_)
    _, f = _fates(b.build())
    assert f[e.id].fate == "lost" and f[e.id].reason_code == "overwritten", f[e.id].reason
    assert "in tab a (a#k1)" in f[e.id].reason and "in tab b (b#k2)" in f[e.id].reason, f[e.id].reason
    assert "put back 1 time(s)" in f[e.id].reason


def test_one_page_load_removing_what_it_beaconed_is_not_an_overwrite() -> None:
    b = HB()
    e = b.env()
    b.add(e, url=HOME, writer="a#k1")
    b.send(e, status=503, via="beacon")
    b.remove(e.id, url=HOME, writer="a#k1")
    _, f = _fates(b.build())
    assert f[e.id].reason_code == "removed_after_beacon", f[e.id].reason
