"""``overflow``: when the outbox must shed, it sheds heartbeats first, never a conversion, and
records every shed envelope. Judged in overflow scenarios, where any loss counts as a silent shed."""
from __future__ import annotations

from harness.checker.dropproof import idless_at_removal
from harness.checker.facts import Facts
from harness.checker.fmt import rel, short
from harness.checker.rules.base import Outcome


def overflow(f: Facts) -> Outcome:
    """Evidence: envelopes shed with an ``overflow`` record (or an id-less dead-letter record at
    their removal, from a build whose records carry no id), plus every lost one."""
    p = f.policy
    out = Outcome()
    for x in f.fates.values():
        t = f.tracks.get(x.id)
        recorded = t is not None and x.fate not in ("delivered", "pending") and (
            t.dead_reason("overflow") is not None or idless_at_removal(f, t) is not None)  # id-less records: dropproof
        if not recorded and x.fate != "lost":
            continue
        out.evidence += 1
        removal = t.final_removal if t is not None else None
        when = rel(removal.t_page if removal else x.first_seen, f.t0)
        what = f"{short(x.id)} {x.ec}/{x.ea}"
        if x.ec == p.conversion_category:
            out.violations.append(f"{what} (a conversion) shed at {when}" + ("" if recorded else " without record"))
        elif not recorded:
            out.violations.append(f"{what} shed at {when} without record — {x.reason}")
        if removal is not None and (x.ec, x.ea) != p.heartbeat:
            left = f.fold.heartbeats_after.get(removal.seq, 0)
            if left:
                out.violations.append(f"{what} shed at {when} while {left} heartbeat(s) stayed queued")
    return out
