"""When a context could act: pages alive and network online, from the recorded ops.

A build can only retry, abort a hung fetch or react to ``online`` while one of its pages lives;
judging it over stretches where no page existed (or the context was offline) would blame the
build for the scenario. Contexts whose ops never open a page (hand-made histories) count as
always alive and online.

Also here: mapping wall time to page time, for facts that only carry wall time (the journal).
"""
from __future__ import annotations

import bisect
from collections import defaultdict

from harness.contract.history import History, Op
from harness.contract.vocabulary import OpKind

INF = float("inf")
PAGE_END_KINDS: frozenset[OpKind] = frozenset({"close", "crash", "navigate", "reload"})


def _ops(history: History) -> list[Op]:
    return sorted(history.ops, key=lambda o: (o.t_page, o.seq))


class Lifecycle:
    """Pages alive and online state per context, as intervals of page time."""

    def __init__(self, history: History) -> None:
        ops = _ops(history)
        contexts = {o.context for o in ops if o.context is not None}
        contexts |= {w.context for w in history.writes} | {a.context for a in history.attempts}
        self._good: dict[str, list[tuple[float, float]]] = {}
        self._online: dict[str, list[tuple[float, bool]]] = defaultdict(lambda: [(-INF, True)])
        self._page_ends: dict[tuple[str, str | None], list[int]] = defaultdict(list)
        self._restarts: dict[str, list[int]] = defaultdict(list)
        self._known: set[tuple[str, str]] = set()
        pages: dict[str, dict[str, list[tuple[float, int]]]] = defaultdict(lambda: defaultdict(list))
        first_kind: dict[tuple[str, str], str] = {}
        for o in ops:
            ctxs = [o.context] if o.context is not None else sorted(contexts)
            if o.kind in ("offline", "online"):
                for c in ctxs:
                    self._online[c].append((o.t_page, o.kind == "online"))
            if o.context is None:
                continue
            if o.kind == "restart":
                self._restarts[o.context].append(o.t_page)
                if o.detail.get("phase") == "stop":
                    for p in pages[o.context]:
                        pages[o.context][p].append((o.t_page, -1))
            if o.page is None:
                continue
            first_kind.setdefault((o.context, o.page), o.kind)
            self._known.add((o.context, o.page))
            if o.kind in PAGE_END_KINDS:
                self._page_ends[(o.context, o.page)].append(o.t_page)
            if o.kind == "open":
                pages[o.context][o.page].append((o.t_page, +1))
            elif o.kind in ("close", "crash"):
                pages[o.context][o.page].append((o.t_page, -1))
        for c in contexts:
            self._good[c] = self._intervals(c, pages.get(c, {}), first_kind)

    def _intervals(self, ctx: str, pages: dict[str, list[tuple[float, int]]],
                   first_kind: dict[tuple[str, str], str]) -> list[tuple[float, float]]:
        """Stretches where some page of ``ctx`` is alive and the context is online."""
        events: list[tuple[float, int, str, object]] = []
        alive0 = 0 if pages else 1  # no page ops at all: one page, alive throughout
        for p, evs in pages.items():
            alive = first_kind.get((ctx, p)) != "open"
            alive0 += alive
            for t, d in evs:
                events.append((t, 0, "page", (p, d)))
        for t, on in self._online[ctx][1:]:
            events.append((t, 1, "net", on))
        events.sort(key=lambda e: (e[0], e[1]))
        state = {p: first_kind.get((ctx, p)) != "open" for p in pages}
        count, online = alive0, True
        out: list[tuple[float, float]] = []
        start: float | None = -INF if count > 0 else None
        for t, _, what, val in events:
            if what == "page":
                p, d = val  # type: ignore[misc]
                now = d > 0
                if state[p] != now:
                    state[p] = now
                    count += 1 if now else -1
            else:
                online = bool(val)
            good = count > 0 and online
            if good and start is None:
                start = t
            elif not good and start is not None:
                if t > start:
                    out.append((start, t))
                start = None
        if start is not None:
            out.append((start, INF))
        return out

    def online_at(self, ctx: str, t: float) -> bool:
        state = True
        for when, on in self._online[ctx]:
            if when > t:
                break
            state = on
        return state

    def alive_at(self, ctx: str, t: float) -> bool:
        """Some page of the context alive (and online) at ``t``."""
        return any(a <= t < b for a, b in self._good.get(ctx, [(-INF, INF)]))

    def good_stretch(self, ctx: str, t: float, length: float, end: float) -> bool:
        """Is there ``[s, s+length]`` with ``s ≥ t`` and ``s+length ≤ end`` where the context was live and online?"""
        for a, b in self._good.get(ctx, [(-INF, INF)]):
            if min(b, end) - max(a, t) >= length:
                return True
        return False

    def page_gone(self, ctx: str, page: str | None, a: float, b: float) -> bool:
        """The page was closed, crashed, navigated or reloaded (or the browser restarted) in ``[a, b]``.

        A page the ops never name (instrumentation could not tell) is gone when any page of its
        context went.
        """
        if (ctx, page) in self._known:
            ends = self._page_ends.get((ctx, page), [])
        else:
            ends = [t for (c, _), ts in self._page_ends.items() if c == ctx for t in ts]
        return any(a <= t <= b for t in ends + self._restarts.get(ctx, []))


class WallToPage:
    """Page time at a wall time: the latest page time recorded (by an op or a write) by then.

    A lower bound: the clock may have moved on without anything being recorded. Used only for
    facts that carry no page time (journal entries), and marked approximate where shown.
    ``at`` also gives the ``seq`` of the latest fact recorded by then, to place a journal entry
    among the recorder's facts (which share one sequence).

    With ``context`` (the context a journal entry's URL tag names), only that context's facts and
    the run's own (ops of no context) count: contexts may run apart in page time inside one
    advance (docs/architecture.md), and a neighbour ahead would date the entry too late — a
    failed request would read as its own later try.
    """

    def __init__(self, history: History) -> None:
        facts = [(o.t_wall, o.t_page, o.seq, o.context) for o in history.ops] + \
                [(w.t_wall, w.t_page, w.seq, w.context) for w in history.writes]
        self._all = _Bound(facts)
        contexts = {c for *_, c in facts if c is not None}
        self._of = {c: _Bound([f for f in facts if f[3] in (c, None)]) for c in contexts}

    def at(self, t_wall: float, context: str | None = None) -> tuple[int, int] | None:
        """(page time, seq) of the latest fact recorded at or before ``t_wall`` (of ``context``)."""
        bound = self._all if context is None else self._of.get(context, self._all)
        return bound.at(t_wall)

    def __call__(self, t_wall: float, context: str | None = None) -> int | None:
        found = self.at(t_wall, context)
        return found[0] if found else None


class _Bound:
    """The running highest page time of some facts, by wall time."""

    def __init__(self, facts: list[tuple[float, int, int, str | None]]) -> None:
        pairs = sorted((w, p, seq) for w, p, seq, _ in facts)
        self._walls = [w for w, _, _ in pairs]
        self._pages: list[int] = []
        self._seqs: list[int] = []
        high = None
        for _, p, seq in pairs:
            high = p if high is None else max(high, p)
            self._pages.append(high)
            self._seqs.append(seq)

    def at(self, t_wall: float) -> tuple[int, int] | None:
        i = bisect.bisect_right(self._walls, t_wall) - 1
        return (self._pages[i], self._seqs[i]) if i >= 0 else None
