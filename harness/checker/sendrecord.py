"""The page's send record: which outbox entries a request without ``meta.eid`` carried.

Byte-identical envelopes (heartbeats of a build that sends no eid) cannot be told apart by
payload. The instrumentation reads the outbox when a send starts and lists, per id-less body
event, the entries holding that payload then (``Attempt.carried``). Here a journal request is
linked to the page send it came from, and a body event is credited among the entries that send
could have carried — never to a copy that had already left the outbox. Among those, the copy the
build touched first after the send (removed after a 200, counted a failure after a 503) is the
one it carried, as far as anything can tell; ties go to outbox order.
"""
from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable, Container, Iterable

from harness.checker.fold import Track
from harness.checker.payload import labels
from harness.contract.history import Attempt, Carried, History, JournalEntry, Op

NEVER = float("inf")
SCAN = 64  # page sends looked past for the one a request came from (sends that never arrived)


def _label_key(context: str | None, via: str, payloads: Iterable[object]) -> tuple:
    return (context, via, tuple(labels(p) for p in payloads))


def _fits(a: Attempt, e: JournalEntry) -> bool:
    """Could request ``e`` be page send ``a``? Same page time of sending when the URL carried it;
    the same answer when the page saw one; a beacon the browser refused never left."""
    if e.t_page is not None and a.t_page_start != e.t_page:
        return False
    if a.outcome == "refused":
        return False
    return not (a.via == "fetch" and a.outcome in ("ok", "http_error") and e.status is not None and a.status != e.status)


def _path_down(ops: Iterable[Op]) -> Callable[[Attempt], bool]:
    """Whether a send started while its way to the stub was cut — its context offline, or the
    proxy disabled — by the ops' order (ops and sends share one sequence). Such a send failing
    with a network error never reached the stub: the browser refuses at once, the closed
    listener refuses the connection. Without this, the heartbeats a build sent into an outage
    (each failing) took the first deliveries after it in the pairing, and each copy delivered
    later read as lost beside a duplicate (signalq in ``bandwidth_slicer``: 17 and 17)."""
    proxy: list[tuple[int, bool]] = [(-1, False)]  # (op seq, cut from then on)
    net: list[tuple[int, str | None, bool]] = []  # (op seq, context or None for all, offline from then on)
    for o in sorted(ops, key=lambda o: o.seq):
        if o.kind == "proxy" and "enabled" in o.detail:
            proxy.append((o.seq, not o.detail["enabled"]))
        elif o.kind in ("offline", "online"):
            net.append((o.seq, o.context, o.kind == "offline"))
        elif o.kind == "heal":
            proxy.append((o.seq, False))
            net.append((o.seq, None, False))
    offline: dict[str, list[tuple[int, bool]]] = {}

    def state(changes: list[tuple[int, bool]], seq: int) -> bool:
        return changes[bisect.bisect_right(changes, seq, key=lambda c: c[0]) - 1][1]

    def down(a: Attempt) -> bool:
        if a.outcome != "network_error":
            return False
        if a.context not in offline:
            offline[a.context] = [(-1, False), *((seq, off) for seq, ctx, off in net if ctx in (None, a.context))]
        return state(proxy, a.seq) or state(offline[a.context], a.seq)
    return down


def link_requests(history: History, copies: Container[int] = ()) -> dict[int, Attempt]:
    """Journal seq → the page send (with a send record) it came from, for requests with id-less events.

    Sends and requests are paired in order among those of one context, transport and body labels;
    a send that never arrived (offline, refused, started while its way was cut) is skipped: by
    ``_path_down`` before pairing, by the checks of ``_fits`` during it. ``copies``: journal seqs of
    copies the browser re-sent (``checker.copies``) — one page send, paired once, by its first request."""
    sends: dict[tuple, list[Attempt]] = defaultdict(list)
    down = _path_down(history.ops)
    for a in sorted(history.attempts, key=lambda a: a.seq):
        if a.carried and not down(a):
            sends[_label_key(a.context, a.via, a.payloads)].append(a)
    if not sends:
        return {}
    nxt: dict[tuple, int] = defaultdict(int)
    used: set[int] = set()
    out: dict[int, Attempt] = {}
    for e in sorted(history.journal, key=lambda e: e.seq):
        if e.method != "POST" or not e.events or all(ev.eid for ev in e.events) or e.seq in copies:
            continue
        key = _label_key(e.context, e.via, (ev.payload for ev in e.events))
        queue = sends.get(key)
        if not queue:
            continue
        i = nxt[key]
        while i < len(queue) and queue[i].seq in used:
            i += 1
        nxt[key] = i
        for a in queue[i:i + SCAN]:
            if a.seq not in used and _fits(a, e):
                used.add(a.seq)
                out[e.seq] = a
                break
    return out


class Touches:
    """When the build next touched an envelope after a point of the history (write seq order)."""

    def __init__(self, tracks: dict[str, Track]) -> None:
        self._tracks = tracks
        self._seqs: dict[str, list[int]] = {}

    def after(self, tid: str, seq: int) -> float:
        seqs = self._seqs.get(tid)
        if seqs is None:
            t = self._tracks[tid]
            seqs = sorted({*(r.mark.seq for r in t.states), *(m.seq for m in t.removes), *(d.mark.seq for d in t.dead)})
            self._seqs[tid] = seqs
        i = bisect.bisect_right(seqs, seq)
        return seqs[i] if i < len(seqs) else NEVER


def group_of(attempt: Attempt, index: int) -> Carried | None:
    """The send record's group holding body event ``index``."""
    for g in attempt.carried or ():
        if index in g.events:
            return g
    return None


def pick(group: Carried, attempt: Attempt, tracks: dict[str, Track], touches: Touches,
         taken: Container[str], spent: Callable[[str], bool] = lambda tid: False) -> str | None:
    """The entry of ``group`` this body event is credited to: not ``taken`` by another event of the
    same request, preferably not ``spent`` (already delivered), first touched after the send."""
    cands = [(pos, tid) for pos, tid in zip(group.positions, group.entries)
             if tid in tracks and tid not in taken and tracks[tid].context == attempt.context]
    if not cands:
        return None
    fresh = [c for c in cands if not spent(c[1])] or cands
    return min(fresh, key=lambda c: (touches.after(c[1], attempt.seq), c[0]))[1]
