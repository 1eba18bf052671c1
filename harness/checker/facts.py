"""Everything the fates and guarantee rules read, built once per history.

Rules never scan the whole history per envelope: they ask ``Facts`` for an envelope's journal
hits, attempts, dead-letter records and states, which are all indexed by id.
"""
from __future__ import annotations

import bisect
import dataclasses
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType

from harness.checker.direct import storage_failures
from harness.checker.fold import Fold, Track, fold
from harness.checker.lifecycle import Lifecycle, WallToPage
from harness.checker.match import Hit, Matches, match
from harness.checker.payload import IDENTITY, Identity, altered, canonical, identity, text
from harness.checker.policy import Policy, ok_status
from harness.checker.scope import own_run
from harness.checker.subjects import resolve_eid
from harness.checker.verdict import EnvelopeFate
from harness.contract.envelope import ACTION, CATEGORY, SESSION, SITE
from harness.contract.history import IDLESS, Attempt, History, JournalEntry, JournalEvent, OutboxWrite, StoredEvent
from harness.contract.vocabulary import ANSWERED, OpKind
from server_stub.journal_bounds import TRIMMED
from server_stub.sync_protocol import event_error

_EC, _EA, _SID = (IDENTITY.index(k) for k in (CATEGORY, ACTION, SESSION))
SNAPSHOT_KINDS: frozenset[OpKind] = frozenset({"close", "navigate", "reload", "open", "restart", "online"})


@dataclass(frozen=True)
class Facts:
    """Read-only: built by ``build_facts``, completed with fates by ``with_fates``, then only asked questions."""

    history: History
    policy: Policy
    fold: Fold
    m: Matches
    life: Lifecycle
    wall_to_page: WallToPage
    t0: int
    fates: Mapping[str, EnvelopeFate] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def tracks(self) -> dict[str, Track]:
        return self.fold.tracks

    def hits(self, sid: str) -> list[Hit]:
        return self.m.hits.get(sid, [])

    def attempts(self, sid: str) -> list[Attempt]:
        return self.m.attempts.get(sid, [])

    @cached_property
    def _queued(self) -> dict[str, dict[Identity, dict]]:
        """id → each event identity (``payload.identity``) its own outbox states held → the first
        payload with it. Dead-letter copies are the build's own note, not what was queued."""
        out: dict[str, dict[Identity, dict]] = {}
        for sid, t in self.fold.tracks.items():
            reps: dict[Identity, dict] = {}
            for r in t.states:
                p = r.env.payload
                if isinstance(p, dict):
                    reps.setdefault(identity(p), p)  # type: ignore[arg-type]
            if reps:
                out[sid] = reps
        return out

    def changed_in_queue(self, t: Track) -> tuple[dict, dict] | None:
        """(first queued payload, the first later one that is another event) when the build
        turned the envelope into another event in its own outbox; ``None`` when it stayed one."""
        reps = self._queued.get(t.id, {})
        if len(reps) < 2:
            return None
        first, other = list(reps.values())[:2]
        return first, other

    @cached_property
    def _stored_other(self) -> dict[str, StoredEvent]:
        """id → the first row at rest under it whose columns (``ec``, ``ea``, session) name another
        event than any its outbox states held. Columns, not the row's payload: a store may rebuild
        the payload from them; a column the store left empty (``None``) is not compared."""
        out: dict[str, StoredEvent] = {}
        for row in self.history.at_rest or ():
            sid = resolve_eid(row.eid, row.payload, self._queued)
            if sid is None or sid in out:
                continue
            cols = [(i, text(v)) for i, v in ((_EC, row.ec), (_EA, row.ea), (_SID, row.session_id)) if v is not None]
            if not any(all(q[i] == v for i, v in cols) for q in self._queued[sid]):
                out[sid] = row
        return out

    def stored_other(self, t: Track) -> StoredEvent | None:
        """A row at rest under the envelope's id that is another event (``None``: none, or rows
        are not observable)."""
        return self._stored_other.get(t.id)

    @cached_property
    def _altered(self) -> dict[tuple[int, int], list[str]]:
        """(journal seq, event index) → identity fields on which an event credited to an envelope
        by its id differs from every event the envelope's outbox states held (``payload.altered``).
        Each arrival's identity is computed once and looked up: linear in the hits."""
        out: dict[tuple[int, int], list[str]] = {}
        for sid, hs in self.m.hits.items():
            reps = self._queued.get(sid)
            if not reps:
                continue
            for h in hs:
                got = h.event.payload
                if not isinstance(got, dict) or not got or (TRIMMED not in got and identity(got) in reps):
                    continue
                diffs = [altered(q, got) for q in reps.values()]
                if all(diffs):
                    out[(h.entry.seq, h.event.index)] = min(diffs, key=len)
        return out

    def changed_in_transit(self, h: Hit) -> list[str]:
        """Identity fields on which this arrival differs from what its envelope queued (``[]``: the same event)."""
        return self._altered.get((h.entry.seq, h.event.index), [])

    @cached_property
    def _processed(self) -> tuple[dict[str, int], dict[str, int]]:
        deliveries: dict[str, int] = {}
        copies: dict[str, int] = {}
        for sid, hs in self.m.hits.items():
            first = min((h for h in hs if h.entry.processed), key=lambda h: (h.entry.seq, h.event.index), default=None)
            if first is not None and self.changed_in_transit(first):
                continue  # the endpoint kept another event under its id: a genuine send after it is a duplicate ack
            hs = [h for h in hs if not self.changed_in_transit(h)]  # another event under its id delivers nothing of it
            page = sum(1 for h in hs if h.entry.processed and h.copy_of is None)
            copied = sum(1 for h in hs if h.entry.processed and h.copy_of is not None)
            if not page and copied:  # only the browser's copy got it stored: that is its one delivery
                page, copied = 1, copied - 1
            if page:
                deliveries[sid] = page
            if copied:
                copies[sid] = copied
        return deliveries, copies

    def deliveries(self, sid: str) -> int:
        """Processed journal events of a subject from the page's own sends, with multiplicity
        (counted once for all). Copies the browser re-sent by itself are ``browser_copies``: how
        many arrive is real time's, so they never make a delivery or a duplicate — unless a copy
        is all that got the event stored, which then is its one delivery."""
        return self._processed[0].get(sid, 0)

    def browser_copies(self, sid: str) -> int:
        """Processed events of a subject in copies of page sends the browser re-sent by itself
        (``checker.copies``), beside its deliveries; never the build's duplicates."""
        return self._processed[1].get(sid, 0)

    @cached_property
    def _writes(self) -> dict[int, OutboxWrite]:
        return {w.seq: w for w in self.history.writes}

    def write(self, seq: int) -> OutboxWrite | None:
        """The outbox write with this ``seq`` (what else it added and removed: a removal's evidence)."""
        return self._writes.get(seq)

    def unexpected(self) -> list[tuple[Hit, str | None]]:
        """Events that arrived without ever being enqueued, with the intent they carried (if any).

        Events matched to no subject at all, plus those of an intent that never became an
        envelope — unless they arrived after the context's storage had failed (then sending from
        memory is the best a build can do).
        """
        return self._unexpected

    @cached_property
    def _unexpected(self) -> list[tuple[Hit, str | None]]:
        failures = storage_failures(self.history)
        out: list[tuple[Hit, str | None]] = [(h, None) for h in self.m.unexpected]
        for sid, s in self.m.intents.items():
            since = [t for t, c in failures if c in (None, s.intent.context)]
            out += [(h, sid) for h in s.hits if not since or h.entry.t_wall < min(since)]
        out.sort(key=lambda x: (x[0].entry.seq, x[0].event.index))
        return out

    def non_ok(self, sid: str) -> list[int | None]:
        """Every non-2xx answer a send containing this subject got (journal, then attempts)."""
        out: list[int | None] = [h.entry.status for h in self.hits(sid)
                                 if not h.entry.processed and h.entry.status is not None and not ok_status(h.entry.status)]
        out += [a.status for a in self.attempts(sid)
                if a.outcome == "http_error" or (a.status is not None and not ok_status(a.status))]
        return out

    @cached_property
    def _answered(self) -> dict[str | None, tuple[list[float], list[JournalEntry]]]:
        by: dict[str | None, list[JournalEntry]] = {}
        for e in self.history.journal:
            if e.method == "POST" and e.via != "beacon" and e.status is not None:
                by.setdefault(e.context, []).append(e)
        out = {}
        for ctx, entries in by.items():
            entries.sort(key=lambda e: (e.t_done or e.t_wall, e.seq))
            out[ctx] = ([e.t_done or e.t_wall for e in entries], entries)
        return out

    def answer_before(self, context: str, t_wall: float) -> JournalEntry | None:
        """The last Sync request of ``context`` answered before ``t_wall`` (requests without a
        context tag count for every context): what the page last heard before it wrote."""
        best: JournalEntry | None = None
        for ctx in (context, None):
            times, entries = self._answered.get(ctx, ([], []))
            i = bisect.bisect_right(times, t_wall)
            if i and (best is None or (times[i - 1], entries[i - 1].seq) > (best.t_done or best.t_wall, best.seq)):
                best = entries[i - 1]
        return best

    def reject_status(self, sid: str) -> int | None:
        """The first non-retryable 4xx that refused this subject as it was queued (``refused``).
        The journal decides where it holds such an answer for the subject; the page's attempts
        (no per-event errors) only where it holds none, and only for an event the endpoint would
        refuse as queued (``invalid_as_queued``): a 400/413 for a body it never read (another
        shape, bad JSON, too large) or a refusal past the journal's budget of refused-event records
        names no event, and a valid event is not refused by it."""
        seen = False
        for h in self.hits(sid):
            if not h.entry.processed and self.policy.rejecting(h.entry.status):
                seen = True
                if refused(self.policy, h.entry, h.event) and not self.changed_in_transit(h):
                    return h.entry.status
        if seen:
            return None
        for a in self.attempts(sid):
            if self.policy.rejecting(a.status) and self.invalid_as_queued(sid, a.status):
                return a.status
        return None

    @cached_property
    def _stored_sites(self) -> frozenset[str]:
        return frozenset(text(ev.payload.get(SITE)) for e in self.history.journal if e.processed
                         for ev in e.events if isinstance(ev.payload, dict))

    def invalid_as_queued(self, sid: str, status: int | None) -> bool:
        """The endpoint's own checks refuse the envelope's first queued payload: ``event_error``
        (the stub's schema), or — for a 404, the stub's unknown-site answer — a site no stored
        event of the run carried. Without an outbox state nothing says it was valid: ``True``."""
        queued = next(iter(self._queued.get(sid, {}).values()), None)
        if queued is None:
            return True
        if event_error(queued) is not None:
            return True
        return status == 404 and text(queued.get(SITE)) not in self._stored_sites

    def idless_dead_letters(self, context: str) -> list[OutboxWrite]:
        """Every write to the dead-letter key in ``context`` that left records without an id (a
        build whose records are ``{ts, status, ec, ea, attempts}``, NOTES.md: the observer keeps no
        such record, so none can be matched to an envelope), in order."""
        return self._idless_by_context.get(context, [])

    @cached_property
    def _idless_by_context(self) -> dict[str, list[OutboxWrite]]:
        key = self.history.deadletter_key
        out: dict[str, list[OutboxWrite]] = {}
        for w in sorted(self.history.writes, key=lambda w: w.seq):
            if key is not None and w.key == key and w.parse_error is not None and w.parse_error.endswith(IDLESS):
                out.setdefault(w.context, []).append(w)
        return out

    @cached_property
    def outbox_index(self) -> dict[str, tuple[list[int], list[OutboxWrite]]]:
        """Context → (seqs, writes) of its outbox writes in order: indexed once, bisected per question."""
        out: dict[str, tuple[list[int], list[OutboxWrite]]] = {}
        for w in sorted(self.history.writes, key=lambda w: w.seq):
            if w.key == self.history.outbox_key:
                seqs, ws = out.setdefault(w.context, ([], []))
                seqs.append(w.seq)
                ws.append(w)
        return out

    def taken_down(self, sid: str) -> int | None:
        """The status of a non-retryable 4xx a request carrying this subject got for refusing
        other events of its batch, not this one (``refused``); ``None`` when there was none."""
        return next((h.entry.status for h in self.hits(sid) if not h.entry.processed
                     and self.policy.rejecting(h.entry.status) and not refused(self.policy, h.entry, h.event)), None)

    def removed_as_success(self, t: Track) -> int | None:
        """The status of a non-2xx answer the build treated as success, or ``None``.

        The signature of ignoring ``response.ok``: the envelope left the outbox right after a
        non-2xx answer to a fetch, without the ``attempts`` counter moving in between. A build
        that counted the failure and dropped the envelope later is judged by the drop rule.
        Journal order is wall time (answer sent → page reacts → observer reports the write).
        Without journal evidence (attempts only), any non-2xx before the removal counts.
        """
        removal = t.final_removal
        if removal is None:
            return None
        answers = [h.entry for h in self.hits(t.id)
                   if not h.entry.processed and h.entry.via != "beacon" and h.entry.status is not None
                   and not ok_status(h.entry.status) and (h.entry.t_done or h.entry.t_wall) <= removal.t_wall]
        if answers:
            last = max(answers, key=lambda e: (e.t_done or e.t_wall, e.seq))
            at = last.t_done or last.t_wall
            base = 0
            for rec in t.states:
                if rec.mark.t_wall <= at:
                    base = rec.env.attempts or 0
                elif rec.mark.seq < removal.seq and (rec.env.attempts or 0) > base:
                    return None
            return last.status
        for a in reversed(self.attempts(t.id)):
            if a.via in ANSWERED and (a.outcome == "http_error" or (a.status is not None and not ok_status(a.status))) \
                    and (a.t_page_end if a.t_page_end is not None else a.t_page_start) <= removal.t_page:
                return a.status
        return None

    @cached_property
    def _twinned(self) -> frozenset[str]:
        """Ids of envelopes whose payload another envelope of their context shares (one
        canonical text per envelope: the rules ask for every envelope)."""
        keys = {t.id: (t.context, canonical(p)) for t in self.fold.tracks.values() if (p := t.payload) is not None}
        count = Counter(keys.values())
        return frozenset(sid for sid, k in keys.items() if count[k] > 1)

    def has_twins(self, t: Track) -> bool:
        """Other envelopes of its context carry the same payload: a send without ``meta.eid`` is
        credited to one of them by payload alone (e.g. a build's byte-identical heartbeats), so
        per-envelope evidence drawn from such sends is not proof."""
        return t.id in self._twinned

    def beaconed_before(self, t: Track, seq: int) -> bool:
        """Marked ``beaconed`` in the outbox (or seen in a beacon) before the write ``seq``."""
        if any(r.mark.seq < seq and r.env.extra.get("beaconed") for r in t.states):
            return True
        return any(a.via == "beacon" for a in self.attempts(t.id)) or any(h.entry.via == "beacon" for h in self.hits(t.id))


def refused(policy: Policy, entry: JournalEntry, event: JournalEvent) -> bool:
    """The endpoint refused this event for good: a non-retryable 4xx that names it (a per-event
    ``error``) or names no event of the request (unknown site, body too large). A valid event
    of a batch refused for another one was not refused."""
    if entry.processed or not policy.rejecting(entry.status):
        return False
    return event.error is not None or not any(ev.error for ev in entry.events)


def _t0(history: History) -> int:
    times = [o.t_page for o in history.ops] + [w.t_page for w in history.writes] + \
            [a.t_page_start for a in history.attempts]
    return min(times) if times else 0


def build_facts(history: History, policy: Policy) -> Facts:
    """Fold, match and index a history (linear in its size, bar the sorts); no fates yet.

    The history is only read: with a shared site, the facts hold a view with this run's rows."""
    history = own_run(history)
    snapshot_ops = [o for o in history.ops if o.kind in SNAPSHOT_KINDS]
    folded = fold(history, snapshot_ops, policy.heartbeat)
    matches = match(history, folded, policy.auto_events)
    return Facts(history, policy, folded, matches, Lifecycle(history), WallToPage(history), _t0(history))


def with_fates(base: Facts, fates: Mapping[str, EnvelopeFate]) -> Facts:
    """The same facts, completed with every subject's fate (what the guarantee rules read)."""
    return dataclasses.replace(base, fates=MappingProxyType(dict(fates)))
