"""A drop is ``dropped_policy`` only on the harness's own evidence (checker.dropproof): the
``attempts``, ``ts`` and dead-letter reason a build writes are claims, not proof."""
from __future__ import annotations

from harness.checker import judge
from harness.checker.dropproof import OVERFLOW_MIN_LENGTH
from harness.checker.policy import Policy
from harness.contract.history import OutboxWrite

from .builders import DEAD, HB, HOUR

JUDGES = ["no_loss", "drop_rule"]


def _fate(v, sid):
    return next(f for f in v.fates if f.id == sid)


def _fails(b: HB, e, times: int, every: int, **attempt):
    """``times`` failed sends of ``e``, ``every`` ms apart, each counted by the build."""
    for _ in range(times):
        b.advance(every)
        b.attempt(e, **attempt)
        e = b.bump(e)
    return e


def test_forged_attempts_and_ts_never_sent_is_lost():
    """ttl_forger.js: a new conversion rewritten once with attempts 11 and ts 25 h ago, then
    removed, never sent. Before: dropped_policy (ttl) and no_loss passed."""
    b = HB()
    b.advance(30 * HOUR)
    e = b.env(ec="conversion", ea="phone_call", attempts=11, ts=b.now - 25 * HOUR)
    b.add(e)
    b.remove(e.id)
    v = judge(b.build(), JUDGES)
    x = _fate(v, e.id)
    assert (x.fate, x.reason_code) == ("lost", "unproven_drop"), x.reason
    assert "the build counted attempts=11: 11 tries the harness did not see as sends (offline passes, beacons?); the harness saw 0 failed send(s)" in x.reason
    assert "unsupported" not in x.reason
    assert "25.0h old, the harness saw it for 0.0h" in x.reason
    assert v.guarantees["no_loss"].status == "fail" and v.guarantees["drop_rule"].status == "fail"


def test_a_counter_raised_past_the_sends_is_lost_even_when_old_enough():
    """stamp.js on the checker's side: honest ts, the counter raised to 11, removed 25 h later
    (the recorder bounds the removal's page time; here it is real) after one failed send."""
    b = HB()
    e = b.env(ec="conversion", ea="phone_call")
    b.add(e)
    b.attempt(e, outcome="network_error", status=None)
    b.change(b.env(e.id, "conversion", "phone_call", attempts=11, ts=e.ts))
    b.advance(25 * HOUR)
    b.dead(b.env(e.id, "conversion", "phone_call", attempts=11, ts=e.ts), "ttl")
    b.remove(e.id)
    x = _fate(judge(b.build(), JUDGES), e.id)
    assert (x.fate, x.reason_code) == ("lost", "unproven_drop"), x.reason
    assert "attempts=1 " in x.reason


def test_a_live_drop_after_eleven_failed_sends_and_a_day_is_policy():
    b = HB()
    e = b.env(ec="conversion", ea="phone_call")
    b.add(e)
    e = _fails(b, e, 11, HOUR, outcome="http_error", status=503)
    b.advance(14 * HOUR + 1)
    b.dead(e, "ttl")
    b.remove(e.id)
    v = judge(b.build(), JUDGES)
    x = _fate(v, e.id)
    assert (x.fate, x.reason_code) == ("dropped_policy", "ttl"), x.reason
    assert "attempts=11 (11 failed send(s) observed)" in x.reason
    assert v.guarantees["no_loss"].status == "pass" and v.guarantees["drop_rule"].status == "pass"


def test_seeded_attempts_count_and_the_lower_number_is_used():
    """A seeded envelope (attempts 10, ts 25 h ago: the harness wrote both) failing twice more; the
    build counts only one of them: min(observed 12, counter 11) = 11, said so."""
    b = HB()
    e = b.env(ec="conversion", ea="phone_call", attempts=10, ts=b.now - 25 * HOUR)
    b.seed(e)
    b.attempt(e, outcome="network_error", status=None)
    b.attempt(e, outcome="abort", status=None)
    e = b.bump(e)
    b.dead(e, "ttl")
    b.remove(e.id)
    x = _fate(judge(b.build(), JUDGES), e.id)
    assert (x.fate, x.reason_code) == ("dropped_policy", "ttl"), x.reason
    assert "attempts=11 (the build's counter; 2 failed send(s) observed + 10 seeded)" in x.reason


def test_a_stale_queued_ts_is_not_age():
    """Eleven real failures in 2 h, but ts written a day back: the age is the harness's (2 h)."""
    b = HB()
    e = b.env(ec="conversion", ea="phone_call", ts=b.now - 25 * HOUR)
    b.add(e)
    e = _fails(b, e, 11, 10 * 60_000, outcome="network_error", status=None)
    b.remove(e.id)
    x = _fate(judge(b.build(), JUDGES), e.id)
    assert (x.fate, x.reason_code) == ("lost", "unproven_drop"), x.reason
    assert "the harness saw it for 1.8h" in x.reason


def test_an_overflow_record_from_a_short_outbox_is_lost():
    """overflow_liar.js: a heartbeat 'shed' from an outbox of one. Before: dropped_policy."""
    b = HB()
    e = b.env(ec="system", ea="heartbeat")
    b.add(e)
    b.dead(e, "overflow")
    b.remove(e.id)
    v = judge(b.build(), ["no_loss"])
    x = _fate(v, e.id)
    assert (x.fate, x.reason_code) == ("lost", "unproven_overflow"), x.reason
    assert "no evidence the outbox was at a cap" in x.reason and v.guarantees["no_loss"].status == "fail"


def test_a_shed_conversion_is_lost_whatever_the_outbox_held():
    """SPEC §4: a conversion is never shed, so an overflow record does not excuse it (before:
    dropped_policy, and no_loss passed outside overflow scenarios)."""
    b = HB()
    conv = b.env(ec="conversion", ea="phone_call")
    b.add(conv, *(b.env(ec="system", ea="heartbeat") for _ in range(OVERFLOW_MIN_LENGTH)))
    b.dead(conv, "overflow")
    b.remove(conv.id)
    x = _fate(judge(b.build(), ["no_loss"]), conv.id)
    assert (x.fate, x.reason_code) == ("lost", "unproven_overflow") and "a conversion is never shed" in x.reason


def test_a_shed_under_a_storage_quota_is_policy():
    b = HB()
    e = b.env(ec="system", ea="heartbeat")
    b.add(e)
    b.op("storage", mode="quota")
    b.dead(e, "overflow")
    b.remove(e.id)
    x = _fate(judge(b.build(), ["no_loss"]), e.id)
    assert (x.fate, x.reason_code) == ("dropped_policy", "overflow") and "quota" in x.reason


def test_failed_sends_from_a_worker_count_from_the_journal():
    """worker_sender_prefix.js: the build sends from a Web Worker, so the page records no fetch;
    the endpoint refused 11 requests under the envelope's id (503), one re-sent by the browser.
    Before, the drop was lost (unproven_drop, "the harness saw 0 failed send(s)")."""
    b = HB()
    e = b.env(ec="conversion", ea="phone_call")
    b.add(e)
    for i in range(11):
        b.advance(HOUR)
        b.journal(e, status=503, ctx=None, send=f"w{i}")
        e = b.bump(e)
    b.journal(e, status=503, ctx=None, send="w10")  # the browser's copy of the last send
    b.advance(14 * HOUR)
    b.dead(e, "ttl")
    b.remove(e.id)
    v = judge(b.build(), JUDGES)
    x = _fate(v, e.id)
    assert (x.fate, x.reason_code) == ("dropped_policy", "ttl"), x.reason
    assert "attempts=11 (11 failed send(s) observed)" in x.reason
    assert v.guarantees["no_loss"].status == "pass" and v.guarantees["drop_rule"].status == "pass"


def test_the_larger_of_page_and_journal_failures_counts_once():
    """The same 11 failed sends seen by the page and by the endpoint are 11, not 22: with a
    counter of 12 the envelope's attempts stay 11 (min of observed and counter)."""
    b = HB()
    e = b.env(ec="conversion", ea="phone_call")
    b.add(e)
    for _ in range(11):
        b.advance(HOUR)
        b.send(e, status=503, ctx="main")
        e = b.bump(e)
    e = b.bump(e)
    b.change(e)
    b.advance(14 * HOUR)
    b.dead(e, "ttl")
    b.remove(e.id)
    x = _fate(judge(b.build(), JUDGES), e.id)
    assert (x.fate, x.reason_code) == ("dropped_policy", "ttl"), x.reason
    assert "attempts=11 (11 failed send(s) observed; the build's counter said 12)" in x.reason


def test_tries_the_harness_did_not_see_as_sends_are_worded_neutrally():
    """p5: 8 failed fetches + 3 beacons counted, dropped at 25.7 h: lost (attempts are failed sends,
    SPEC §2), but the reason names tries not seen as sends. Before: "the build's claim is unsupported"."""
    b = HB()
    e = b.env(ec="conversion", ea="phone_call")
    b.add(e)
    for i in range(11):
        b.advance(2 * HOUR + 20 * 60_000)
        if i < 8:
            b.attempt(e, outcome="network_error", status=None)
        else:
            b.attempt(e, outcome="queued", status=None, via="beacon")
        e = b.bump(e)
    b.dead(e, "ttl")
    b.remove(e.id)
    x = _fate(judge(b.build(), JUDGES), e.id)
    assert (x.fate, x.reason_code) == ("lost", "unproven_drop"), x.reason
    assert "the build counted attempts=11: 3 tries the harness did not see as sends (offline passes, beacons?)" in x.reason
    assert "the harness saw 8 failed send(s)" in x.reason and "unsupported" not in x.reason


def _shed_at_cap(idless: bool, cap: int = 20, policy: dict | None = None):
    """A build shedding its oldest heartbeat at a cap of ``cap`` (p4): the dead-letter record with
    the id (the reference's shape) or without one ({ts, status, ec, ea, attempts, reason})."""
    b = HB()
    hbs = [b.env(ec="system", ea="heartbeat", el=f"{i}") for i in range(cap)]
    for e in hbs:
        b.add(e)
        b.advance(60_000)
    if idless:
        seq, wall = b._tick()
        b.h.writes.append(OutboxWrite(seq, b.now, wall, "main", DEAD, "write", "http://127.0.0.1/", (), (), (),
                                      length=1, parse_error="1 entries without an id"))
    else:
        b.dead(hbs[0], "overflow")
    b.write(added=(b.env(ec="system", ea="heartbeat", el="new"),), removed=(hbs[0].id,))
    v = judge(b.build(), ["no_loss", "overflow", "dead_letter"], Policy(**(policy or {})))
    return v, _fate(v, hbs[0].id)


def test_an_idless_dead_letter_at_a_shed_is_an_overflow_record():
    """prefix_idless_dead.js on outage_overflow_short: before, the id-less shed was lost
    ("removed … before any send (stale save or another tab's overwrite)"); now both record
    shapes give the same fate and guarantees."""
    (v1, x1), (v2, x2) = _shed_at_cap(False), _shed_at_cap(True)
    assert (x1.fate, x1.reason_code) == (x2.fate, x2.reason_code) == ("dropped_policy", "overflow"), x2.reason
    assert "recorded without an id" in x2.reason
    assert {k: g.status for k, g in v1.guarantees.items()} == {k: g.status for k, g in v2.guarantees.items()}


def test_an_idless_shed_below_the_cap_is_worded_as_a_shed():
    b = HB()
    e = b.env(ec="system", ea="heartbeat")
    b.add(e)
    seq, wall = b._tick()
    b.h.writes.append(OutboxWrite(seq, b.now, wall, "main", DEAD, "write", "http://127.0.0.1/", (), (), (),
                                  length=1, parse_error="1 entries without an id"))
    b.remove(e.id)
    x = _fate(judge(b.build(), ["no_loss"]), e.id)
    assert (x.fate, x.reason_code) == ("lost", "unproven_overflow"), x.reason
    assert "taken for an overflow shed" in x.reason and "stale save" not in x.reason


def test_a_view_shed_while_heartbeats_stay_queued_is_lost():
    """p6: ten junk heartbeats kept, the page view dead-lettered as overflow. Before: dropped_policy
    (the outbox held 11), and happy_path's rules passed."""
    b = HB()
    view = b.env(ec="interaction", ea="view")
    b.add(view)
    b.add(*(b.env(ec="system", ea="heartbeat", el=str(i)) for i in range(OVERFLOW_MIN_LENGTH)))
    b.dead(view, "overflow")
    b.remove(view.id)
    v = judge(b.build(), ["no_loss"])
    x = _fate(v, view.id)
    assert (x.fate, x.reason_code) == ("lost", "unproven_overflow"), x.reason
    assert "10 heartbeat(s) stayed queued" in x.reason and v.guarantees["no_loss"].status == "fail"


def test_a_declared_cap_decides_at_a_cap():
    """A build capped at 5 declares ``overflow: {cap: 5}``: its shed is policy (before: lost, the
    floor of 10); a cap of 500 declared makes a shed from 20 unproven."""
    _, x = _shed_at_cap(False, cap=5)
    assert x.reason_code == "unproven_overflow" and "fewer than 10 entries" in x.reason
    _, x = _shed_at_cap(False, cap=5, policy={"outbox_cap": 5})
    assert (x.fate, x.reason_code) == ("dropped_policy", "overflow"), x.reason
    _, x = _shed_at_cap(False, cap=20, policy={"outbox_cap": 500})
    assert x.reason_code == "unproven_overflow" and "fewer than 500 entries" in x.reason


class _CountingList(list):
    """A list that counts the passes made over it."""

    passes = 0

    def __iter__(self):
        _CountingList.passes += 1
        return super().__iter__()


def test_dead_letter_only_sheds_read_the_writes_a_bounded_number_of_times():
    """Envelopes only ever seen in the dead-letter list (shed as overflow) look up the last outbox
    write before their record: before, one pass over every write per envelope (200 here); now an
    index built once and bisected."""
    b = HB()
    b.add(*(b.env(ec="system", ea="heartbeat", el=str(i)) for i in range(OVERFLOW_MIN_LENGTH)))
    shed = [b.env(ec="system", ea="heartbeat", el=f"x{i}") for i in range(200)]
    for e in shed:
        b.dead(e, "overflow")
    h = b.build()
    h.writes = _CountingList(h.writes)
    _CountingList.passes = 0
    v = judge(h, ["no_loss"])
    assert all(_fate(v, e.id).reason_code == "overflow" for e in shed)
    assert _CountingList.passes < 20, _CountingList.passes
