"""``exactly_once``: every accepted event is stored exactly once at rest (SPEC §4: at-least-once
transport + idempotent ingest). Counts, not sets: three rows are two duplicates."""
from __future__ import annotations

from harness.checker.facts import Facts
from harness.checker.fmt import short
from harness.checker.rules.base import Outcome


def exactly_once(f: Facts) -> Outcome:
    """Evidence: delivered envelopes, plus anything else with rows at rest."""
    rows = f.m.rows
    if rows is None:
        return Outcome(vacuous_reason=f"rows at rest are not observable (source: {f.history.at_rest_source})")
    out = Outcome()
    for x in f.fates.values():
        n = rows.get(x.id, 0)
        if x.fate == "delivered":
            out.evidence += 1
            if n == 0:
                out.violations.append(f"{short(x.id)} {x.ec}/{x.ea} accepted {x.deliveries}× but not stored")
            elif n > 1:
                out.violations.append(f"{short(x.id)} {x.ec}/{x.ea} stored {n} times at rest ({n - 1} duplicate(s))")
        elif n > 1:
            out.evidence += 1
            out.violations.append(f"{short(x.id)} {x.ec}/{x.ea} stored {n} times at rest but ended {x.fate}")
    for r in f.m.orphan_rows:
        out.evidence += 1
        out.violations.append(f"row at rest {r.ec}/{r.ea} (eid={r.eid}) matches no envelope")
    return out
