"""Auto events sent straight from memory while a context's storage was failing.

A build that cannot write its outbox (quota full, private mode) may still send what it records,
from memory — the reference does, and counts the storage failure. Events the driver caused are
intents and found that way; timer/lifecycle events (heartbeat, session end) have no intent, so
those arriving after a ``storage`` op put a context in ``quota``/``private`` mode become
subjects of their own (kind ``direct``) instead of ``unexpected``. Copies with one eid are one
subject with several deliveries; id-less copies of one payload are one subject per accepted page
send (``_same_event``): ten identical heartbeats are ten events, not one stored ten times.
"""
from __future__ import annotations

from harness.checker.intents import Leftovers
from harness.checker.payload import canonical, labels
from harness.checker.subjects import DirectSubject, Hit
from harness.contract.history import History

FAILING_MODES = frozenset({"quota", "private"})


def storage_failures(history: History) -> list[tuple[float, str | None]]:
    """(wall time, context) of every op that made a context's storage fail."""
    out = []
    for o in sorted(history.ops, key=lambda o: o.seq):
        if o.kind == "storage" and o.detail.get("mode") in FAILING_MODES:
            out.append((o.t_wall, o.context or o.detail.get("context")))
    return out


def match_direct(history: History, left: Leftovers, auto_events: tuple[tuple[str, str], ...],
                 taken_ids: set[str]) -> dict[str, DirectSubject]:
    failures = storage_failures(history)
    if not failures or not left.hits:
        return {}
    first = failures[0][0]
    contexts = {c for _, c in failures}
    context = next(iter(contexts)) if len(contexts) == 1 else None
    autos = set(auto_events)
    subjects: dict[str, DirectSubject] = {}
    key_to_id: dict[str, str] = {}
    for n, h in enumerate(left.hits):
        if n in left.taken or h.entry.t_wall < first:
            continue
        ec, ea, _ = labels(h.event.payload)
        sender = h.entry.context  # the request's own context, when the instrumentation tagged it
        if (ec, ea) not in autos or (sender is not None and sender not in contexts):
            continue
        if h.event.eid:
            key = f"eid:{h.event.eid}"
            sid = key_to_id.get(key)
        else:
            key = f"payload:{sender}:{canonical(h.event.payload)}"
            sid = _same_event(subjects.get(key_to_id.get(key, "")), h)
        if sid is None:
            sid = h.event.eid if h.event.eid and h.event.eid not in taken_ids else f"direct:{h.entry.seq}.{h.event.index}"
            key_to_id[key] = sid
            subjects[sid] = DirectSubject(sid, sender or context)
        subjects[sid].hits.append(left.claim(n))
    return subjects


def _same_event(last: DirectSubject | None, h: Hit) -> str | None:
    """Whether an id-less copy is the latest subject of its payload again, else ``None`` (a new event).

    Identical id-less heartbeats are distinct sends, so distinct events. A copy joins the latest
    subject only when nothing says otherwise: that subject was never accepted (this may be its
    retry), or this copy is the same page send again (the page-time tag both requests carry, as
    when the network re-sent the request)."""
    if last is None:
        return None
    accepted = [x for x in last.hits if x.entry.processed]
    if not accepted:
        return last.id
    if h.entry.t_page is not None and all(x.entry.t_page == h.entry.t_page for x in accepted):
        return last.id
    return None
