"""The drop rule judged both ways: never too early, and never kept (or re-sent) once past it."""
from __future__ import annotations

import dataclasses

from harness.checker import judge

from .builders import HB, HOUR


def drop(h):
    return judge(h, ["drop_rule"]).guarantees["drop_rule"]


def expired_behind_a_fresh_head(b: HB):
    fresh = b.env("fresh", attempts=0, ts=b.now - 60_000)
    old = b.env("old", ec="conversion", ea="phone_call", attempts=11, ts=b.now - 25 * HOUR)
    b.seed(fresh, old)
    b.op("open")
    return fresh, old


def test_reference_behaviour_passes():
    b = HB()
    fresh, old = expired_behind_a_fresh_head(b)
    b.dead(old, "ttl")
    b.remove(old.id)
    b.deliver(fresh)
    r = drop(b.build())
    assert r.status == "pass" and r.evidence >= 1, r.violations


def test_an_expired_envelope_sent_again_fails():
    b = HB()
    fresh, old = expired_behind_a_fresh_head(b)
    b.deliver(fresh, old)  # head-only check: the expired one rides along
    r = drop(b.build())
    assert r.status == "fail"
    assert "old" in r.violations[0] and "sent again" in r.violations[0] and "attempts=11" in r.violations[0]


def test_an_expired_envelope_kept_after_a_pass_fails():
    b = HB()
    fresh, old = expired_behind_a_fresh_head(b)
    b.deliver(fresh)  # skip-but-keep: never sent, never removed
    b.advance(HOUR)
    r = drop(b.build())
    assert r.status == "fail" and "still queued at the end" in r.violations[0]


def test_kept_without_any_later_pass_is_not_blamed():
    """No pass after expiry (e.g. the page closed): the build had no chance to remove it."""
    b = HB()
    old = b.env("old", attempts=11, ts=b.now - 25 * HOUR)
    b.seed(old)
    r = drop(b.build())
    assert r.status == "pass", r.violations


def test_a_send_before_expiry_is_fine():
    b = HB()
    e = b.env("e", attempts=11, ts=b.now - 23 * HOUR)
    b.seed(e)
    b.send(e, status=503)
    b.advance(2 * HOUR)
    b.bump(e)
    b.dead(e, "ttl")
    b.remove(e.id)
    r = drop(b.build())
    assert r.status == "pass", r.violations


def test_a_silent_trim_is_blamed_on_overflow_not_on_the_drop_rule():
    """Heartbeats fill the outbox during an outage; an enqueue cuts the oldest (with attempts)."""
    b = HB()
    old = [b.env(f"old{i}", "system", "heartbeat", attempts=3) for i in range(12)]
    b.add(*old)
    b.advance(HOUR)
    new = b.env("new", "system", "heartbeat")
    w = b.write(added=[new], removed=[e.id for e in old[:2]])
    b.h.writes[-1] = dataclasses.replace(w, length=11)
    v = judge(b.build(), ["drop_rule", "overflow"])
    fate = v.fate_of("old0")
    assert fate.fate == "lost" and fate.reason_code == "trimmed" and "write #" in fate.reason
    assert v.guarantees["drop_rule"].status != "fail"
    assert v.guarantees["overflow"].status == "fail"
