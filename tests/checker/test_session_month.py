"""``session_month``: the outbox payload and every processed delivery carry the UTC month of ``ts``."""
from __future__ import annotations

import pytest

from harness.checker import judge
from harness.checker.rules.session_month import month_of
from harness.contract.history import Envelope

from .builders import HB, T0, payload

DAY = 86_400_000


def verdict(b: HB):
    return judge(b.build(end_after=60_000), ["session_month"]).guarantees["session_month"]


def with_sm(e: Envelope, sm: object) -> Envelope:
    return Envelope(e.id, e.ts, e.attempts, {**(e.payload or {}), "sm": sm}, e.extra)


def late_delivery(sent_sm: str, stored_sm: str = "2026-01-01") -> HB:
    """Created at 23:59 on 31 January (UTC), failed, delivered after midnight with ``sent_sm``."""
    b = HB()
    b.advance(31 * DAY - 60_000)
    e = with_sm(b.env(), stored_sm)
    b.add(e)
    b.send(e, status=503)
    b.advance(120_000)
    b.send(with_sm(e, sent_sm))
    b.remove(e.id)
    return b


def test_created_in_january_delivered_in_february_keeps_january() -> None:
    r = verdict(late_delivery("2026-01-01"))
    assert (r.status, r.evidence, r.violations) == ("pass", 1, [])


def test_month_stamped_at_send_fails() -> None:
    b = late_delivery("2026-02-01")
    r = verdict(b)
    assert r.status == "fail"
    [v] = r.violations
    eid = b.h.writes[0].added[0].id
    assert eid[:8] in v and "'2026-02-01'" in v and "expected '2026-01-01'" in v and "request #2" in v


def test_wrong_month_in_the_outbox_fails() -> None:
    r = verdict(late_delivery("2026-02-01", stored_sm="2026-02-01"))
    assert r.status == "fail" and "in its outbox with sm '2026-02-01'" in r.violations[0]


def test_missing_sm_fails() -> None:
    b = HB()
    e = b.env(body={k: v for k, v in payload().items() if k != "sm"})
    b.add(e)
    b.deliver(e)
    r = verdict(b)
    assert r.status == "fail" and "sm None" in r.violations[0]


def test_unprocessed_answers_are_not_judged() -> None:
    """A 503'd request never reached the store: what it carried does not matter."""
    b = HB()
    e = b.env()
    b.add(e)
    b.send(with_sm(e, "1999-12-01"), status=503)
    b.deliver(e)
    assert verdict(b).status == "pass"


def test_only_delivered_envelopes_with_a_ts_are_evidence() -> None:
    b = HB()
    pending = b.env()
    no_ts = Envelope("no-ts", None, 0, payload(eid="no-ts"))
    b.add(pending, no_ts)
    b.deliver(no_ts)
    r = verdict(b)
    assert (r.status, r.evidence) == ("vacuous", 0)


def test_month_is_utc() -> None:
    assert month_of(T0 + 31 * DAY - 1) == "2026-01-01"
    assert month_of(T0 + 31 * DAY) == "2026-02-01"


@pytest.mark.parametrize("ts", [10**20, -10**20])
def test_month_of_a_time_no_calendar_holds(ts: int) -> None:
    assert month_of(ts) is None


def test_absurd_ts_is_skipped_with_a_note() -> None:
    b = HB()
    e = b.env(ts=10**20)
    b.add(e)
    b.deliver(e)
    r = verdict(b)
    assert r.status == "vacuous" and "outside the calendar" in (r.note or "")
