"""``backoff``: gaps after failures follow base·2^(k−1) (capped) ± jitter, or the server's Retry-After."""
from __future__ import annotations

import dataclasses

import pytest

from harness.checker import Policy, judge
from harness.checker.rules.backoff import retry_after_ms
from harness.contract.history import Envelope, JournalEntry

from .builders import HB, T0

SEC = 1000
MIN = 60 * SEC
HOUR_MS = 3_600_000


def verdict(b: HB, policy: Policy | None = None, end_after: int = 10 * MIN):
    return judge(b.build(end_after=end_after), ["backoff"], policy).guarantees["backoff"]


def fail(b: HB, e: Envelope, status: int = 503, retry_after: str | None = None, **kw) -> Envelope:
    """One fetch of ``e`` answered ``status`` (journaled, with Retry-After when given); the build counts it."""
    b.attempt(e, outcome="http_error", status=status, **kw)
    entry = b.journal(e, status=status)
    if retry_after is not None:
        b.h.journal[-1] = dataclasses.replace(entry, headers={"Retry-After": retry_after})
    return b.bump(e)


def schedule(gaps_s: list[float], *, status: int = 503, retry_after: str | None = None) -> HB:
    """An envelope that fails once, then after each gap fails again; delivered after the last gap."""
    b = HB()
    e = b.env()
    b.add(e)
    for gap in gaps_s:
        e = fail(b, e, status, retry_after)
        b.advance(int(gap * SEC))
    b.deliver(e)
    return b


def test_doubling_sequence_passes() -> None:
    r = verdict(schedule([5, 10, 20, 40, 80]))
    assert (r.status, r.evidence, r.violations) == ("pass", 5, [])


def test_jitter_and_tolerance_are_the_edges_of_the_window() -> None:
    # 5 s −20 % − 250 ms = 3.75 s; 10 s +20 % + 250 ms = 12.25 s
    assert verdict(schedule([3.75, 12.25])).status == "pass"
    assert verdict(schedule([3.74])).status == "fail"
    assert verdict(schedule([5, 12.26])).status == "fail"
    exact = Policy(backoff_jitter=0)
    assert verdict(schedule([5, 10.25]), exact).status == "pass"
    assert verdict(schedule([4]), exact).status == "fail"


def test_the_cap_holds_the_delay() -> None:
    # 5, 10, 20, 40, 80, 160, then 320 s capped at 300 s (twice)
    assert verdict(schedule([5, 10, 20, 40, 80, 160, 300, 300]), end_after=HOUR_MS).status == "pass"
    r = verdict(schedule([5, 10, 20, 40, 80, 160, 300, 600]), end_after=HOUR_MS)  # uncapped: 640 s
    assert r.status == "fail" and "k=8" in r.violations[0] and "too late" in r.violations[0]


def test_fixed_one_second_retry_fails_too_early() -> None:
    r = verdict(schedule([1, 1, 1, 1]))
    assert r.status == "fail" and r.evidence == 4
    [v] = r.violations
    assert "k=1" in v and "too early" in v and "1.000s" in v and "3.750s–6.250s" in v and "(and 3 more gap(s))" in v


def test_retry_ten_minutes_after_the_first_failure_fails_too_late() -> None:
    b = schedule([600])
    r = verdict(b, end_after=HOUR_MS)
    assert r.status == "fail" and "too late" in r.violations[0] and "600.000s" in r.violations[0]
    assert b.h.attempts[0].ids[0][:8] in r.violations[0]


def test_retry_after_honoured_passes_and_ignored_fails() -> None:
    assert verdict(schedule([30, 30], status=429, retry_after="30")).status == "pass"
    r = verdict(schedule([5, 10], status=429, retry_after="30"))
    assert r.status == "fail" and "Retry-After 30s" in r.violations[0] and "too early" in r.violations[0]


def test_retry_after_only_on_429_and_503_and_matched_to_the_right_answer() -> None:
    # A 500 with Retry-After: the backoff governs (the header means nothing there).
    assert verdict(schedule([5, 10], status=500, retry_after="30")).status == "pass"
    # First failure 503 without the header (5 s), second 503 with Retry-After 30.
    b = HB()
    e = b.env()
    b.add(e)
    e = fail(b, e, 503)
    b.advance(5 * SEC)
    e = fail(b, e, 503, retry_after="30")
    b.advance(30 * SEC)
    b.deliver(e)
    assert verdict(b).status == "pass"


def test_a_longer_backoff_than_retry_after_is_allowed() -> None:
    """Waiting for both schedules (the later one) still honours Retry-After: 1."""
    assert verdict(schedule([5, 10], status=503, retry_after="1")).status == "pass"
    assert verdict(schedule([1, 1], status=503, retry_after="1")).status == "pass"


def test_trigger_in_between_is_exempt() -> None:
    b = HB()
    e = b.env()
    b.add(e)
    e = fail(b, e)
    b.advance(1 * SEC)
    b.op("online", online=True)
    b.advance(100)
    b.deliver(e)
    r = verdict(b)
    assert r.status == "vacuous" and r.evidence == 0 and "1 load, online" in (r.note or "")


@pytest.mark.parametrize("kind,detail", [("reload", {}), ("open", {}), ("storage", {"mode": "quota"}),
                                         ("advance", {"mode": "jump", "ms": 3_600_000})])
def test_other_disturbances_are_exempt(kind: str, detail: dict) -> None:
    b = HB()
    e = b.env()
    b.add(e)
    e = fail(b, e)
    b.advance(1 * SEC)
    b.op(kind, ctx=None if kind == "advance" else "main", page=None if kind == "advance" else "main", **detail)
    b.deliver(e)
    assert verdict(b).status == "vacuous"


def test_the_triggering_op_before_the_failure_does_not_exempt_it() -> None:
    b = HB()
    e = b.env()
    b.op("open")  # same page time as the failure, but before it
    b.add(e)
    e = fail(b, e)
    b.advance(1 * SEC)
    b.deliver(e)
    assert verdict(b).status == "fail"


def test_offline_network_error_burns_no_attempt_and_its_gap_is_exempt() -> None:
    b = HB()
    e = b.env()
    b.add(e)
    b.op("offline", online=False)
    b.attempt(e, outcome="network_error", status=None)
    b.advance(30 * SEC)
    b.op("online", online=True)
    b.attempt(e, outcome="network_error", status=None)  # online again: k=1, expects 5 s
    e = b.bump(e)
    b.advance(5 * SEC)
    b.deliver(e)
    r = verdict(b)
    assert (r.status, r.evidence) == ("pass", 1) and "could not count" in (r.note or "")


def test_seeded_attempts_continue_the_doubling() -> None:
    b = HB()
    e = b.env(attempts=3)
    b.seed(e)
    e = fail(b, e)  # the 4th failure: 40 s
    b.advance(40 * SEC)
    b.deliver(e)
    assert verdict(b).status == "pass"


def test_late_retry_while_another_fetch_held_the_sender_is_exempt() -> None:
    b = HB()
    e, other = b.env(), b.env()
    b.add(e, other)
    e = fail(b, e)
    b.advance(4 * SEC)
    b.attempt(other, outcome="abort", status=None, duration=5 * SEC)  # hung until the 5 s abort
    b.advance(5 * SEC)
    b.advance(5 * SEC)  # the pass stopped; the due envelope waits another base delay
    b.deliver(e)
    r = verdict(b)
    assert r.status == "vacuous" and "held the sender" in (r.note or "")


def test_never_retried_and_empty_histories_are_vacuous() -> None:
    b = HB()
    e = b.env()
    b.add(e)
    fail(b, e)
    assert verdict(b).status == "vacuous"  # the ``retry`` guarantee's business
    assert verdict(HB()).status == "vacuous"


def test_gap_past_the_end_is_exempt() -> None:
    b = schedule([600])
    h = b.build()
    h.t_page_end = T0 + 10 * SEC
    r = judge(h, ["backoff"]).guarantees["backoff"]
    assert r.status == "vacuous" and "after the end" in (r.note or "")


@pytest.mark.parametrize("raw,t_page,want", [
    ("30", 0, 30_000), ("1.5", 0, 1500), ("-3", 0, 0), ("soon", 0, None), ("", 0, None), ("nan", 0, None),
    ("Wed, 21 Oct 2015 07:28:30 GMT", 1_445_412_480_000, 30_000),
])
def test_retry_after_header_parsing(raw: str, t_page: int, want: float | None) -> None:
    entry = JournalEntry(1, 0.0, "POST", "/api/sync", 429, "answered", False, headers={"retry-after": raw})
    assert retry_after_ms(entry, t_page) == want


@pytest.mark.parametrize("kw", [{"backoff_jitter": 1.5}, {"backoff_jitter": -0.1}, {"backoff_jitter": True},
                                {"backoff_base_ms": -1}, {"backoff_cap_ms": "5m"}])
def test_policy_rejects_bad_backoff_values(kw: dict) -> None:
    with pytest.raises(ValueError, match="backoff"):
        Policy(**kw)


def test_policy_backoff_ms() -> None:
    p = Policy()
    assert [p.backoff_ms(k) for k in (1, 2, 3, 7, 8, 1000)] == [5000, 10000, 20000, 300_000, 300_000, 300_000]


QUEUE = Policy(backoff_scope="queue", backoff_jitter=0)


def _queue(gap_s: float, between: str | None = None) -> HB:
    """Queue scope: ``a`` fails; ``gap_s`` later the context's next fetch carries ``b`` (another envelope)."""
    b = HB()
    a, other = b.env(), b.env()
    b.add(a, other)
    a = fail(b, a)
    b.advance(1 * SEC)
    if between is not None:
        b.op(between, online=True)
    b.advance(int(gap_s * SEC) - 1 * SEC)
    b.deliver(other)
    b.deliver(a)
    return b


def test_queue_scope_judges_the_contexts_next_fetch_whatever_it_carries() -> None:
    r = verdict(_queue(5), QUEUE)
    assert (r.status, r.evidence) == ("pass", 1), r
    early = verdict(_queue(2), QUEUE)
    assert early.status == "fail" and "queue's next send" in early.violations[0] and "too early" in early.violations[0]


def test_queue_scope_has_the_envelope_scopes_exemptions() -> None:
    r = verdict(_queue(2, between="online"), QUEUE)
    assert r.status == "vacuous" and "1 load, online" in (r.note or ""), r
    h = _queue(5).build()
    h.t_page_end = T0 + 2 * SEC
    r = judge(h, ["backoff"], QUEUE).guarantees["backoff"]
    assert r.status == "vacuous" and "after the end" in (r.note or ""), r
