"""``response_ok``: only a 2xx answer counts as delivered.

Violation: an envelope that left the outbox, undelivered and unrecorded, right after a non-2xx
answer without its failure being counted (see ``Facts.removed_as_success``)."""
from __future__ import annotations

from harness.checker.facts import Facts
from harness.checker.fmt import rel, short
from harness.checker.rules.base import Outcome


def response_ok(f: Facts) -> Outcome:
    """Evidence: envelopes that got at least one non-2xx answer."""
    out = Outcome()
    for t in f.tracks.values():
        if not f.non_ok(t.id):
            continue
        out.evidence += 1
        x = f.fates[t.id]
        if x.fate != "lost" or t.dead:
            continue
        status = f.removed_as_success(t)
        if status is not None:
            removal = t.final_removal
            out.violations.append(f"{short(t.id)} {x.ec}/{x.ea} removed at {rel(removal.t_page if removal else None, f.t0)} "
                                  f"after a {status} answer, never delivered (treated as success)")
    return out
