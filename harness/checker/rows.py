"""Rows at rest → subjects: by eid, else by payload, else loosely by (category, action, session).

The loose fallback exists for stores that rebuild the payload from columns (it cannot tell two
identical events apart, so it only ever assigns in order)."""
from __future__ import annotations

from collections import defaultdict

from harness.checker.fold import Fold
from harness.checker.payload import canonical, eid_of, labels
from harness.checker.subjects import Group, Hit, PayloadIndex, resolve_eid
from harness.contract.history import History, StoredEvent


def match_rows(history: History, fold: Fold, index: PayloadIndex, hits: dict[str, list[Hit]],
               extra: dict[str, list[Hit]]) -> tuple[dict[str, int] | None, list[StoredEvent]]:
    """Row counts per subject (``None`` when rows are not observable) and the rows matching nothing.

    ``extra``: subjects that are not envelopes (intents, direct sends) with their journal hits.
    """
    if history.at_rest is None:
        return None, []
    rows: dict[str, int] = defaultdict(int)
    orphans: list[StoredEvent] = []
    by_eid: dict[str, str] = {}
    extra_groups: dict[str, Group] = defaultdict(Group)
    for sid, subject_hits in extra.items():
        for h in subject_hits:
            if h.event.eid:
                by_eid.setdefault(h.event.eid, sid)
        if subject_hits:
            extra_groups[canonical(subject_hits[0].event.payload)].ids.append(sid)
    loose: dict[tuple, Group] | None = None

    def delivered(sid: str) -> bool:
        return any(h.entry.processed for h in hits.get(sid, ()))

    def pick(group: Group) -> str:
        ids = group.ids
        while group.next_unrowed_delivered < len(ids) and (rows[ids[group.next_unrowed_delivered]]
                                                           or not delivered(ids[group.next_unrowed_delivered])):
            group.next_unrowed_delivered += 1
        if group.next_unrowed_delivered < len(ids):
            return ids[group.next_unrowed_delivered]
        while group.next_unrowed < len(ids) and rows[ids[group.next_unrowed]]:
            group.next_unrowed += 1
        return ids[group.next_unrowed] if group.next_unrowed < len(ids) else ids[0]

    for row in history.at_rest:
        sid = resolve_eid(row.eid, row.payload, fold.tracks)
        if sid is None:
            e = row.eid or eid_of(row.payload)
            sid = by_eid.get(e) if e else None
        if sid is None and row.payload:
            group = index.get(row.payload) or extra_groups.get(canonical(row.payload))
            sid = pick(group) if group is not None else None
        if sid is None:
            if loose is None:
                loose = defaultdict(Group)
                for t in sorted(fold.tracks.values(), key=lambda t: t.order):
                    p = t.payload or {}
                    ec, ea, _ = labels(p)
                    loose[(ec, ea, p.get("sid"))].ids.append(t.id)
            group = loose.get((row.ec, row.ea, row.session_id))
            sid = pick(group) if group is not None else None
        if sid is None:
            orphans.append(row)
        else:
            rows[sid] += 1
    return dict(rows), orphans
