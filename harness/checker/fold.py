"""Fold the outbox history (deltas, in ``seq`` order) into what every envelope went through.

One pass over the writes gives, per envelope: when it was first added, every state it had, its
removals and re-additions, its dead-letter records, and whether it is still queued at the end.
The same pass answers "what was pending in this context just before op X" for the ops that ask
(last gasp, load and online triggers), so nothing is re-folded per question.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from harness.checker.payload import labels
from harness.contract.history import Envelope, History, Op


@dataclass(frozen=True, slots=True)
class Mark:
    """Where in the outbox history something happened."""

    seq: int
    t_page: int
    t_wall: float
    context: str
    kind: str  # write | seed | snapshot
    url: str | None = None
    writer: str | None = None  # the page load that wrote (two tabs on one URL differ here)


@dataclass(frozen=True, slots=True)
class StateRec:
    """One state an envelope had in an outbox, and whether this write (re-)added it."""

    mark: Mark
    env: Envelope
    added: bool


@dataclass(frozen=True, slots=True)
class DeadRec:
    """The build recorded the envelope in its dead-letter list."""

    mark: Mark
    reason: str | None
    has_payload: bool
    env: Envelope


@dataclass(slots=True)
class Track:
    """Everything the outbox history says about one envelope id."""

    id: str
    order: int
    context: str
    states: list[StateRec] = field(default_factory=list)
    removes: list[Mark] = field(default_factory=list)
    dead: list[DeadRec] = field(default_factory=list)
    pending_end: bool = False
    _labels: tuple[str | None, str | None, str | None] | None = None

    def labels(self) -> tuple[str | None, str | None, str | None]:
        """(ec, ea, el) of its latest payload (cached: call only once the fold is complete)."""
        if self._labels is None:
            self._labels = labels(self.payload)
        return self._labels

    @property
    def first(self) -> Mark | None:
        """First time it was in an outbox."""
        return self.states[0].mark if self.states else None

    @property
    def seeded(self) -> bool:
        """The scenario wrote it into the outbox (its ``ts`` and ``attempts`` are the harness's own)."""
        return bool(self.states) and self.states[0].mark.kind == "seed"

    @property
    def first_seen(self) -> Mark:
        """First time it was anywhere (outbox, else dead-letter list)."""
        return self.states[0].mark if self.states else self.dead[0].mark

    @property
    def final_removal(self) -> Mark | None:
        """The removal that ended its life in the outbox (``None`` while still queued)."""
        if self.pending_end or not self.removes or not self.states:
            return None
        return self.removes[-1]

    @property
    def last_env(self) -> Envelope:
        return self.states[-1].env if self.states else self.dead[-1].env

    @property
    def payload(self) -> dict | None:
        for rec in reversed(self.states):
            if rec.env.payload is not None:
                return rec.env.payload
        for d in reversed(self.dead):
            if d.env.payload is not None:
                return d.env.payload
        return None

    @property
    def ts(self) -> int | None:
        for rec in reversed(self.states):
            if rec.env.ts is not None:
                return rec.env.ts
        return None

    @property
    def max_attempts(self) -> int:
        """Highest ``attempts`` the outbox ever showed (the dead-letter copy is not proof)."""
        return max((rec.env.attempts or 0 for rec in self.states), default=0)

    def dead_reason(self, reason: str) -> DeadRec | None:
        return next((d for d in self.dead if d.reason == reason), None)


@dataclass
class Fold:
    """The folded outbox history of a run."""

    tracks: dict[str, Track]
    final: dict[str, dict[str, Envelope]]  # context -> id -> envelope still queued at the end
    pending_at_op: dict[int, dict[str, frozenset[str]]]  # op seq -> context -> ids queued just before
    heartbeats_after: dict[int, int]  # outbox write seq (writes that removed something) -> heartbeats left
    removed_by: dict[int, tuple[str, ...]]  # outbox write seq -> ids it removed
    notes: list[str]


def _is(env: Envelope, pair: tuple[str, str]) -> bool:
    p = env.payload
    return p is not None and p.get("ea") == pair[1] and p.get("ec") == pair[0]


def fold(history: History, snapshot_ops: Iterable[Op], heartbeat: tuple[str, str]) -> Fold:
    """Fold every write to the outbox and dead-letter keys; snapshot pending sets for the given ops."""
    tracks: dict[str, Track] = {}
    outbox: dict[str, dict[str, Envelope]] = {}
    dead: dict[str, dict[str, Envelope]] = {}
    hb_count: dict[str, int] = {}
    heartbeats_after: dict[int, int] = {}
    removed_by: dict[int, tuple[str, ...]] = {}
    notes: list[str] = []
    other_keys: dict[str, int] = {}
    ops = sorted(snapshot_ops, key=lambda o: (o.t_wall, o.seq))
    pending_at_op: dict[int, dict[str, frozenset[str]]] = {}
    op_i = 0

    def snapshot(op: Op) -> None:
        ctxs = [op.context] if op.context is not None else list(outbox)
        pending_at_op[op.seq] = {c: frozenset(outbox.get(c, {})) for c in ctxs}

    def track(env_id: str, context: str) -> Track:
        t = tracks.get(env_id)
        if t is None:
            t = tracks[env_id] = Track(env_id, len(tracks), context)
        return t

    for w in sorted(history.writes, key=lambda w: w.seq):
        while op_i < len(ops) and ops[op_i].t_wall < w.t_wall:
            snapshot(ops[op_i])
            op_i += 1
        mark = Mark(w.seq, w.t_page, w.t_wall, w.context, w.kind, w.url, w.writer)
        if w.parse_error:
            notes.append(f"write #{w.seq} ({w.kind}) in {w.context} to {w.key}: {w.parse_error}"
                         + (f" — {w.raw_sample[:80]!r}" if w.raw_sample else ""))
        if w.key == history.outbox_key:
            state = outbox.setdefault(w.context, {})
            hb = hb_count.get(w.context, 0)
            gone = []
            for env_id in w.removed:
                env = state.pop(env_id, None)
                if env is None:
                    continue
                gone.append(env_id)
                hb -= _is(env, heartbeat)
                track(env_id, w.context).removes.append(mark)
            for env in (*w.added, *w.changed):
                before = state.get(env.id)
                state[env.id] = env
                hb += _is(env, heartbeat) - (before is not None and _is(before, heartbeat))
                track(env.id, w.context).states.append(StateRec(mark, env, before is None))
            hb_count[w.context] = hb
            if gone:
                removed_by[w.seq] = tuple(gone)
                heartbeats_after[w.seq] = hb
        elif history.deadletter_key is not None and w.key == history.deadletter_key:
            state = dead.setdefault(w.context, {})
            for env_id in w.removed:
                state.pop(env_id, None)
            for env in (*w.added, *w.changed):
                before = state.get(env.id)
                state[env.id] = env
                reason = env.extra.get("reason")
                reason = None if reason is None else str(reason)
                t = track(env.id, w.context)
                if before is None or before.extra.get("reason") != env.extra.get("reason"):
                    t.dead.append(DeadRec(mark, reason, env.payload is not None, env))
        else:
            other_keys[w.key] = other_keys.get(w.key, 0) + 1
    for op in ops[op_i:]:
        snapshot(op)
    for key, n in sorted(other_keys.items()):
        notes.append(f"{n} write(s) to key {key!r} ignored (neither the outbox nor the dead-letter key)")
    for ctx, state in outbox.items():
        for env_id in state:
            tracks[env_id].pending_end = True
    return Fold(tracks, outbox, pending_at_op, heartbeats_after, removed_by, notes)
