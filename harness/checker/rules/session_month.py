"""``session_month``: an event keeps the month it was created in (``sm``), even when delivered later.

The session month decides the ingest partition (SPEC §6), so an event created at 23:59 on
31 March and delivered after midnight must still say March. ``sm`` is ``YYYY-MM-01`` of the
client clock at creation, in UTC (tracker_js/README.md); the envelope's ``ts`` is that moment.
Judged on delivered envelopes whose ``ts`` and payload the outbox shows: the outbox payload and
every processed journal event of the envelope must carry the month of ``ts``.
"""
from __future__ import annotations

from datetime import datetime, timezone

from harness.checker.facts import Facts
from harness.checker.fmt import short
from harness.checker.rules.base import Outcome


def month_of(ts: int) -> str | None:
    """``YYYY-MM-01`` of a page-clock time in UTC; ``None`` for a time no calendar holds."""
    try:
        d = datetime.fromtimestamp(ts / 1000, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None
    return f"{d.year:04d}-{d.month:02d}-01"


def _sm(payload: object) -> object:
    return payload.get("sm") if isinstance(payload, dict) else None


def session_month(f: Facts) -> Outcome:
    """Evidence: delivered envelopes with a known ``ts`` and payload."""
    out = Outcome()
    unusable = 0
    for sid, t in f.tracks.items():
        x = f.fates.get(sid)
        if x is None or x.fate != "delivered" or t.payload is None or t.ts is None:
            continue
        expected = month_of(t.ts)
        if expected is None:
            unusable += 1
            continue
        out.evidence += 1
        ec, ea, _ = t.labels()
        seen = _sm(t.payload)
        if seen != expected:
            out.violations.append(f"{short(sid)} {ec}/{ea} created {expected[:7]} (ts {t.ts}) is stored in its "
                                  f"outbox with sm {seen!r}, expected {expected!r}")
            continue
        wrong = [(h.entry.seq, _sm(h.event.payload)) for h in f.hits(sid)
                 if h.entry.processed and _sm(h.event.payload) != expected]
        if wrong:
            seq, got = wrong[0]
            more = f" (and {len(wrong) - 1} more)" if len(wrong) > 1 else ""
            out.violations.append(f"{short(sid)} {ec}/{ea} created {expected[:7]} arrived in request #{seq} "
                                  f"with sm {got!r}, expected {expected!r}{more}")
    if unusable:
        out.note = f"{unusable} delivered envelope(s) with a ts outside the calendar skipped"
    return out
