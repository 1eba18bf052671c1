"""What journal events, attempts and rows get attributed to: envelopes, and the two kinds of
subjects that never were an envelope (an intent the build did not enqueue; an auto event it sent
straight from memory while storage was unavailable). Plus the shared payload index."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Container

from harness.checker.fold import Track
from harness.checker.payload import canonical, eid_of
from harness.contract.history import Intent, JournalEntry, JournalEvent, Op


@dataclass(frozen=True, slots=True)
class Hit:
    """One journal event attributed to a subject."""

    entry: JournalEntry
    event: JournalEvent
    evidence: str = "eid"  # what credited it: eid | send record | payload (or intent, direct)
    copy_of: int | None = None  # a copy the browser re-sent: the journal seq of its send's first request


@dataclass
class IntentSubject:
    """An intent that no envelope fulfilled: judged on its own (delivered directly, or lost)."""

    id: str
    intent: Intent
    op: Op
    hits: list[Hit] = field(default_factory=list)


@dataclass
class DirectSubject:
    """An auto event (heartbeat, session end) sent without an outbox while storage was failing."""

    id: str
    context: str | None
    hits: list[Hit] = field(default_factory=list)


class Group:
    """Subjects sharing one payload, in first-seen order, with in-order assignment pointers."""

    __slots__ = ("ids", "next_undelivered", "next_unrowed_delivered", "next_unrowed")

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.next_undelivered = 0
        self.next_unrowed_delivered = 0
        self.next_unrowed = 0


class PayloadIndex:
    """canonical payload -> Group of envelopes, built on first use (eid-carrying builds never need it).

    A request tagged with its sender's context looks among that context's envelopes only
    (``context=``): its outbox is the only one it could have sent from, so two contexts'
    byte-identical payloads are never credited to each other."""

    def __init__(self, tracks: dict[str, Track]) -> None:
        self._tracks = tracks
        self._groups: dict[str, Group] | None = None
        self._by_context: dict[tuple[str, str], Group] | None = None

    def groups(self) -> dict[str, Group]:
        if self._groups is None:
            groups: dict[str, Group] = defaultdict(Group)
            for t in sorted(self._tracks.values(), key=lambda t: t.order):
                if t.payload is not None:
                    groups[canonical(t.payload)].ids.append(t.id)
            self._groups = dict(groups)
        return self._groups

    def get(self, payload: object, context: str | None = None) -> Group | None:
        if context is None:
            return self.groups().get(canonical(payload))
        if self._by_context is None:
            scoped: dict[tuple[str, str], Group] = defaultdict(Group)
            for t in sorted(self._tracks.values(), key=lambda t: t.order):
                if t.payload is not None:
                    scoped[(t.context, canonical(t.payload))].ids.append(t.id)
            self._by_context = dict(scoped)
        return self._by_context.get((context, canonical(payload)))


def resolve_eid(eid: str | None, payload: object, known: Container[str]) -> str | None:
    """The known id an event names: its own eid field, else its ``meta.eid``."""
    if eid is not None and eid in known:
        return eid
    e2 = eid_of(payload)
    return e2 if e2 is not None and e2 in known else None
