"""Intents (events the driver caused) → the envelope that fulfilled each, else the journal events
that carry it without an envelope. What an intent finds nowhere is how a silent storage failure
shows: an envelope-less ``lost`` fate."""
from __future__ import annotations

import bisect
from collections import defaultdict

from harness.checker.fold import Fold, Track
from harness.checker.payload import canonical, labels
from harness.checker.subjects import Hit, IntentSubject
from harness.contract.history import History, Intent


class _NextFree:
    """Smallest unclaimed index ≥ i, with path compression (claims only ever grow)."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n + 1))

    def find(self, i: int) -> int:
        root = i
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[i] != root:
            self.parent[i], i = root, self.parent[i]
        return root

    def claim(self, i: int) -> None:
        self.parent[i] = i + 1


class Leftovers:
    """Journal events no envelope claimed, indexed for subjects that never were an envelope."""

    def __init__(self, hits: list[Hit]) -> None:
        self.hits = hits
        self.taken: set[int] = set()
        self._by_pair: dict[tuple, list[int]] | None = None
        self._by_canon: dict[str, list[int]] = defaultdict(list)
        self._canon: list[str] = []

    def _index(self) -> dict[tuple, list[int]]:
        if self._by_pair is None:
            self._by_pair = defaultdict(list)
            for n, h in enumerate(self.hits):
                ec, ea, _ = labels(h.event.payload)
                self._by_pair[(ec, ea)].append(n)
                c = canonical(h.event.payload)
                self._canon.append(c)
                self._by_canon[c].append(n)
        return self._by_pair

    def take(self, it: Intent) -> list[Hit]:
        """The first unclaimed event like the intent, with every later copy of the same payload."""
        if not self.hits:
            return []
        for n in self._index().get((it.ec, it.ea), ()):
            if n in self.taken or (it.el is not None and labels(self.hits[n].event.payload)[2] != it.el) \
                    or not self._from(n, it.context):
                continue
            same = [m for m in self._by_canon[self._canon[n]]
                    if m >= n and m not in self.taken and self._from(m, it.context)]
            self.taken.update(same)
            return [self.hits[m] for m in same]
        return []

    def _from(self, n: int, context: str) -> bool:
        """The event could come from this context: its request was sent there, or is untagged."""
        sender = self.hits[n].entry.context
        return sender is None or sender == context

    def claim(self, n: int) -> Hit:
        self.taken.add(n)
        return self.hits[n]

    def rest(self) -> list[Hit]:
        return [h for n, h in enumerate(self.hits) if n not in self.taken]


def match_intents(history: History, fold: Fold, left: Leftovers) -> tuple[dict[str, str], dict[str, IntentSubject]]:
    """Each intent → the first unclaimed envelope of its context and kind added at/after it, else journal events."""
    wanted = {(it.context, it.ec, it.ea) for op in history.ops for it in op.intents}
    by_kind: dict[tuple[str, str | None, str | None], list[Track]] = defaultdict(list)
    if wanted:
        for t in fold.tracks.values():
            ec, ea, _ = t.labels()
            if (t.context, ec, ea) in wanted:
                by_kind[(t.context, ec, ea)].append(t)
    keys: dict[tuple, list[tuple[int, int]]] = {}
    free: dict[tuple, _NextFree] = {}
    for k, lst in by_kind.items():
        lst.sort(key=lambda t: (t.first_seen.t_page, t.first_seen.seq))
        keys[k] = [(t.first_seen.t_page, t.first_seen.seq) for t in lst]
        free[k] = _NextFree(len(lst))
    intent_of: dict[str, str] = {}
    subjects: dict[str, IntentSubject] = {}
    for op in sorted(history.ops, key=lambda o: o.seq):
        for it in op.intents:
            k = (it.context, it.ec, it.ea)
            lst = by_kind.get(k)
            if lst:
                nf = free[k]
                j = nf.find(bisect.bisect_left(keys[k], (it.t_page, -1)))
                while j < len(lst) and it.el is not None and lst[j].labels()[2] != it.el:
                    j = nf.find(j + 1)
                if j < len(lst):
                    nf.claim(j)
                    intent_of[lst[j].id] = it.intent_id
                    continue
            sid = it.intent_id if it.intent_id not in fold.tracks else f"intent:{it.intent_id}"
            subjects[sid] = IntentSubject(sid, it, op, left.take(it))
    return intent_of, subjects
