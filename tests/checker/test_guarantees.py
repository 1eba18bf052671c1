"""Each guarantee passes on a good history, fails on a bad one, and is vacuous when not exercised."""
from __future__ import annotations

from harness.checker import Policy, judge
from harness.checker.guarantees import GUARANTEES
from harness.checker.lifecycle import WallToPage

from .builders import HB, HOUR, T0, payload

ALL = list(GUARANTEES)
SEC = 1000


def g(h, gid, policy=None):
    return judge(h, [gid], policy).guarantees[gid]


# -- retry -------------------------------------------------------------------------------
def _failed_fetch(b: HB, **kw):
    e = b.env()
    b.add(e)
    b.attempt(e, outcome="network_error", status=None, error="TypeError: Failed to fetch", **kw)
    return b.bump(e)


def test_retry_pass():
    b = HB()
    e = _failed_fetch(b)
    b.advance(5 * SEC)
    b.deliver(e)
    r = g(b.build(end_after=400 * SEC), "retry")
    assert (r.status, r.evidence) == ("pass", 1)


def test_retry_fail_when_never_tried_again():
    b = HB()
    e = _failed_fetch(b)
    r = g(b.build(end_after=400 * SEC), "retry")
    assert r.status == "fail" and e.id[:8] in r.violations[0] and "network_error" in r.violations[0]


def test_retry_fails_when_another_context_ran_ahead_in_page_time():
    """Contexts may run apart in page time: a neighbour's facts recorded first, a minute ahead,
    must not date this context's failed request as its own later try."""
    for ahead in (0, 60 * SEC):
        b = HB()
        e = b.env()
        b.add(e)
        b.now = T0 + ahead
        b.add(b.env(), ctx="other")
        b.now = T0
        b.send(e, status=503, ctx="main")
        b.bump(e)
        r = g(b.build(end_after=400 * SEC), "retry")
        assert r.status == "fail", (ahead, r.status, r.violations)


def test_wall_to_page_reads_the_entry_context_and_the_run():
    b = HB()
    b.add(b.env())
    b.now = T0 + 60 * SEC
    b.add(b.env(), ctx="other")
    b.op("advance", ctx=None, page=None)
    w2p = WallToPage(b.build())
    last = b.wall + 1
    assert w2p(last) == T0 + 60 * SEC  # every fact
    assert w2p(last, "main") == T0 + 60 * SEC  # the run's op counts for every context
    b2 = HB()
    b2.add(b2.env())
    b2.now = T0 + 60 * SEC
    b2.add(b2.env(), ctx="other")
    w2p = WallToPage(b2.build())
    assert (w2p(b2.wall + 1, "main"), w2p(b2.wall + 1, "other"), w2p(b2.wall + 1)) == (T0, T0 + 60 * SEC, T0 + 60 * SEC)
    assert w2p(b2.wall + 1, "gone") == T0 + 60 * SEC  # a context with no facts of its own: every fact


def test_retry_503_needs_a_retry_and_a_4xx_does_not():
    b = HB()
    e = b.env()
    b.add(e)
    b.send(e, status=503)
    assert g(b.build(end_after=400 * SEC), "retry").status == "fail"
    b = HB()
    e = b.env()
    b.add(e)
    b.send(e, status=422)
    b.dead(e, "rejected")
    b.remove(e.id)
    assert g(b.build(end_after=400 * SEC), "retry").status == "vacuous"


def test_retry_vacuous_when_failure_is_too_close_to_the_end():
    b = HB()
    _failed_fetch(b)
    r = g(b.build(end_after=100 * SEC), "retry")
    assert r.status == "vacuous" and "exempt" in (r.note or "")


def test_retry_exempt_when_the_page_closed_or_went_offline():
    b = HB()
    b.op("open")
    _failed_fetch(b)
    b.advance(1 * SEC)
    b.op("close")
    assert g(b.build(end_after=HOUR), "retry").status == "vacuous"
    b = HB()
    b.op("open")
    _failed_fetch(b)
    b.op("offline", online=False)
    assert g(b.build(end_after=HOUR), "retry").status == "vacuous"


def test_retry_obliged_again_once_a_page_reopens_for_a_whole_window():
    b = HB()
    b.op("open")
    _failed_fetch(b)
    b.op("close")
    b.advance(HOUR)
    b.op("open")
    assert g(b.build(end_after=HOUR), "retry").status == "fail"


def test_retry_from_journal_only():
    b = HB()
    e = b.env()
    b.add(e)
    b.journal(e, status=503)
    b.advance(10 * SEC)
    b.add(b.env())  # a write moves the wall->page map on
    b.journal(e)
    b.remove(e.id)
    assert g(b.build(end_after=400 * SEC), "retry").status == "pass"
    b = HB()
    e = b.env()
    b.add(e)
    b.journal(e, status=None, outcome="closed")
    assert g(b.build(end_after=400 * SEC), "retry").status == "fail"


# -- timeout -----------------------------------------------------------------------------
def _fetch(b: HB, duration: int | None, outcome: str = "abort", status=None):
    e = b.env()
    b.add(e)
    return b.attempt(e, outcome=outcome, status=status, duration=duration or 0, pending=duration is None)


def test_timeout_pass_at_five_seconds():
    b = HB()
    _fetch(b, 5000)
    _fetch(b, 5200)
    _fetch(b, 200, outcome="ok", status=200)
    r = g(b.build(end_after=60 * SEC), "timeout")
    assert (r.status, r.evidence) == ("pass", 2)


def test_timeout_fail_early_late_and_never():
    for duration, outcome, status, words in [
        (1000, "abort", None, "aborted after 1.000s"),
        (5300, "abort", None, "aborted after 5.300s"),
        (7000, "ok", 200, "ran 7.000s"),
        (None, "abort", None, "never aborted"),
    ]:
        b = HB()
        _fetch(b, duration, outcome, status)
        r = g(b.build(end_after=60 * SEC), "timeout")
        assert r.status == "fail" and words in r.violations[0], (duration, r.violations)


def test_timeout_judges_an_xhr_send_as_a_fetch_and_names_its_transport():
    b = HB()
    e = b.env()
    b.add(e)
    b.attempt(e, outcome="abort", status=None, duration=15000, via="xhr")
    r = g(b.build(end_after=60 * SEC), "timeout")
    assert r.status == "fail" and r.violations[0].startswith("xhr #"), r.violations
    assert "aborted after 15.000s" in r.violations[0]


def test_timeout_custom_policy():
    b = HB()
    _fetch(b, 1000)
    assert g(b.build(end_after=60 * SEC), "timeout", Policy(timeout_ms=1000)).status == "pass"


def test_timeout_pending_on_a_closed_page_is_exempt_and_vacuous_without_long_fetches():
    b = HB()
    b.op("open")
    _fetch(b, None)
    b.advance(1000)
    b.op("close")
    r = g(b.build(end_after=60 * SEC), "timeout")
    assert r.status == "vacuous" and "closed" in (r.note or "")
    b = HB()
    _fetch(b, 100, "ok", 200)
    assert g(b.build(end_after=60 * SEC), "timeout").status == "vacuous"


# -- response_ok -------------------------------------------------------------------------
def test_response_ok_pass_when_the_failure_is_counted():
    b = HB()
    e = b.env()
    b.add(e)
    b.send(e, status=503)
    e = b.bump(e)
    b.advance(5 * SEC)
    b.deliver(e)
    r = g(b.build(), "response_ok")
    assert (r.status, r.evidence) == ("pass", 1)


def test_response_ok_fail_when_removed_after_503():
    b = HB()
    e = b.env()
    b.add(e)
    b.send(e, status=503)
    b.remove(e.id)
    r = g(b.build(), "response_ok")
    assert r.status == "fail" and "503" in r.violations[0]


def test_response_ok_not_blamed_for_a_counted_failure_dropped_later():
    b = HB()
    e = b.env()
    b.add(e)
    b.send(e, status=503)
    b.bump(e)
    b.remove(e.id)  # dropped after 1 attempt: the drop rule's business
    v = judge(b.build(), ALL)
    assert v.guarantees["response_ok"].status == "pass"
    assert v.guarantees["drop_rule"].status == "fail"


def test_response_ok_vacuous_without_errors():
    b = HB()
    e = b.env()
    b.add(e)
    b.deliver(e)
    assert g(b.build(), "response_ok").status == "vacuous"


# -- drop_rule ---------------------------------------------------------------------------
def test_drop_rule_kept_envelope_is_evidence():
    b = HB()
    e = b.env(attempts=11, ts=b.now)
    b.seed(e)
    b.advance(HOUR)
    r = g(b.build(), "drop_rule")
    assert (r.status, r.evidence) == ("pass", 1)


def test_drop_rule_vacuous():
    b = HB()
    e = b.env()
    b.add(e)
    b.deliver(e)
    assert g(b.build(), "drop_rule").status == "vacuous"


# -- last_gasp ---------------------------------------------------------------------------
def test_last_gasp_pass():
    b = HB()
    b.op("open")
    e = b.env()
    b.add(e)
    b.op("close", online=True)
    b.attempt(e, via="beacon", outcome="queued", status=None)
    b.journal(e, via="beacon")
    r = g(b.build(), "last_gasp")
    assert (r.status, r.evidence) == ("pass", 1)


def test_last_gasp_fail_and_names_the_cause():
    b = HB()
    b.op("open")
    e = b.env()
    b.add(e)
    b.op("navigate", online=True)
    r = g(b.build(), "last_gasp")
    assert r.status == "fail" and "no beacon" in r.violations[0]
    b = HB()
    e = b.env()
    b.add(e)
    b.op("close")
    b.attempt(e, via="beacon", outcome="queued", status=None)
    r = g(b.build(), "last_gasp")
    assert r.status == "fail" and "called but nothing arrived" in r.violations[0]


def test_last_gasp_pending_is_taken_before_the_op():
    """A build that removes items while unloading still owed them a beacon."""
    b = HB()
    e = b.env()
    b.add(e)
    b.op("close")
    b.remove(e.id)
    assert g(b.build(), "last_gasp").status == "fail"


def test_last_gasp_a_later_beacon_does_not_excuse_an_earlier_unload():
    b = HB()
    e = b.env()
    b.add(e)
    b.op("reload")
    b.op("close")
    b.journal(e, via="beacon")
    r = g(b.build(), "last_gasp")
    assert (r.status, r.evidence) == ("fail", 2) and "reload" in r.violations[0]


def test_last_gasp_vacuous_offline_or_nothing_pending():
    b = HB()
    b.add(b.env())
    b.op("close", online=False)
    assert g(b.build(), "last_gasp").status == "vacuous"
    b = HB()
    b.op("close")
    assert g(b.build(), "last_gasp").status == "vacuous"


# -- triggers ----------------------------------------------------------------------------
def _seeded_then(kind: str, delay: int, **detail):
    b = HB()
    e = b.env(attempts=2)
    b.seed(e)
    b.op(kind, **detail)
    b.advance(delay)
    b.attempt(e, outcome="ok", status=200)
    return b


def test_trigger_load_pass_and_fail():
    r = g(_seeded_then("open", 100).build(end_after=10 * SEC), "trigger_load")
    assert (r.status, r.evidence) == ("pass", 1)
    r = g(_seeded_then("open", 3000).build(end_after=10 * SEC), "trigger_load")
    assert r.status == "fail" and "within 2s" in r.violations[0]


def test_trigger_load_skips_offline_loads():
    assert g(_seeded_then("reload", 9000, online=False).build(end_after=10 * SEC), "trigger_load").status == "vacuous"


def test_trigger_load_from_journal_without_attempts():
    b = HB()
    e = b.env()
    b.seed(e)
    b.op("open")
    b.journal(e)
    b.h.attempts.clear()
    r = g(b.build(end_after=10 * SEC), "trigger_load")
    assert r.status == "pass" and "journal" in (r.note or "")


def test_trigger_online_pass_fail_and_needs_a_live_page():
    r = g(_seeded_then("online", 50, online=True).build(end_after=10 * SEC), "trigger_online")
    assert (r.status, r.evidence) == ("pass", 1)
    r = g(_seeded_then("online", 2500, online=True).build(end_after=10 * SEC), "trigger_online")
    assert r.status == "fail"
    b = HB()
    b.op("open")
    b.add(b.env())
    b.op("close")
    b.op("online", online=True)
    assert g(b.build(end_after=10 * SEC), "trigger_online").status == "vacuous"


def test_trigger_online_for_every_context_when_the_op_names_none():
    b = HB()
    a, c = b.env(), b.env()
    b.add(a, ctx="one")
    b.add(c, ctx="two")
    b.op("online", ctx=None, page=None, online=True)
    b.attempt(a, ctx="one")
    r = g(b.build(end_after=10 * SEC), "trigger_online")
    assert (r.status, r.evidence) == ("fail", 2) and "two" in r.violations[0]


# -- dead_letter -------------------------------------------------------------------------
def _poison_batch(b: HB):
    bad = b.env(el="x" * 600)
    ok = b.env()
    b.add(bad, ok)
    b.send(bad, ok, status=422, errors={0: "el longer than 512"})
    return bad, ok


def test_dead_letter_pass():
    b = HB()
    bad, ok = _poison_batch(b)
    b.dead(bad, "rejected")
    b.remove(bad.id)
    b.deliver(ok)
    r = g(b.build(), "dead_letter")
    assert (r.status, r.evidence) == ("pass", 1)


def test_dead_letter_poison_head_blocks():
    b = HB()
    bad, ok = _poison_batch(b)
    b.bump(bad)
    b.bump(ok)
    for _ in range(3):
        b.advance(HOUR)
        b.send(bad, ok, status=422, errors={0: "el longer than 512"})
    r = g(b.build(), "dead_letter")
    assert r.status == "fail"
    text = "\n".join(r.violations)
    assert "ended pending" in text and "behind poison" in text


def test_dead_letter_batch_taken_down_and_payload_kept():
    b = HB()
    bad, ok = _poison_batch(b)
    b.dead(bad, "rejected", keep_payload=False)
    b.dead(ok, "rejected")
    b.remove(bad.id, ok.id)
    r = g(b.build(), "dead_letter")
    text = "\n".join(r.violations)
    assert "without its payload" in text and "taken down with the batch" in text


def test_dead_letter_whole_request_refused_makes_every_event_poison():
    b = HB()
    a, c = b.env(), b.env()
    b.add(a, c)
    b.send(a, c, status=404)
    b.dead(a, "rejected")
    b.dead(c, "rejected")
    b.remove(a.id, c.id)
    r = g(b.build(), "dead_letter")
    assert (r.status, r.evidence) == ("pass", 2)


def test_dead_letter_vacuous_without_poison():
    b = HB()
    e = b.env()
    b.add(e)
    b.deliver(e)
    assert g(b.build(), "dead_letter").status == "vacuous"


# -- overflow ----------------------------------------------------------------------------
def _full(b: HB):
    hb1, hb2 = b.env(ec="system", ea="heartbeat"), b.env(ec="system", ea="heartbeat")
    conv, view = b.env(ec="conversion", ea="phone_call"), b.env()
    b.add(hb1, conv, hb2, view)
    return hb1, hb2, conv, view


def test_overflow_pass_sheds_heartbeats_with_record():
    b = HB()
    hb1, hb2, conv, view = _full(b)
    b.dead(hb1, "overflow")
    b.dead(hb2, "overflow")
    b.remove(hb1.id, hb2.id)
    r = g(b.build(), "overflow")
    assert (r.status, r.evidence) == ("pass", 2)


def test_overflow_fail_conversion_silent_and_heartbeat_order():
    b = HB()
    hb1, hb2, conv, view = _full(b)
    b.dead(conv, "overflow")
    b.remove(conv.id)  # a conversion shed, recorded, while heartbeats stay
    b.remove(view.id)  # silently
    r = g(b.build(), "overflow")
    text = "\n".join(r.violations)
    assert r.status == "fail" and r.evidence == 2
    assert "(a conversion) shed" in text and "without record" in text and "heartbeat(s) stayed queued" in text


def test_overflow_vacuous():
    b = HB()
    e = b.env()
    b.add(e)
    b.deliver(e)
    assert g(b.build(), "overflow").status == "vacuous"


# -- exactly_once ------------------------------------------------------------------------
def _delivered(rows: int | None):
    b = HB()
    e = b.env()
    b.add(e)
    b.deliver(e)
    if rows is not None:
        b.h.at_rest = []
        b.rows(e, times=rows)
    return b.build()


def test_exactly_once_zero_one_two_rows():
    r = g(_delivered(1), "exactly_once")
    assert (r.status, r.evidence) == ("pass", 1)
    r = g(_delivered(0), "exactly_once")
    assert r.status == "fail" and "not stored" in r.violations[0]
    r = g(_delivered(2), "exactly_once")
    assert r.status == "fail" and "stored 2 times" in r.violations[0] and "1 duplicate" in r.violations[0]


def test_exactly_once_vacuous_without_rows():
    r = g(_delivered(None), "exactly_once")
    assert r.status == "vacuous" and "not observable" in (r.note or "")


def test_exactly_once_orphan_row_and_eidless_rows():
    h = _delivered(1)
    from harness.contract.history import StoredEvent
    h.at_rest.append(StoredEvent("nobody", "site-1", "s", "2026-01-01", "x", "y", {"ec": "x", "ea": "y"}))
    v = judge(h, ALL)
    assert v.guarantees["exactly_once"].status == "fail" and v.guarantees["nothing_unexpected"].status == "fail"
    b = HB()
    e = b.env(eid=False)
    b.add(e)
    b.journal(e, wire_eid=False)
    b.remove(e.id)
    b.h.at_rest = []
    from harness.contract.history import StoredEvent as S
    b.h.at_rest.append(S(None, "site-1", "sess-1", "2026-01-01", "interaction", "view", dict(e.payload or {})))
    assert g(b.build(), "exactly_once").status == "pass"


# -- no_loss / nothing_unexpected / verdict ----------------------------------------------
def test_no_loss_and_nothing_unexpected_pass_fail_vacuous():
    b = HB()
    e = b.env()
    b.add(e)
    b.deliver(e)
    v = judge(b.build(), ["no_loss", "nothing_unexpected"])
    assert v.guarantees["no_loss"].status == "pass" and v.guarantees["nothing_unexpected"].status == "pass"
    b.journal(payload(ea="ghost", eid="ghost"))
    v = judge(b.h, ["no_loss", "nothing_unexpected"])
    assert v.guarantees["nothing_unexpected"].status == "fail" and "ghost" in v.guarantees["nothing_unexpected"].violations[0]
    v = judge(HB().build(), ["no_loss", "nothing_unexpected"])
    assert {x.status for x in v.guarantees.values() if x.id in ("no_loss", "nothing_unexpected")} == {"vacuous"}


def test_not_judged_never_fails_the_scenario():
    b = HB()
    e = b.env()
    b.add(e)
    b.send(e, status=503)
    b.remove(e.id)
    v = judge(b.build(), ["timeout"])
    assert v.guarantees["no_loss"].status == "not_judged" and v.guarantees["no_loss"].violations
    assert v.passed
    assert not judge(b.build(), ["no_loss"]).passed


def test_unknown_guarantee_is_a_clear_error():
    import pytest
    with pytest.raises(ValueError, match="unknown guarantee id.*no_such"):
        judge(HB().build(), ["no_such"])
    with pytest.raises(TypeError, match="History"):
        judge({}, ["no_loss"])  # type: ignore[arg-type]


def test_bad_policy_is_a_clear_error():
    import pytest
    with pytest.raises(ValueError, match="timeout_ms"):
        Policy(timeout_ms=-1)


def test_verdict_json_round_trip():
    import json

    from harness.checker import ScenarioVerdict
    b = HB()
    e = b.env()
    b.add(e)
    b.send(e, status=503)
    b.remove(e.id)
    v = judge(b.build(), ALL)
    data = json.loads(json.dumps(v.to_json()))
    back = ScenarioVerdict.from_json(data)
    assert back.to_json() == v.to_json() and not back.passed


def test_a_history_the_checker_cannot_read_fails_loudly_without_crashing():
    h = HB().build()
    h.writes.append("not a write")  # type: ignore[arg-type]
    v = judge(h, ["no_loss"])
    assert v.guarantees["no_loss"].status == "fail" and "checker error" in v.guarantees["no_loss"].violations[0]
    assert v.guarantees["retry"].status == "not_judged" and not v.passed
    assert any("checker error" in n for n in v.notes)


def test_trigger_with_eidless_attempt_summaries():
    """The instrumentation reports {ec, ea, el, eid} per event; without eids, labels must do."""
    b = HB()
    e = b.env(eid=False, attempts=1)
    b.seed(e)
    b.op("online", online=True)
    b.advance(10)
    from harness.contract.history import Attempt
    summary = {"ec": "interaction", "ea": "view", "el": ""}
    b.h.attempts.append(Attempt(99, "main", "main", "fetch", b.now, b.now, "ok", 200, None, (), (summary,)))
    r = g(b.build(end_after=10 * SEC), "trigger_online")
    assert (r.status, r.evidence) == ("pass", 1)


def test_trigger_not_blamed_for_envelopes_removed_unsent_during_the_unload():
    b = HB()
    e = b.env()
    b.add(e)
    b.op("reload")
    b.remove(e.id)  # the unloading page threw it away (a no_loss problem, not a load-trigger one)
    r = g(b.build(end_after=10 * SEC), "trigger_load")
    assert r.status == "vacuous" and "unsent" in (r.note or "")
