"""``dead_letter``: a permanently refused event is dead-lettered with its payload and blocks nothing.

Poison = events the endpoint refused with a non-retryable 4xx (``facts.refused``, the test the
fates use too): those carrying a per-event ``error``, or — when the 4xx names no event (unknown
site, body too large) — every event of that request. Without a dead-letter key, "rejected" means removed after such an answer.
"""
from __future__ import annotations

from harness.checker.dropproof import idless_at_removal
from harness.checker.facts import Facts, refused
from harness.checker.fmt import short
from harness.checker.rules.base import Outcome


def dead_letter(f: Facts) -> Outcome:
    """Evidence: poison envelopes."""
    p = f.policy
    owner: dict[tuple[int, int], str] = {}
    for sid, hits in f.m.hits.items():
        for h in hits:
            owner[(h.entry.seq, h.event.index)] = sid
    poison: dict[str, str] = {}  # sid -> why
    refused_with: dict[str, int] = {}  # sid -> status of a refusing request it rode in
    for e in sorted(f.history.journal, key=lambda e: e.seq):
        if e.processed or not p.rejecting(e.status):
            continue
        for ev in e.events:
            sid = owner.get((e.seq, ev.index))
            if sid is None:
                continue
            refused_with.setdefault(sid, e.status)  # type: ignore[arg-type]
            if refused(p, e, ev):
                poison.setdefault(sid, f"{e.status}" + (f": {ev.error}" if ev.error else ""))
    out = Outcome(len(poison))
    keyed = f.history.deadletter_key is not None
    for sid, why in poison.items():
        x = f.fates[sid]
        t = f.tracks.get(sid)
        rec = t.dead_reason("rejected") if t is not None else None
        if x.fate != "rejected":
            out.violations.append(f"{short(sid)} {x.ec}/{x.ea} was refused ({why}) but ended {x.fate} — {x.reason}")
        elif keyed and t is not None and idless_at_removal(f, t) is not None:
            continue  # records without an id (NOTES.md): judged as a build without the key, never worse
        elif keyed and (rec is None or (p.deadletter_payload and not rec.has_payload)):
            out.violations.append(f"{short(sid)} {x.ec}/{x.ea} was dead-lettered without its payload")
    for sid, status in refused_with.items():
        x = f.fates[sid]
        if sid not in poison and x.fate in ("rejected", "lost"):
            out.violations.append(f"{short(sid)} {x.ec}/{x.ea} was valid but ended {x.fate} after riding in a "
                                  f"{status} request (taken down with the batch)")
    if poison:
        young = f.history.t_page_end - p.retry_window_ms
        for x in f.fates.values():
            t = f.tracks.get(x.id)
            if x.fate == "pending" and x.id not in poison and t is not None and t.first_seen.t_page <= young:
                out.violations.append(f"{short(x.id)} {x.ec}/{x.ea} still queued at the end behind poison "
                                      f"(attempts={t.last_env.attempts})")
    return out
