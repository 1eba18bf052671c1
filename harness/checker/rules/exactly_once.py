"""``exactly_once``: every accepted event is stored exactly once at rest (SPEC §4: at-least-once
transport + idempotent ingest). Counts, not sets: three rows are two duplicates.

Rows of copies the browser re-sent by itself (``checker.copies``) are duplicates at rest too: only
a build whose events carry no ``meta.eid`` gets them, and de-duplicating them by event id is the
build's part (SPEC §3.10; the ``no_eid`` mutant is shown by ``browser_resend``). The violation
says how many came from such copies. One click enqueued twice under two ids is a duplicate too
(``checker.twins``)."""
from __future__ import annotations

from harness.checker.facts import Facts
from harness.checker.fmt import short
from harness.checker.rules.base import Outcome
from harness.checker.twins import twins


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
                copies = min(n - 1, x.browser_copies)
                but = f", {copies} of them from copies the browser re-sent, which a meta.eid would collapse" \
                    if copies else ""
                out.violations.append(f"{short(x.id)} {x.ec}/{x.ea} stored {n} times at rest ({n - 1} duplicate(s){but})")
        elif n > 1:
            out.evidence += 1
            out.violations.append(f"{short(x.id)} {x.ec}/{x.ea} stored {n} times at rest but ended {x.fate}")
    for g in twins(f.tracks, f.fates, f.m.intent_of):
        x = f.fates[g.ids[0]]
        out.evidence += 1
        out.violations.append(f"{x.ec}/{x.ea}: {len(g.ids)} envelopes of one event delivered for {g.intents} "
                              f"intent(s) ({', '.join(short(i) for i in g.ids)}): {g.surplus} duplicate(s) under other ids")
    for r in f.m.orphan_rows:
        out.evidence += 1
        out.violations.append(f"row at rest {r.ec}/{r.ea} (eid={r.eid}) matches no envelope")
    return out
