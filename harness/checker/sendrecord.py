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
from harness.checker.payload import canonical, labels
from harness.contract.history import Attempt, Carried, History, JournalEntry, Op
from harness.contract.vocabulary import ANSWERED

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
    return not (a.via in ANSWERED and a.outcome in ("ok", "http_error") and e.status is not None and a.status != e.status)


class _Way:
    """Whether the way from a context to the stub was cut — its context offline, or the proxy
    disabled — by the ops' order (ops and sends share one sequence), and when it opened again."""

    def __init__(self, ops: Iterable[Op]) -> None:
        self._ops = sorted(ops, key=lambda o: o.seq)
        self._proxy: list[tuple[int, bool]] = [(-1, False)]  # (op seq, cut from then on)
        self._net: list[tuple[int, str | None, bool]] = []  # (op seq, context or None for all, offline from then on)
        for o in self._ops:
            if o.kind == "proxy" and "enabled" in o.detail:
                self._proxy.append((o.seq, not o.detail["enabled"]))
            elif o.kind in ("offline", "online"):
                self._net.append((o.seq, o.context, o.kind == "offline"))
            elif o.kind == "heal":
                self._proxy.append((o.seq, False))
                self._net.append((o.seq, None, False))
        self._offline: dict[str | None, list[tuple[int, bool]]] = {}
        self._turns: dict[str | None, list[tuple[int, float, bool]]] = {}
        self._seqs = [o.seq for o in self._ops]

    def _offline_of(self, context: str | None) -> list[tuple[int, bool]]:
        if context not in self._offline:
            self._offline[context] = [(-1, False), *((seq, off) for seq, ctx, off in self._net
                                                     if ctx is None or ctx == context)]
        return self._offline[context]

    @staticmethod
    def _state(changes: list[tuple[int, bool]], seq: int) -> bool:
        return changes[bisect.bisect_right(changes, seq, key=lambda c: c[0]) - 1][1]

    def cut(self, context: str | None, seq: int) -> bool:
        return self._state(self._proxy, seq) or self._state(self._offline_of(context), seq)

    def down(self, a: Attempt) -> bool:
        """A send started while its way was cut and failing with a network error: it never reached
        the stub (the browser refuses at once, the closed listener refuses the connection) — but for
        one started in the moment between the op and the cut taking effect (``window``). Without
        this, the heartbeats a build sent into an outage (each failing) took the first deliveries
        after it in the pairing, and each copy delivered later read as lost beside a duplicate
        (signalq in ``bandwidth_slicer``: 17 and 17)."""
        return a.outcome == "network_error" and self.cut(a.context, a.seq)

    def at_the_cut(self, context: str | None, seq: int) -> bool:
        """Whether no op came between the op that cut ``context``'s way and ``seq``: the moment
        before the cut takes effect lasts milliseconds, inside the cutting step. A send made after
        a later step (an advance, a click) went into a cut way and never arrived."""
        i = bisect.bisect_left(self._seqs, seq)
        return i > 0 and self.cut(context, self._seqs[i - 1]) and (i == 1 or not self.cut(context, self._seqs[i - 2]))

    def window(self, context: str | None, seq: int) -> tuple[float, float]:
        """Wall times of the op that cut ``context``'s way before ``seq`` and of the first op after it
        from which the way is open again (NEVER: it stays cut). The stub can receive nothing from
        that context in between, but for a request that got through before the cut took effect."""
        if context not in self._turns:
            turns: list[tuple[int, float, bool]] = []  # (op seq, wall, cut from then on): each change
            for o in self._ops:
                now = self.cut(context, o.seq)
                if now != (turns[-1][2] if turns else False):
                    turns.append((o.seq, o.t_wall, now))
            self._turns[context] = turns
        turns = self._turns[context]
        i = bisect.bisect_right(turns, seq, key=lambda t: t[0])
        return (turns[i - 1][1] if i and turns[i - 1][2] else -NEVER), (turns[i][1] if i < len(turns) else NEVER)


class _Carried:
    """The payloads of the outbox entries a send carried, as the outbox held them when it started.

    A request that arrived while the way was cut is taken for a cut send only when it carries these
    very payloads: a send record lists labels, and another page's event with the same labels (its own
    send record lost, a page unloading) would otherwise be credited to the send and hide its loss."""

    def __init__(self, history: History) -> None:
        self._history = history
        self._states: dict[tuple[str, str], list[tuple[int, str]]] | None = None

    def _payload(self, context: str, tid: str, seq: int) -> str | None:
        if self._states is None:
            self._states = defaultdict(list)
            for w in sorted(self._history.writes, key=lambda w: w.seq):
                if w.key == self._history.outbox_key:
                    for env in (*w.added, *w.changed):
                        self._states[(w.context, env.id)].append((w.seq, canonical(env.payload)))
        states = self._states.get((context, tid), [])
        i = bisect.bisect_left(states, seq, key=lambda s: s[0])
        return states[i - 1][1] if i else None

    def same(self, a: Attempt, e: JournalEntry) -> bool:
        """Whether each id-less event of request ``e`` has the payload of the entries ``a`` carried for it."""
        if len(e.events) != len(a.payloads):
            return False
        for ev in e.events:
            g = group_of(a, ev.index)
            if g is None:
                continue
            want = canonical(ev.payload)
            if not any(self._payload(a.context, tid, a.seq) == want for tid in g.entries):
                return False
        return True


def link_requests(history: History, copies: Container[int] = ()) -> dict[int, Attempt]:
    """Journal seq → the page send (with a send record) it came from, for requests with id-less events.

    Sends and requests are paired in order among those of one context, transport and body labels;
    a send that never arrived (offline, refused, started while its way was cut) is skipped: by
    ``_Way.down`` before pairing, by the checks of ``_fits`` during it. A send started while its way
    was cut may still be the request that arrived before the way opened again (by the ops' wall
    time): the op is recorded just before the proxy refuses or the context goes offline, and a
    request started in between reaches the stub and then fails — only a send made right after the
    cutting op (``_Way.at_the_cut``) whose outbox entries held the request's very payloads
    (``_Carried``). ``copies``: journal seqs of copies
    the browser re-sent (``checker.copies``) — one page send, paired once, by its first request."""
    sends: dict[tuple, list[Attempt]] = defaultdict(list)
    cut: dict[tuple, list[Attempt]] = defaultdict(list)  # sends started while cut, failing: rarely a request
    way = _Way(history.ops)
    for a in sorted(history.attempts, key=lambda a: a.seq):
        if not a.carried:
            continue
        if not way.down(a):
            sends[_label_key(a.context, a.via, a.payloads)].append(a)
        elif way.at_the_cut(a.context, a.seq):
            cut[_label_key(a.context, a.via, a.payloads)].append(a)
    if not sends and not cut:
        return {}
    windows = {key: [way.window(a.context, a.seq) for a in queue] for key, queue in cut.items()}
    carried = _Carried(history)  # lazy: the outbox states are read only if a cut send is a candidate
    nxt: dict[tuple, int] = defaultdict(int)
    used: set[int] = set()
    out: dict[int, Attempt] = {}
    for e in sorted(history.journal, key=lambda e: e.seq):
        if e.method != "POST" or not e.events or all(ev.eid for ev in e.events) or e.seq in copies:
            continue
        key = _label_key(e.context, e.via, (ev.payload for ev in e.events))
        queue = sends.get(key, [])
        i = nxt[key]
        while i < len(queue) and queue[i].seq in used:
            i += 1
        nxt[key] = i
        cands = queue[i:i + SCAN]
        if key in cut:  # those whose way was cut when this request arrived (windows are in seq order)
            lo = bisect.bisect_right(windows[key], e.t_wall, key=lambda w: w[1])
            hi = bisect.bisect_right(windows[key], e.t_wall, key=lambda w: w[0])
            late = [a for a in cut[key][lo:hi] if a.seq not in used and carried.same(a, e)][:SCAN]
            cands = sorted([*cands, *late], key=lambda a: a.seq) if late else cands
        for a in cands:
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
