"""Per-envelope timelines: everything that happened to one envelope, in page-time order.

Built from the indexes in ``Facts`` (no scan of the whole history per envelope). Journal entries
carry only wall time; their page time is the latest page time recorded by then (``approx``).
"""
from __future__ import annotations

from typing import Any

from harness.checker.facts import Facts, build_facts
from harness.checker.fold import Track
from harness.checker.policy import Policy
from harness.checker.subjects import DirectSubject, Hit, IntentSubject
from harness.checker.verdict import TimelineEntry
from harness.contract.history import Attempt, History

_SHOWN_EXTRA = frozenset({"beaconed", "status", "reason"})
_END = float("inf")


def _arrival(f: Facts, h: Hit, after: Attempt | None) -> tuple[tuple, TimelineEntry]:
    """A journal hit, placed right after the attempt that caused it when known."""
    e = h.entry
    at = f.wall_to_page.at(e.t_wall, e.context)
    t_page, seq = at if at else (f.t0, -1)
    if after is not None and (after.t_page_start, after.seq) > (t_page, seq):
        t_page, seq = after.t_page_start, after.seq
    detail: dict[str, Any] = {"request": e.seq, "status": e.status, "processed": e.processed, "via": e.via,
                              "outcome": e.outcome, "approx": True}
    if e.fault:
        detail["fault"] = e.fault
    if h.copy_of is not None:
        detail["browser_copy_of"] = h.copy_of  # the request of the page's send the browser re-sent
    if h.event.error:
        detail["error"] = h.event.error
    if len(e.events) > 1:
        detail["batch"] = len(e.events)
    return (t_page, seq + 0.5, 2), TimelineEntry(t_page, e.t_wall, "arrived", detail)


def _attempt(a: Attempt) -> tuple[tuple, TimelineEntry]:
    detail: dict[str, Any] = {"via": a.via, "outcome": a.outcome, "page": a.page}
    if a.status is not None:
        detail["status"] = a.status
    if a.error:
        detail["error"] = a.error
    if a.t_page_end is not None:
        detail["duration_ms"] = a.t_page_end - a.t_page_start
    if len(a.ids) > 1 or len(a.payloads) > 1:
        detail["batch"] = max(len(a.ids), len(a.payloads))
    return (a.t_page_start, a.seq, 1), TimelineEntry(a.t_page_start, None, "attempt", detail)


def _states(t: Track) -> list[tuple[tuple, TimelineEntry]]:
    out: list[tuple[tuple, TimelineEntry]] = []
    prev = None
    for rec in t.states:
        m, env = rec.mark, rec.env
        key = (m.t_page, m.seq, 0)
        if rec.added:
            detail: dict[str, Any] = {"context": m.context, "url": m.url, "source": m.kind,
                                      "attempts": env.attempts, "ts": env.ts}
            if env.extra:
                detail.update({k: v for k, v in env.extra.items() if k in _SHOWN_EXTRA})
            out.append((key, TimelineEntry(m.t_page, m.t_wall, "enqueued" if prev is None else "re-added", detail)))
        elif prev is not None:
            if env.attempts != prev.attempts:
                out.append((key, TimelineEntry(m.t_page, m.t_wall, "attempts", {"from": prev.attempts, "to": env.attempts})))
            if env.extra.get("beaconed") and not prev.extra.get("beaconed"):
                out.append((key, TimelineEntry(m.t_page, m.t_wall, "beaconed", {"value": env.extra.get("beaconed")})))
            changed = [k for k in ("ts", "payload") if getattr(env, k) != getattr(prev, k)]
            if env.extra != prev.extra:
                changed += sorted(k for k in set(env.extra) | set(prev.extra)
                                  if k != "beaconed" and env.extra.get(k) != prev.extra.get(k))
            if changed:
                out.append((key, TimelineEntry(m.t_page, m.t_wall, "changed", {"fields": changed})))
        prev = env
    for m in t.removes:
        out.append(((m.t_page, m.seq, 3), TimelineEntry(m.t_page, m.t_wall, "removed",
                                                        {"context": m.context, "url": m.url, "source": m.kind})))
    for d in t.dead:
        out.append(((d.mark.t_page, d.mark.seq, 3), TimelineEntry(
            d.mark.t_page, d.mark.t_wall, "dead-lettered", {"reason": d.reason, "payload_kept": d.has_payload})))
    return out


def _end(f: Facts, sid: str, pending: bool) -> list[tuple[tuple, TimelineEntry]]:
    out = []
    end = f.history.t_page_end
    if pending:
        out.append(((end, _END, 4), TimelineEntry(end, None, "pending at end", {})))
    if f.m.rows is not None:
        out.append(((end, _END, 5), TimelineEntry(end, None, "at rest", {"rows": f.m.rows.get(sid, 0),
                                                                          "source": f.history.at_rest_source})))
    return out


def _arrivals(f: Facts, hits: list[Hit], attempts: list[Attempt]) -> list[tuple[tuple, TimelineEntry]]:
    """Pair answered requests with answered attempts of the same transport, in order."""
    if not hits:
        return []
    fetches: list[Attempt] = []
    beacons: list[Attempt] = []
    for a in attempts:
        if a.via == "beacon":
            beacons.append(a)
        elif a.status is not None or a.outcome == "ok":
            fetches.append(a)
    nf = nb = 0
    out = []
    for h in hits:
        cause = None
        if h.copy_of is not None:
            pass  # the browser's copy answers no page send of its own
        elif h.entry.via == "beacon":
            if nb < len(beacons):
                cause, nb = beacons[nb], nb + 1
        elif h.entry.status is not None and nf < len(fetches):
            cause, nf = fetches[nf], nf + 1
        if cause is None:  # unanswered (hung, closed): after the latest send started by then
            est = f.wall_to_page.at(h.entry.t_wall, h.entry.context)
            limit = (est[0], est[1]) if est else (f.t0, -1)
            cause = max((a for a in attempts if (a.t_page_start, a.seq) <= (limit[0], float("inf"))),
                        key=lambda a: (a.t_page_start, a.seq), default=None)
        out.append(_arrival(f, h, cause))
    return out


def track_timeline(f: Facts, t: Track) -> list[TimelineEntry]:
    atts = f.attempts(t.id)
    items = _states(t) + [_attempt(a) for a in atts] + _arrivals(f, f.hits(t.id), atts)
    items += _end(f, t.id, t.pending_end)
    items.sort(key=lambda kv: kv[0])
    return [e for _, e in items]


def intent_timeline(f: Facts, s: IntentSubject) -> list[TimelineEntry]:
    it = s.intent
    items = [((it.t_page, s.op.seq, 0), TimelineEntry(it.t_page, s.op.t_wall, "intent", {
        "op": s.op.kind, "context": it.context, "page": it.page, "ec": it.ec, "ea": it.ea, "el": it.el}))]
    items += [_arrival(f, h, None) for h in s.hits] + _end(f, s.id, False)
    items.sort(key=lambda kv: kv[0])
    return [e for _, e in items]


def direct_timeline(f: Facts, s: DirectSubject) -> list[TimelineEntry]:
    items = _arrivals(f, s.hits, f.attempts(s.id)) + [_attempt(a) for a in f.attempts(s.id)] + _end(f, s.id, False)
    items.sort(key=lambda kv: kv[0])
    return [e for _, e in items]


def subject_timeline(f: Facts, sid: str) -> list[TimelineEntry]:
    """Timeline of any subject: envelope, envelope-less intent or direct send."""
    if sid in f.tracks:
        return track_timeline(f, f.tracks[sid])
    if sid in f.m.intents:
        return intent_timeline(f, f.m.intents[sid])
    if sid in f.m.direct:
        return direct_timeline(f, f.m.direct[sid])
    raise KeyError(f"no envelope or intent {sid!r} in the history of {f.history.scenario!r}")


def timeline(history: History, envelope_id: str, policy: Policy | None = None) -> list[TimelineEntry]:
    """The timeline of one envelope (or envelope-less intent) of a recorded history."""
    return subject_timeline(build_facts(history, policy or Policy()), envelope_id)
