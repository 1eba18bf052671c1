"""``nothing_unexpected``: nothing arrives (or rests) that was never enqueued (see ``Facts.unexpected``)."""
from __future__ import annotations

from harness.checker.facts import Facts
from harness.checker.fmt import rel
from harness.checker.rules.base import Outcome


def nothing_unexpected(f: Facts) -> Outcome:
    """Evidence: journal events examined plus rows at rest examined."""
    out = Outcome(f.m.events_examined + len(f.history.at_rest or ()))
    for h, intent in f.unexpected():
        p = h.event.payload if isinstance(h.event.payload, dict) else {}
        e = h.entry
        state = "processed" if e.processed else "not processed"
        why = f" (the {intent} event was sent without being stored first)" if intent else ""
        out.violations.append(
            f"{p.get('ec')}/{p.get('ea')} (eid={h.event.eid}) arrived in request #{e.seq} via {e.via} "
            f"at ≈{rel(f.wall_to_page(e.t_wall), f.t0)} ({e.status}, {state}) but was never enqueued{why}")
    for r in f.m.orphan_rows:
        out.violations.append(f"row at rest {r.ec}/{r.ea} (eid={r.eid}) matches no envelope")
    return out
