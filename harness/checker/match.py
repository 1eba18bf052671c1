"""Attribute what the server saw (journal, rows at rest) and what the page sent (attempts) to subjects.

Order of evidence: the envelope id (``meta.eid``), else the page's send record (the outbox entries
holding that payload when the request was sent: ``sendrecord``), else the payload without its
eid — assigned in order among envelopes sharing a payload — else the driver's intents, else direct sends during a
storage failure; whatever is left arrived without ever being enqueued (``unexpected``). Every
step is a dictionary lookup or a monotone pointer, so 100,000 envelopes match in linear time.

Payload equality is never the only evidence: a request is attributed among the envelopes of the
context that sent it (the journal entry's ``context``, the attempt's own), so two contexts'
byte-identical payloads are never credited to each other. Untagged requests (a page the harness
did not instrument, an older history) fall back to every envelope.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from harness.checker.copies import copy_of, send_key
from harness.checker.direct import match_direct
from harness.checker.fold import Fold, Track
from harness.checker.intents import Leftovers, match_intents
from harness.checker.payload import labels
from harness.checker.rows import match_rows
from harness.checker.sendrecord import Touches, group_of, link_requests, pick
from harness.checker.subjects import DirectSubject, Group, Hit, IntentSubject, PayloadIndex, resolve_eid
from harness.contract.history import Attempt, History, JournalEntry, StoredEvent


@dataclass
class Matches:
    hits: dict[str, list[Hit]]  # subject id -> journal events attributed to it
    attempts: dict[str, list[Attempt]]  # subject id -> sends that carried it
    rows: dict[str, int] | None  # subject id -> rows at rest (None: not observable)
    orphan_rows: list[StoredEvent]
    unexpected: list[Hit]
    intent_of: dict[str, str]  # envelope id -> intent id it fulfilled
    intents: dict[str, IntentSubject]  # envelope-less intents, by subject id
    direct: dict[str, DirectSubject]  # auto events sent without an outbox, by subject id
    unattributed_attempts: int
    events_examined: int
    decided_by: dict[str, int] = field(default_factory=dict)  # evidence -> id-less deliveries it credited
    copies: dict[int, int] = field(default_factory=dict)  # journal seq of a browser copy -> its send's first request (copy_of)


def _match_journal(history: History, fold: Fold, index: PayloadIndex, copies: dict[int, int]
                   ) -> tuple[dict[str, list[Hit]], list[Hit], int, dict[str, int]]:
    hits: dict[str, list[Hit]] = defaultdict(list)
    unmatched: list[Hit] = []
    delivered: dict[str, int] = defaultdict(int)
    decided: dict[str, int] = defaultdict(int)  # evidence -> delivered id-less events it decided
    links = link_requests(history, copies)
    credited: dict[int, dict[int, tuple[str, str]]] = {}  # a send's first request: event index -> (subject, evidence)
    touches = Touches(fold.tracks)
    examined = 0
    for entry in sorted(history.journal, key=lambda e: e.seq):
        original = copies.get(entry.seq)
        if original is not None and credited.get(original):  # the browser's copy: its events are its send's
            examined += len(entry.events)
            _credit_copy(entry, original, credited[original], hits, unmatched, delivered)
            continue
        # (a copy whose first request credited none of its events is matched as the page's request;
        # a first request without events is no anchor at all: ``copy_of`` takes the next with them)
        sent = links.get(entry.seq)
        taken: set[str] = set()
        spent = (lambda i: delivered[i] > 0) if entry.processed else (lambda i: False)
        mine: dict[int, tuple[str, str]] = {}
        if send_key(entry) is not None:
            credited[entry.seq] = mine
        for ev in entry.events:
            examined += 1
            evidence = "eid"
            tid = resolve_eid(ev.eid, ev.payload, fold.tracks)
            if tid is None and sent is not None and (g := group_of(sent, ev.index)) is not None:
                tid = pick(g, sent, fold.tracks, touches, taken, spent)
                evidence = "send record"
            if tid is None:
                evidence = "payload"
                group = index.get(ev.payload, entry.context)
                if group is not None:
                    while group.next_undelivered < len(group.ids) and delivered[group.ids[group.next_undelivered]]:
                        group.next_undelivered += 1
                    tid = group.ids[min(group.next_undelivered, len(group.ids) - 1)]
            if tid is None:
                unmatched.append(Hit(entry, ev))
                continue
            taken.add(tid)
            mine[ev.index] = (tid, evidence)
            hits[tid].append(Hit(entry, ev, evidence))
            if entry.processed:
                delivered[tid] += 1
                if evidence != "eid":
                    decided[evidence] += 1
    return hits, unmatched, examined, dict(decided)


def _credit_copy(entry: JournalEntry, original: int, credit: dict[int, tuple[str, str]],
                 hits: dict[str, list[Hit]], unmatched: list[Hit], delivered: dict[str, int]) -> None:
    """A copy the browser re-sent carries its send's body: each event goes where the send's first
    request's event of the same index went (an id-less copy matched by payload would otherwise
    take the next envelope sharing that payload)."""
    for ev in entry.events:
        got = credit.get(ev.index)
        if got is None:
            unmatched.append(Hit(entry, ev, copy_of=original))
            continue
        tid, evidence = got
        hits[tid].append(Hit(entry, ev, evidence, copy_of=original))
        if entry.processed:
            delivered[tid] += 1


def _alive(tr: Track, t: int) -> bool:
    removal = tr.final_removal
    return tr.first_seen.t_page <= t and (removal is None or removal.t_page >= t)


def _alive_pick(group: Group, tracks: dict[str, Track], t: int, taken: dict[str, None]) -> str | None:
    """Among envelopes sharing a payload, the first queued at page time ``t`` not already taken."""
    fallback = None
    for i in group.ids:
        if i in taken:
            continue
        if _alive(tracks[i], t):
            return i
        fallback = fallback or i
    return fallback


class _LabelIndex:
    """(context, ec, ea, el) -> envelopes, for attempts that report only a summary of each event
    (the instrumentation sends ``{ec, ea, el, eid}``, not whole payloads)."""

    def __init__(self, tracks: dict[str, Track]) -> None:
        self._tracks = tracks
        self._index: dict[tuple, Group] | None = None

    def get(self, context: str, p: dict) -> Group | None:
        if self._index is None:
            index: dict[tuple, Group] = defaultdict(Group)
            for t in sorted(self._tracks.values(), key=lambda t: t.order):
                index[(t.context, *t.labels())].ids.append(t.id)
            self._index = dict(index)
        ec, ea, el = labels(p)
        return self._index.get((context, ec, ea, el))


def _match_attempts(history: History, fold: Fold, index: PayloadIndex,
                    other_eids: dict[str, str]) -> tuple[dict[str, list[Attempt]], int]:
    """Attempt → envelopes: by eid, else by whole payload, else by (ec, ea, el) among those queued then."""
    out: dict[str, list[Attempt]] = defaultdict(list)
    by_label = _LabelIndex(fold.tracks)
    unattributed = 0
    touches = Touches(fold.tracks)
    for att in sorted(history.attempts, key=lambda a: a.seq):
        ids: dict[str, None] = {i: None for i in att.ids if i in fold.tracks}
        if len(ids) == len(att.ids) >= len(att.payloads):
            for tid in ids:
                out[tid].append(att)
            continue
        for i in att.ids:
            if i in other_eids:
                ids.setdefault(other_eids[i], None)
        for n, p in enumerate(att.payloads):
            top = p.get("eid") if isinstance(p, dict) and isinstance(p.get("eid"), str) else None
            tid = resolve_eid(top, p, fold.tracks)
            if tid is None and (other := resolve_eid(top, p, other_eids)) is not None:
                tid = other_eids[other]
            if tid is None and (g := group_of(att, n)) is not None:
                tid = pick(g, att, fold.tracks, touches, ids)
            if tid is None:
                group = index.get(p, att.context) or by_label.get(att.context, p)
                tid = _alive_pick(group, fold.tracks, att.t_page_start, ids) if group is not None else None
            if tid is not None:
                ids.setdefault(tid, None)
        if not ids and (att.ids or att.payloads):
            unattributed += 1
        for tid in ids:
            out[tid].append(att)
    return out, unattributed


def match(history: History, fold: Fold, auto_events: tuple[tuple[str, str], ...] = ()) -> Matches:
    """Attribute journal events, attempts, intents and rows at rest to subjects."""
    index = PayloadIndex(fold.tracks)
    copies = copy_of(history.journal)
    hits, unmatched, examined, decided = _match_journal(history, fold, index, copies)
    left = Leftovers(unmatched)
    intent_of, intents = match_intents(history, fold, left)
    direct = match_direct(history, left, auto_events, set(fold.tracks) | set(intents))
    extra: dict[str, list[Hit]] = {sid: s.hits for sid, s in intents.items()}
    extra.update({sid: s.hits for sid, s in direct.items()})
    hits.update(extra)
    other_eids = {h.event.eid: sid for sid, hs in extra.items() for h in hs if h.event.eid}
    attempts, unattributed = _match_attempts(history, fold, index, other_eids)
    rows, orphans = match_rows(history, fold, index, hits, extra)
    return Matches(dict(hits), dict(attempts), rows, orphans, left.rest(), intent_of, intents, direct,
                   unattributed, examined, decided, copies)
