"""The recorder: turns what the browser reports into history facts, in arrival order.

It receives outbox deltas from observer pages (or a tab's new values, ``on_value``), send attempts from the instrumentation, and ops
from the driver and nemesis. It also folds the outbox per (context, key) as it goes, so a read of
the real storage (context start, restart, end of run) can be compared with what the observer saw:
any difference is recorded as a ``snapshot`` write rather than silently ignored.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from harness.contract.history import (
    IDLESS,
    Attempt,
    Carried,
    Envelope,
    History,
    Intent,
    JournalEntry,
    JsonDict,
    Op,
    OutboxWrite,
    PageMessage,
    StoredEvent,
)
from harness.contract.vocabulary import AtRestSource, GuaranteeId, OpKind
from harness.history.seal import ReportGate, Stamp, stamp_of

# How far a page's stamp may stand outside the harness clock's bounds (ms): the last page time
# accepted for its context below, the page time the harness let the context reach above.
STAMP_SLACK_MS = 1000
MAX_STAMP_NOTES = 20  # a build forging every stamp must not grow the notes without bound
MAX_MESSAGES_PER_PAGE = 500  # a build logging in a loop must not grow the history without bound
MAX_MESSAGE_CHARS = 4000


def parse_outbox(raw: str | None) -> tuple[list[Envelope] | None, str | None]:
    """Parse a raw outbox value: (envelopes, error). ``None`` value → empty outbox."""
    if raw is None:
        return [], None
    try:
        value = json.loads(raw)
    except ValueError as exc:
        return None, f"not JSON: {exc}"
    if not isinstance(value, list):
        return None, f"not a JSON array ({type(value).__name__})"
    envs = [e for e in (Envelope.from_json(item) for item in value) if e is not None]
    missing = len(value) - len(envs)
    return envs, (f"{missing} {IDLESS}" if missing else None)


def diff_states(before: dict[str, Envelope], after: list[Envelope]) -> tuple[tuple[Envelope, ...], tuple[Envelope, ...], tuple[str, ...]]:
    """Delta between a folded state and a list of envelopes: (added, changed, removed ids)."""
    after_ids = {e.id for e in after}
    added = tuple(e for e in after if e.id not in before)
    changed = tuple(e for e in after if e.id in before and before[e.id] != e)
    removed = tuple(i for i in before if i not in after_ids)
    return added, changed, removed


@dataclass
class _PendingAttempt:
    seq: int
    context: str
    page: str
    via: str
    t_start: int
    ids: tuple[str, ...]
    payloads: tuple[dict[str, Any], ...]
    carried: tuple[Carried, ...] | None = None


def seen_at(w: Any) -> float:
    """The wall time of an observed write: when the observer saw it (its real clock, ``w`` ms),
    not when its batch reached Python. Date.now() has 1 ms steps, so 1 ms is added: the time is
    never before the write, which comes after any answer the page had before it (the checker asks
    which answers came before a removal). Never later than now; without ``w``, now."""
    now = time.time()
    if isinstance(w, (int, float)) and not isinstance(w, bool) and w > 0:
        return min(now, w / 1000 + 0.001)
    return now


def _carried(raw: Any) -> tuple[Carried, ...] | None:
    """The send record of a report (js/instrument.js ``carried``); ``None`` when there is none."""
    if not isinstance(raw, list):
        return None
    out = []
    for g in raw:
        if not isinstance(g, dict):
            continue
        ints = lambda xs: tuple(int(x) for x in xs if isinstance(x, int) and not isinstance(x, bool))  # noqa: E731
        events, positions = ints(g.get("events") or ()), ints(g.get("positions") or ())
        entries = tuple(str(x) for x in g.get("entries") or ())
        if events and len(entries) == len(positions):
            out.append(Carried(events, entries, positions))
    return tuple(out)


@dataclass
class Recorder:
    """Collects one scenario's facts. Not thread-safe: everything runs on one event loop."""

    scenario: str
    outbox_key: str
    deadletter_key: str | None
    judges: tuple[GuaranteeId, ...] = ()
    policy: JsonDict = field(default_factory=dict)
    profile_policy: JsonDict = field(default_factory=dict)
    writes: list[OutboxWrite] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)
    ops: list[Op] = field(default_factory=list)
    _state: dict[tuple[str, str], dict[str, Envelope]] = field(default_factory=dict)
    _open: dict[tuple[str, str, int], _PendingAttempt] = field(default_factory=dict)  # (context, tab#load, id)
    _early_ends: dict[tuple[str, str, int], dict[str, Any]] = field(default_factory=dict)
    ended_sends: set[str] = field(default_factory=set)  # "load.id" of fetches and XHRs that ended (the stub ends their holds)
    _seq: int = 0
    sync_marks: dict[str, str] = field(default_factory=dict)
    page_messages: list[PageMessage] = field(default_factory=list)
    clock: Callable[[], int] = lambda: 0  # the scenario's page time, for facts that carry none
    # A browser context's page time at a wall time (time.time()) — its own clock may run ahead of
    # the others' inside one advance (``VirtualClock.page_time_at``): a write the observer saw
    # without the writer's stamp is dated by when it was seen (None: the page time now).
    clock_at: Callable[[float, str], int] | None = None
    # A browser context's page time now (``VirtualClock.now_in``); None: the scenario's serves every context.
    clock_in: Callable[[str], int] | None = None
    # The page time a context may have reached now (``VirtualClock.ceiling_in``: an advance's target
    # while it runs); None: ``clock_in``.
    clock_ceiling: Callable[[str], int] | None = None
    stamp_notes: list[str] = field(default_factory=list)  # stamps the harness clock refuted (tampering)
    _refuted: int = 0
    _last_t: dict[str, int] = field(default_factory=dict)  # context -> last page time accepted from a stamp
    _unsealed: dict[str, tuple[int, Stamp]] = field(default_factory=dict)  # context -> (count, first) of stamps without a seal
    _message_counts: dict[tuple[str, str], int] = field(default_factory=dict)

    def _next(self) -> int:
        self._seq += 1
        return self._seq

    # -- outbox -------------------------------------------------------------------------
    def state(self, context: str, key: str | None = None) -> dict[str, Envelope]:
        """The folded state of a key in a context (what the observer has seen so far)."""
        return self._state.setdefault((context, key or self.outbox_key), {})

    def _apply(self, w: OutboxWrite) -> None:
        st = self.state(w.context, w.key)
        for i in w.removed:
            st.pop(i, None)
        for e in (*w.added, *w.changed):
            st[e.id] = e
        self.writes.append(w)

    def on_storage(self, context: str, msg: dict[str, Any], gate: ReportGate | None = None) -> None:
        """A delta from an observer page (see js/observer.js); ``gate``: the context's, which opens
        the stamp (``msg["stamp"]``) written before the write (without one, no stamp is taken)."""
        if "sync" in msg:
            self.sync_marks[context] = str(msg["sync"])
            return
        key = str(msg["key"])
        t_page, writer, t_wall = self._dated(context, key, msg.get("stamp"), gate, msg.get("w"))
        if msg.get("cleared"):
            removed = tuple(self.state(context, key))
            if not removed:
                return
            self._apply(OutboxWrite(self._next(), t_page, t_wall, context, key, url=msg.get("url"),
                                    removed=removed, length=0))
            return
        envs = lambda items: tuple(e for e in (Envelope.from_json(x) for x in items or ()) if e is not None)  # noqa: E731
        self._apply(OutboxWrite(
            seq=self._next(), t_page=t_page, t_wall=t_wall, context=context, key=key,
            url=msg.get("url"), added=envs(msg.get("added")), changed=envs(msg.get("changed")),
            removed=tuple(str(i) for i in msg.get("removed") or ()), length=msg.get("length"),
            parse_error=msg.get("parse_error"), raw_sample=msg.get("raw_sample"),
            writer=writer,
        ))

    def on_value(self, context: str, key: str, raw: str | None, stamp: str | None, url: str | None, w: float,
                 gate: ReportGate | None = None) -> None:
        """A watched key's new value, whole (a tab's ``DOMStorage`` event, harness/history/tabwatch.py):
        diffed here against the folded state, as observer.js diffs old and new values in the page."""
        t_page, writer, t_wall = self._dated(context, key, stamp, gate, w)
        envs, error = parse_outbox(raw)
        before = self.state(context, key)
        if envs is None:
            self._apply(OutboxWrite(self._next(), t_page, t_wall, context, key, url=url, removed=tuple(before),
                                    parse_error=error, raw_sample=str(raw)[:200], writer=writer))
            return
        added, changed, removed = diff_states(before, envs)
        self._apply(OutboxWrite(self._next(), t_page, t_wall, context, key, url=url, added=added, changed=changed,
                                removed=removed, length=len(envs), parse_error=error, writer=writer))

    def _dated(self, context: str, key: str, text: Any, gate: ReportGate | None, w: Any) -> tuple[int, str | None, float]:
        """(page time, writer, wall time) of a watched write seen at real time ``w`` (ms) with stamp
        ``text`` (``__tank_t``). Only a stamp the instrumentation sealed (``gate.sealed``) is taken,
        and only inside [the context's last accepted page time, the page time the harness let the
        context reach] ± ``STAMP_SLACK_MS``; otherwise the write is dated by the harness clock and its
        writer is unknown (unsealed: counted, one note per context; out of bounds: a note each). A
        stamp not taken never moves the lower bound. A sealed stamp's real time (tab channel) dates
        the write when earlier than ``w``: the event reaches the harness after the write."""
        stamp = stamp_of(text)
        if stamp is not None and (gate is None or not gate.sealed(text, stamp)):
            count, first = self._unsealed.get(context, (0, stamp))
            self._unsealed[context] = (count + 1, first)
            stamp = None
        if stamp is not None and stamp.wall is not None and isinstance(w, (int, float)):
            w = min(w, stamp.wall)
        t_wall = seen_at(w)
        seen = self._page_time_at(t_wall, context)
        if stamp is None:
            return seen, None, t_wall
        t, writer = stamp.t, stamp.writer
        low = self._last_t.get(context, seen) - STAMP_SLACK_MS
        high = (self.clock_ceiling(context) if self.clock_ceiling is not None else self.now_in(context)) + STAMP_SLACK_MS
        if low <= t <= high:
            self._last_t[context] = max(t, self._last_t.get(context, t))
            return t, writer, t_wall
        self._refuted += 1
        if self._refuted <= MAX_STAMP_NOTES:
            side = f"{(t - high) / 1000:+.3f} s past the page time the harness let it reach" if t > high else \
                f"{(low - t) / 1000:.3f} s before the context's last accepted page time"
            self.stamp_notes.append(
                f"tampering: context {context}: a write to {key!r} came with a sealed stamp of page time {t} ({side}, "
                f"writer {writer or '?'!r}): the harness clock refutes it; dated by the harness clock ({seen})")
        return seen, None, t_wall

    def _page_time_at(self, wall: float, context: str) -> int:
        return self.clock() if self.clock_at is None else self.clock_at(wall, context)

    def now_in(self, context: str) -> int:
        """The page time of ``context`` now (the scenario's, unless its clock runs apart)."""
        return self.clock() if self.clock_in is None else self.clock_in(context)

    def on_read(self, context: str, key: str, raw: str | None, t_page: int, kind: str = "snapshot") -> None:
        """The harness read (or seeded) a key: record whatever differs from the folded state."""
        envs, error = parse_outbox(raw)
        before = self.state(context, key)
        if envs is None:
            if raw is not None:
                self._apply(OutboxWrite(self._next(), t_page, time.time(), context, key, kind=kind,  # type: ignore[arg-type]
                                        removed=tuple(before), parse_error=error, raw_sample=raw[:200]))
            return
        added, changed, removed = diff_states(before, envs)
        if added or changed or removed or (kind == "seed" and error):
            self._apply(OutboxWrite(self._next(), t_page, time.time(), context, key, kind=kind,  # type: ignore[arg-type]
                                    added=added, changed=changed, removed=removed, length=len(envs),
                                    parse_error=error))

    # -- attempts -----------------------------------------------------------------------
    def next_seq(self) -> int:
        """A place in the history's order, taken now and given later (a send's marker arrived
        before its report: ``on_attempt(..., seq=)``)."""
        return self._next()

    def on_attempt(self, context: str, page: str, msg: dict[str, Any], seq: int | None = None) -> None:
        """A record from the instrumentation (see js/instrument.js); ``seq``: its place, taken
        earlier with ``next_seq`` (default: now)."""
        kind = msg.get("type")
        key = (context, f"{page}#{msg.get('load', '')}", int(msg.get("id") or 0))
        ids = tuple(str(i) for i in msg.get("ids") or ())
        payloads = tuple(p for p in msg.get("payloads") or () if isinstance(p, dict))
        carried = _carried(msg.get("carried"))
        if kind == "beacon":
            self.attempts.append(Attempt(seq or self._next(), context, page, "beacon", int(msg["t"]), int(msg["t"]),
                                         str(msg.get("outcome")), ids=ids, payloads=payloads, carried=carried))
        elif kind == "start":
            via = "xhr" if msg.get("via") == "xhr" else "fetch"  # a request whose answer the page awaits
            pending = _PendingAttempt(seq or self._next(), context, page, via, int(msg["t"]), ids, payloads, carried)
            early = self._early_ends.pop(key, None)
            if early is not None:
                self._close(pending, early)
            else:
                self._open[key] = pending
        elif kind == "end":
            self.ended_sends.add(f"{msg.get('load', '')}.{msg.get('id')}")
            pending = self._open.pop(key, None)
            if pending is None:  # the body was read asynchronously: the end can overtake the start
                self._early_ends[key] = msg
            else:
                self._close(pending, msg)

    def _close(self, p: _PendingAttempt, end: dict[str, Any]) -> None:
        self.attempts.append(Attempt(p.seq, p.context, p.page, p.via, p.t_start, int(end["t"]),  # type: ignore[arg-type]
                                     str(end.get("outcome")), status=end.get("status"), error=end.get("error"),
                                     ids=p.ids, payloads=p.payloads, carried=p.carried))

    # -- page console and errors ---------------------------------------------------------
    def on_page_message(self, context: str, page: str, kind: str, level: str, text: str, *,
                        page_url: str | None = None, source: str | None = None, stack: str | None = None,
                        t_page: int | None = None) -> None:
        """A console message, uncaught error or crash of a page; capped per page."""
        key = (context, page)
        count = self._message_counts.get(key, 0) + 1
        self._message_counts[key] = count
        if count > MAX_MESSAGES_PER_PAGE:
            return
        self.page_messages.append(PageMessage(
            self._next(), self.now_in(context) if t_page is None else t_page, time.time(), context, page, kind, level,  # type: ignore[arg-type]
            _clip(text), page_url=page_url, source=source, stack=_clip(stack) if stack else None))

    def _dropped_messages(self) -> list[PageMessage]:
        return [PageMessage(self._next(), self.clock(), time.time(), context, page, "dropped", "warning",
                            f"{n - MAX_MESSAGES_PER_PAGE} more message(s) of this page were not kept "
                            f"(cap {MAX_MESSAGES_PER_PAGE})")
                for (context, page), n in self._message_counts.items() if n > MAX_MESSAGES_PER_PAGE]

    # -- ops ----------------------------------------------------------------------------
    def op(self, kind: OpKind, t_page: int, *, context: str | None = None, page: str | None = None,
           detail: dict[str, Any] | None = None, intents: tuple[Intent, ...] = ()) -> Op:
        o = Op(self._next(), kind, t_page, time.time(), context, page, detail or {}, intents)
        self.ops.append(o)
        return o

    def intent(self, context: str, page: str, ec: str, ea: str, el: str | None, t_page: int) -> Intent:
        return Intent(f"intent-{self._next()}", context, page, ec, ea, el, t_page)

    # -- the end ------------------------------------------------------------------------
    def history(self, *, t_page_end: int, journal: list[JournalEntry] | None = None,
                at_rest: list[StoredEvent] | None = None, at_rest_source: AtRestSource = "none",
                site_shared: bool = False, notes: list[str] | None = None, error: str | None = None,
                meta: JsonDict | None = None) -> History:
        """The whole history of the run, in one piece: what the pages reported (closing open
        attempts as ``pending``), plus what the run read at the end from the Sync journal and
        the store, and its notes. The only place a ``History`` of a run is made."""
        for p in sorted(self._open.values(), key=lambda p: p.seq):
            self.attempts.append(Attempt(p.seq, p.context, p.page, p.via, p.t_start, None, "pending",  # type: ignore[arg-type]
                                         ids=p.ids, payloads=p.payloads, carried=p.carried))
        self._open.clear()
        self.attempts.sort(key=lambda a: a.seq)
        return History(scenario=self.scenario, outbox_key=self.outbox_key, deadletter_key=self.deadletter_key,
                       writes=list(self.writes), journal=list(journal or ()), attempts=list(self.attempts),
                       ops=list(self.ops), page_messages=[*self.page_messages, *self._dropped_messages()],
                       at_rest=at_rest, at_rest_source=at_rest_source, site_shared=site_shared,
                       t_page_end=t_page_end, t_wall_end=time.time(), judges=self.judges, policy=dict(self.policy),
                       profile_policy=dict(self.profile_policy),
                       notes=[*(notes or ()), *self._stamp_notes()], error=error, meta=dict(meta or {}))

    def _stamp_notes(self) -> list[str]:
        more = self._refuted - len(self.stamp_notes)
        unsealed = [f"tampering: context {context}: {count} write(s) came with a stamp (__tank_t) the instrumentation "
                    f"did not seal (first: page time {first.t}, writer {first.writer or '?'!r}): a page wrote or replayed "
                    "the harness's stamp itself; those writes are dated by the harness clock, their writer unknown"
                    for context, (count, first) in self._unsealed.items()]
        return [*unsealed, *self.stamp_notes,
                *([f"tampering: {more} more refuted stamp(s) not listed"] if more > 0 else [])]


def _clip(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE_CHARS else text[:MAX_MESSAGE_CHARS] + f"… ({len(text)} chars)"
