"""``drop_rule``: an envelope that failed is removed undelivered only when attempts > 10 AND age > 24 h.

Removals that a dead-letter record explains as ``rejected``, ``overflow`` or ``malformed`` are
judged by their own guarantees; the build's ``ttl`` record is no excuse (the rule needs proof).
"""
from __future__ import annotations

from harness.checker.facts import Facts
from harness.checker.fmt import hours, rel, short
from harness.checker.rules.base import Outcome

_OTHER_REASONS = ("overflow", "malformed")


def drop_rule(f: Facts) -> Outcome:
    """Evidence: such removals, plus envelopes seen past either limit (kept ones show the rule held)."""
    p = f.policy
    out = Outcome()
    for t in f.tracks.values():
        x = f.fates[t.id]
        removal = t.final_removal
        age_at = removal.t_page if removal is not None else f.history.t_page_end
        age = age_at - t.ts if t.ts is not None else None
        candidate = (removal is not None and x.fate in ("lost", "dropped_policy") and t.max_attempts >= 1
                     and not any(t.dead_reason(r) for r in _OTHER_REASONS) and x.reason_code != "malformed")
        if candidate:
            out.evidence += 1
            if x.reason_code != "ttl":
                out.violations.append(
                    f"{short(t.id)} {x.ec}/{x.ea} dropped at {rel(removal.t_page, f.t0)} with attempts={t.max_attempts} "
                    f"age={hours(age)} (allowed only when attempts>{p.drop_attempts} AND age>{hours(p.drop_age_ms)})")
        elif t.max_attempts > p.drop_attempts or (age is not None and age > p.drop_age_ms):
            out.evidence += 1
    return out
