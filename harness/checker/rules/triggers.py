"""``last_gasp``, ``trigger_load``, ``trigger_online``: the outbox is acted on at the right moments.

Each op that should make the build act (unload → beacon; load / ``online`` → fetch) is judged
only when something was pending in its context just before it (folded from writes with
``t_wall`` ≤ the op's, which the driver records *before* acting) and the context was online.
"""
from __future__ import annotations

import bisect
from collections import defaultdict

from harness.checker.facts import Facts
from harness.checker.fmt import rel, short
from harness.checker.rules.base import Outcome
from harness.contract.history import Attempt, Op
from harness.contract.vocabulary import ANSWERED, OpKind

UNLOAD_KINDS: tuple[OpKind, ...] = ("close", "navigate", "reload")
LOAD_KINDS: tuple[OpKind, ...] = ("open", "navigate", "reload", "restart")


def _online(f: Facts, op: Op, ctx: str) -> bool:
    value = op.detail.get("online")
    return f.life.online_at(ctx, op.t_page) if value is None else bool(value)


def _pending(f: Facts, op: Op) -> dict[str, frozenset[str]]:
    return {c: ids for c, ids in f.fold.pending_at_op.get(op.seq, {}).items() if ids}


def _describe(op: Op, ctx: str, f: Facts) -> str:
    where = f"{ctx}/{op.page}" if op.page else ctx
    return f"{op.kind} of {where} at {rel(op.t_page, f.t0)}"


def last_gasp(f: Facts) -> Outcome:
    """Evidence: unloads (online) with something pending; a beacon must carry at least one of it."""
    out = Outcome()
    ops = sorted((o for o in f.history.ops if o.kind in UNLOAD_KINDS and o.context is not None), key=lambda o: o.seq)
    bound: dict[int, float] = {}
    last_by_ctx: dict[str, Op] = {}
    for o in sorted(ops, key=lambda o: (o.t_wall, o.seq)):
        prev = last_by_ctx.get(o.context)  # type: ignore[arg-type]
        if prev is not None:
            bound[prev.seq] = o.t_wall
        last_by_ctx[o.context] = o  # type: ignore[index]
    for op in ops:
        ctx = op.context
        assert ctx is not None
        pending = _pending(f, op).get(ctx)
        if not pending or not _online(f, op, ctx):
            continue
        out.evidence += 1
        until = bound.get(op.seq, float("inf"))
        beaconed = any(h.entry.via == "beacon" and op.t_wall <= h.entry.t_wall < until
                       for i in pending for h in f.hits(i))
        if beaconed:
            continue
        called = any(a.via == "beacon" and a.context == ctx and a.t_page_start >= op.t_page
                     for i in pending for a in f.attempts(i))
        hint = "sendBeacon was called but nothing arrived" if called else "no beacon carried them"
        example = short(min(pending, key=lambda i: f.tracks[i].order))
        out.violations.append(f"{_describe(op, ctx, f)}: {len(pending)} pending (e.g. {example}), {hint}")
    return out


class _FetchIndex:
    """Fetch attempts per context by start time, with the envelopes each carried."""

    def __init__(self, f: Facts) -> None:
        carried: dict[int, set[str]] = defaultdict(set)
        for sid, atts in f.m.attempts.items():
            for a in atts:
                carried[a.seq].add(sid)
        self.carried = carried
        self.by_ctx: dict[str, list[Attempt]] = defaultdict(list)
        for a in f.history.attempts:
            if a.via in ANSWERED:
                self.by_ctx[a.context].append(a)
        self.starts: dict[str, list[int]] = {}
        for c, lst in self.by_ctx.items():
            lst.sort(key=lambda a: (a.t_page_start, a.seq))
            self.starts[c] = [a.t_page_start for a in lst]

    def sent(self, ctx: str, op: Op, within: float, ids: frozenset[str]) -> bool:
        lst = self.by_ctx.get(ctx, [])
        i = bisect.bisect_left(self.starts.get(ctx, []), op.t_page)
        while i < len(lst) and lst[i].t_page_start <= op.t_page + within:
            a = lst[i]
            if (a.t_page_start > op.t_page or a.seq > op.seq) and self.carried.get(a.seq, set()) & ids:
                return True
            i += 1
        return False


def _sent_by_journal(f: Facts, op: Op, within: float, ids: frozenset[str]) -> bool:
    """Fallback without instrumentation: a non-beacon request after the op, in page time ≤ op + within."""
    for i in ids:
        for h in f.hits(i):
            if h.entry.via != "beacon" and h.entry.t_wall >= op.t_wall and h.copy_of is None:
                p = f.wall_to_page(h.entry.t_wall, h.entry.context)
                if p is None or p <= op.t_page + within:
                    return True
    return False


def _left_queued(f: Facts, op: Op, within: float, ids: frozenset[str]) -> frozenset[str]:
    """Those of ``ids`` not removed from the outbox between the op and the end of the window."""
    def gone(i: str) -> bool:
        return any(m.t_wall >= op.t_wall and m.t_page <= op.t_page + within for m in f.tracks[i].removes)
    return frozenset(i for i in ids if not gone(i))


def _triggers(f: Facts, kinds: tuple[str, ...], label: str) -> Outcome:
    out = Outcome()
    within = f.policy.trigger_within_ms
    index = _FetchIndex(f) if f.history.attempts else None
    skipped = 0
    for op in sorted((o for o in f.history.ops if o.kind in kinds), key=lambda o: o.seq):
        if op.kind == "restart" and op.detail.get("phase") == "stop":
            continue
        for ctx, pending in sorted(_pending(f, op).items()):
            if not _online(f, op, ctx):
                continue
            if op.kind in ("online", "restart") and not f.life.alive_at(ctx, op.t_page):
                skipped += 1
                continue
            if op.t_page + within > f.history.t_page_end:
                skipped += 1
                continue
            ok = index.sent(ctx, op, within, pending) if index is not None else _sent_by_journal(f, op, within, pending)
            if not ok:
                pending = _left_queued(f, op, within, pending)
                if not pending:  # removed unsent (e.g. while unloading): another guarantee's business
                    skipped += 1
                    continue
            out.evidence += 1
            if not ok:
                example = short(min(pending, key=lambda i: f.tracks[i].order))
                out.violations.append(f"{_describe(op, ctx, f)}: {len(pending)} pending (e.g. {example}), "
                                      f"no fetch carried any of them within {within / 1000:g}s ({label})")
    notes = []
    if index is None:
        notes.append("no attempts recorded: judged from the journal (wall time after the op, approximate page time)")
    if skipped:
        notes.append(f"{skipped} op(s) skipped: no live page, the run ended within {within / 1000:g}s, "
                     "or what was pending left the outbox unsent")
    out.note = "; ".join(notes) or None
    return out


def trigger_load(f: Facts) -> Outcome:
    """Evidence: page loads (online) with something pending; a fetch must carry some of it within 2 s."""
    return _triggers(f, LOAD_KINDS, "load trigger")


def trigger_online(f: Facts) -> Outcome:
    """Evidence: ``online`` events with something pending and a live page; same 2 s rule."""
    return _triggers(f, ("online",), "online trigger")
