"""Hand-made histories for checker tests: a tiny fluent builder over ``harness.contract.history``.

Page time only moves with ``advance``; wall time moves by a millisecond per recorded fact, so
facts keep the order they were built in. Seqs come from one counter, like the real recorder.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from harness.contract.history import (
    Attempt,
    Carried,
    Envelope,
    History,
    Intent,
    JournalEntry,
    JournalEvent,
    Op,
    OutboxWrite,
    StoredEvent,
)

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z, page clock
HOUR = 3_600_000
OUTBOX = "opsmantik_outbox_v2"
DEAD = "opsmantik_deadletter_v2"


def payload(ec: str = "interaction", ea: str = "view", el: str = "", eid: str | None = None, **extra: Any) -> dict:
    p: dict[str, Any] = {"s": "site-1", "u": "http://127.0.0.1/", "sid": "sess-1", "sm": "2026-01-01",
                         "ec": ec, "ea": ea, "el": el, "ev": None, "r": "", "meta": {"fp": "fp-1"}}
    if eid is not None:
        p["meta"]["eid"] = eid
    p.update(extra)
    return p


@dataclass
class HB:
    """History builder."""

    scenario: str = "test"
    deadletter: bool = True
    now: int = T0
    wall: float = 1000.0
    seq: int = 0
    journal_seq: int = 0
    h: History = field(init=False)
    _n: int = 0
    _held: dict[tuple[str, str], set[str]] = field(default_factory=dict)  # ids in each (context, key): a write's length

    def __post_init__(self) -> None:
        self.h = History(self.scenario, OUTBOX, DEAD if self.deadletter else None)

    # -- time ---------------------------------------------------------------------------
    def advance(self, ms: int) -> "HB":
        self.now += ms
        return self

    def _tick(self) -> tuple[int, float]:
        self.seq += 1
        self.wall += 0.001
        return self.seq, self.wall

    # -- envelopes ----------------------------------------------------------------------
    def env(self, id: str | None = None, ec: str = "interaction", ea: str = "view", el: str = "", *,
            attempts: int | None = 0, ts: int | None = None, eid: bool = True, body: dict | None = None,
            **extra: Any) -> Envelope:
        if id is None:
            self._n += 1
            id = f"env-{self._n:04d}"
        p = body if body is not None else payload(ec, ea, el, eid=id if eid else None)
        return Envelope(id, self.now if ts is None else ts, attempts, p, dict(extra))

    def write(self, *, added: Iterable[Envelope] = (), changed: Iterable[Envelope] = (),
              removed: Iterable[str] = (), ctx: str = "main", key: str = OUTBOX, kind: str = "write",
              url: str | None = "http://127.0.0.1/", writer: str | None = None) -> OutboxWrite:
        """``writer``: the page load the instrumentation's stamp names (``tab#load``)."""
        seq, wall = self._tick()
        held = self._held.setdefault((ctx, key), set())
        held.difference_update(removed)
        held.update(e.id for e in (*added, *changed))
        w = OutboxWrite(seq, self.now, wall, ctx, key, kind, url, tuple(added), tuple(changed), tuple(removed),  # type: ignore[arg-type]
                        length=len(held), writer=writer)
        self.h.writes.append(w)
        return w

    def add(self, *envs: Envelope, ctx: str = "main", kind: str = "write", url: str | None = "http://127.0.0.1/",
            writer: str | None = None) -> list[Envelope]:
        self.write(added=envs, ctx=ctx, kind=kind, url=url, writer=writer)
        return list(envs)

    def seed(self, *envs: Envelope, ctx: str = "main") -> list[Envelope]:
        return self.add(*envs, ctx=ctx, kind="seed", url=None)

    def change(self, *envs: Envelope, ctx: str = "main") -> None:
        self.write(changed=envs, ctx=ctx)

    def bump(self, e: Envelope, n: int = 1, ctx: str = "main", **extra: Any) -> Envelope:
        """The build counts ``n`` more failed attempts."""
        new = Envelope(e.id, e.ts, (e.attempts or 0) + n, e.payload, {**e.extra, **extra})
        self.change(new, ctx=ctx)
        return new

    def remove(self, *ids: str, ctx: str = "main", url: str | None = "http://127.0.0.1/", writer: str | None = None) -> None:
        self.write(removed=ids, ctx=ctx, url=url, writer=writer)

    def dead(self, e: Envelope, reason: str, keep_payload: bool = True, ctx: str = "main") -> None:
        rec = Envelope(e.id, e.ts, e.attempts, e.payload if keep_payload else None, {**e.extra, "reason": reason})
        self.write(added=(rec,), ctx=ctx, key=DEAD)

    # -- the server ---------------------------------------------------------------------
    def journal(self, *items: Envelope | dict, status: int | None = 200, processed: bool | None = None,
                via: str = "fetch", errors: dict[int, str] | None = None, outcome: str = "answered",
                wire_eid: bool = True, ctx: str | None = None, send: str | None = None) -> JournalEntry:
        """A request carrying ``items`` (envelopes → their payloads, with ``meta.eid`` unless ``wire_eid=False``);
        ``ctx``: the sender's context tag (``None``: an untagged request); ``send``: the page's id of
        the send (``_tank_a``; a second request with the same id is a copy the browser re-sent)."""
        self.journal_seq += 1
        _, wall = self._tick()
        self.seq -= 1  # the journal has its own sequence
        events = []
        for i, it in enumerate(items):
            if isinstance(it, Envelope):
                p = dict(it.payload or {})
                meta = {k: v for k, v in (p.get("meta") or {}).items() if k != "eid"}
                if wire_eid:
                    meta["eid"] = it.id
                p["meta"] = meta
            else:
                p = it
            eid = (p.get("meta") or {}).get("eid")
            events.append(JournalEvent(i, p, eid, (errors or {}).get(i)))
        if processed is None:
            processed = status is not None and 200 <= status <= 299
        e = JournalEntry(self.journal_seq, wall, "POST", "/api/sync", status, outcome, processed, via,
                         events=tuple(events), t_done=wall + 0.0001, context=ctx, send=send)
        self.h.journal.append(e)
        return e

    def attempt(self, *envs: Envelope, outcome: str = "ok", status: int | None = 200, duration: int = 0,
                via: str = "fetch", ctx: str = "main", page: str = "main", error: str | None = None,
                ids: bool = True, pending: bool = False, carried: Iterable[Carried] | None = None) -> Attempt:
        """A page send; ``carried``: its send record (which outbox entries held each id-less payload)."""
        seq, _ = self._tick()
        a = Attempt(seq, ctx, page, via, self.now, None if pending else self.now + duration,  # type: ignore[arg-type]
                    "pending" if pending else outcome, status, error,
                    tuple(e.id for e in envs) if ids else (), tuple(e.payload or {} for e in envs),
                    None if carried is None else tuple(carried))
        self.h.attempts.append(a)
        return a

    def send(self, *envs: Envelope, status: int = 200, via: str = "fetch", **kw: Any) -> JournalEntry:
        """A fetch the page made and the server answered: attempt + journal entry."""
        outcome = "ok" if 200 <= status <= 299 else "http_error"
        if via == "fetch":
            self.attempt(*envs, outcome=outcome, status=status)
        else:
            self.attempt(*envs, outcome="queued", status=None, via="beacon")
        return self.journal(*envs, status=status, via=via, **kw)

    def deliver(self, *envs: Envelope, ctx: str = "main", **kw: Any) -> None:
        """The happy path: sent, accepted, removed."""
        self.send(*envs, **kw)
        self.remove(*(e.id for e in envs), ctx=ctx)

    # -- the driver ---------------------------------------------------------------------
    def intent(self, ec: str, ea: str, el: str | None = None, ctx: str = "main", page: str = "main") -> Intent:
        self._n += 1
        return Intent(f"intent-{self._n}", ctx, page, ec, ea, el, self.now)

    def op(self, kind: str, ctx: str | None = "main", page: str | None = "main", intents: Iterable[Intent] = (),
           **detail: Any) -> Op:
        seq, wall = self._tick()
        o = Op(seq, kind, self.now, wall, ctx, page, dict(detail), tuple(intents))
        self.h.ops.append(o)
        return o

    # -- at rest ------------------------------------------------------------------------
    def rows(self, *envs: Envelope, times: int = 1) -> None:
        if self.h.at_rest is None:
            self.h.at_rest = []
        for e in envs:
            p = dict(e.payload or {})
            for _ in range(times):
                self.h.at_rest.append(StoredEvent(e.id, "site-1", p.get("sid"), p.get("sm"), p.get("ec"), p.get("ea"), p))

    def build(self, end_after: int = 0) -> History:
        self.h.t_page_end = self.now + end_after
        self.h.t_wall_end = self.wall + 1
        return self.h
