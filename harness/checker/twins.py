"""One cause stored twice under two ids: envelopes that are one event (``payload.identity``: a
copy with an extra ``meta`` key is the same event) that outnumber the intents that caused them.

``exactly_once`` counts rows per id, so a build that enqueues one click twice, each copy under
its own id, passes it. Only kinds the driver causes are judged (an intent's ``ec``/``ea``): two
real clicks on one link are two intents and two envelopes alike, a build that debounces a
repeat has fewer envelopes than intents, and auto events (views, heartbeats) have no intents to
count. Seeded envelopes are the scenario's, not a click's."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from harness.checker.fold import Track
from harness.checker.payload import Identity, identity
from harness.checker.verdict import EnvelopeFate


@dataclass(frozen=True)
class Twins:
    """Delivered envelopes of one context that are one event, and the intents that caused them."""

    ids: tuple[str, ...]  # delivered, in outbox order
    intents: int

    @property
    def surplus(self) -> int:
        return len(self.ids) - self.intents


def twins(tracks: Mapping[str, Track], fates: Mapping[str, EnvelopeFate], intent_of: Mapping[str, str]) -> list[Twins]:
    """Groups with more delivered envelopes than intents fulfilled among them (at least one)."""
    groups: dict[tuple[str, Identity | None], list[Track]] = defaultdict(list)
    for t in sorted(tracks.values(), key=lambda t: t.order):
        x = fates.get(t.id)
        if x is None or x.fate != "delivered" or t.payload is None or not t.states or t.seeded:
            continue
        groups[(t.context, identity(t.payload))].append(t)
    out = []
    for ts in groups.values():
        caused = sum(1 for t in ts if t.id in intent_of)
        if 0 < caused < len(ts):
            out.append(Twins(tuple(t.id for t in ts), caused))
    return out
