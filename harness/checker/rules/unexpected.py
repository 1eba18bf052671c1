"""``nothing_unexpected``: nothing arrives (or rests) that was never enqueued (see ``Facts.unexpected``),
and no request reaches another path of the Sync origin unless the build declares it a side
endpoint (its profile's ``side_endpoints``)."""
from __future__ import annotations

from collections import Counter

from harness.checker.facts import Facts
from harness.checker.fmt import rel
from harness.checker.rules.base import Outcome
from harness.contract.sync import PATH as SYNC_PATH


def side_paths(f: Facts) -> Counter[str]:
    """Requests per path of the Sync origin other than the Sync endpoint."""
    return Counter(e.path for e in f.history.journal if e.path != SYNC_PATH)


def nothing_unexpected(f: Facts) -> Outcome:
    """Evidence: journal events examined, rows at rest examined, requests to other paths."""
    sides = side_paths(f)
    out = Outcome(f.m.events_examined + len(f.history.at_rest or ()) + sum(sides.values()))
    for path, n in sorted(sides.items()):
        if path not in f.policy.side_endpoints:
            out.violations.append(f"{n} request(s) to {path} on the Sync origin: not the Sync endpoint and not a "
                                  f"declared side endpoint")
    for h, intent in f.unexpected():
        p = h.event.payload if isinstance(h.event.payload, dict) else {}
        e = h.entry
        state = "processed" if e.processed else "not processed"
        why = f" (the {intent} event was sent without being stored first)" if intent else ""
        out.violations.append(
            f"{p.get('ec')}/{p.get('ea')} (eid={h.event.eid}) arrived in request #{e.seq} via {e.via} "
            f"at ≈{rel(f.wall_to_page(e.t_wall, e.context), f.t0)} ({e.status}, {state}) but was never enqueued{why}")
    for r in f.m.orphan_rows:
        out.violations.append(f"row at rest {r.ec}/{r.ea} (eid={r.eid}) matches no envelope")
    return out
