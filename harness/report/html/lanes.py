"""A scenario's history as swimlanes: what the HTML timeline draws, in page time.

Lanes: one per tab (steps, sends as bars from start to outcome, page errors), one per context
for its outbox (writes), then the proxy, the Sync stub and the database. Faults are spans:
a toxic from ``add`` to ``remove``, a disabled proxy until it is enabled again, a context
offline until online, a stub fault until the next one or the heal, a stopped database until it
starts; whatever is still open ends at heal or at the end of the run. Journal entries carry only
wall time; their page time is the latest page time recorded by then (a lower bound, marked).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.checker.lifecycle import WallToPage
from harness.contract.history import History, Op

MAX_LABEL = 160


@dataclass
class Lanes:
    """Lanes and the items on them, as plain lists ready for JSON (indexes into ``lanes``)."""

    lanes: list[dict[str, str]] = field(default_factory=list)
    marks: list[list[Any]] = field(default_factory=list)  # [lane, t, kind, label, ids]
    bars: list[list[Any]] = field(default_factory=list)  # [lane, t0, t1 | None, outcome, label, ids]
    spans: list[list[Any]] = field(default_factory=list)  # [lane, t0, t1, label]
    _index: dict[str, int] = field(default_factory=dict)

    def lane(self, key: str, label: str, kind: str) -> int:
        if key not in self._index:
            self._index[key] = len(self.lanes)
            self.lanes.append({"label": label, "kind": kind})
        return self._index[key]

    def to_json(self) -> dict[str, Any]:
        return {"lanes": self.lanes, "marks": self.marks, "bars": self.bars, "spans": self.spans}


def _clip(text: str) -> str:
    return text if len(text) <= MAX_LABEL else text[:MAX_LABEL] + "…"


def _op_label(op: Op) -> str:
    detail = {k: v for k, v in op.detail.items() if k != "online" and v not in (None, "", [], {})}
    return _clip(op.kind + (" " + " ".join(f"{k}={v}" for k, v in detail.items()) if detail else ""))


def _tab_lane(lanes: Lanes, context: str, tab: str) -> int:
    return lanes.lane(f"tab:{context}:{tab}", f"{context} · {tab}", "tab")


def build_lanes(history: History) -> Lanes:
    """Every fact of the history placed on its lane."""
    lanes = Lanes()
    contexts: list[str] = []
    for o in history.ops:  # lanes in order of first appearance, tabs before the shared lanes
        if o.context and o.context not in contexts:
            contexts.append(o.context)
        if o.context and o.page:
            _tab_lane(lanes, o.context, o.page)
    for a in history.attempts:
        _tab_lane(lanes, a.context, a.page)
    for c in contexts + sorted({w.context for w in history.writes} - set(contexts)):
        lanes.lane(f"outbox:{c}", f"{c} · outbox", "outbox")
    proxy = lanes.lane("proxy", "proxy", "proxy")
    stub = lanes.lane("stub", "Sync stub", "stub")
    database = lanes.lane("db", f"rows at rest ({history.at_rest_source})", "db")
    end = history.t_page_end
    _ops(lanes, history, proxy, stub, database, end)
    for w in history.writes:
        ids = [e.id for e in w.added] + [e.id for e in w.changed] + list(w.removed)
        parts = [f"+{len(w.added)}" if w.added else "", f"~{len(w.changed)}" if w.changed else "",
                 f"−{len(w.removed)}" if w.removed else ""]
        label = f"{w.kind} {w.key}: {' '.join(p for p in parts if p)} → {w.length if w.length is not None else '?'}"
        if w.parse_error:
            label += f" (unparseable: {w.parse_error})"
        lanes.marks.append([lanes.lane(f"outbox:{w.context}", f"{w.context} · outbox", "outbox"), w.t_page,
                            "write" if not w.removed or w.added else "remove", _clip(label), ids])
    for a in history.attempts:
        label = f"{a.via} #{a.seq}: {a.outcome}" + (f" {a.status}" if a.status is not None else "")
        if a.error:
            label += f" ({a.error})"
        lanes.bars.append([_tab_lane(lanes, a.context, a.page), a.t_page_start, a.t_page_end, a.outcome,
                           _clip(label), list(a.ids)])
    wall_to_page = WallToPage(history)
    for e in history.journal:
        t = wall_to_page(e.t_wall, e.context)
        ids = [ev.eid for ev in e.events if ev.eid]
        label = (f"request #{e.seq} {e.method} {e.path} via {e.via}: {e.status if e.status is not None else e.outcome}"
                 f"{' processed' if e.processed else ''}, {len(e.events)} event(s)" + (f", fault {e.fault}" if e.fault else ""))
        kind = "arrival" if e.processed else "refused"
        lanes.marks.append([stub, t if t is not None else (history.ops[0].t_page if history.ops else end), kind,
                            _clip(label), ids])
    for m in history.page_messages:
        lanes.marks.append([_tab_lane(lanes, m.context, m.page), m.t_page,
                            "error" if m.kind in ("pageerror", "crash") or m.level == "error" else "console",
                            _clip(f"{m.kind} {m.level}: {m.text}"), []])
    if history.at_rest is not None:
        ids = [r.eid for r in history.at_rest if r.eid]
        lanes.marks.append([database, end, "rows", f"{len(history.at_rest)} row(s) at rest", ids])
    return lanes


def _ops(lanes: Lanes, history: History, proxy: int, stub: int, database: int, end: int) -> None:
    """Steps as marks on their lanes; faults as spans."""
    open_spans: dict[tuple[int, str], tuple[int, str]] = {}

    def start(lane: int, key: str, t: int, label: str) -> None:
        stop(lane, key, t)
        open_spans[(lane, key)] = (t, label)

    def stop(lane: int, key: str, t: int) -> None:
        began = open_spans.pop((lane, key), None)
        if began is not None:
            lanes.spans.append([lane, began[0], t, began[1]])

    for o in history.ops:
        d = o.detail
        if o.context and o.page:
            lane = _tab_lane(lanes, o.context, o.page)
        elif o.kind in ("toxic", "proxy"):
            lane = proxy
        elif o.kind == "fault":
            lane = stub
        elif o.kind == "db":
            lane = database
        elif o.context:
            lane = lanes.lane(f"outbox:{o.context}", f"{o.context} · outbox", "outbox")
        else:
            lane = -1  # advance, heal, hook: drawn across every lane
        lanes.marks.append([lane, o.t_page, "step", _op_label(o), []])
        if o.kind == "toxic" and d.get("op") == "add":
            start(proxy, f"toxic:{d.get('name') or d.get('type')}", o.t_page, f"toxic {d.get('type')} {d.get('attributes') or ''}")
        elif o.kind == "toxic" and d.get("op") == "remove":
            stop(proxy, f"toxic:{d.get('name') or d.get('type')}", o.t_page)
        elif o.kind == "proxy" and d.get("enabled"):
            stop(proxy, "disabled", o.t_page)
        elif o.kind == "proxy":
            start(proxy, "disabled", o.t_page, "proxy disabled")
        elif o.kind == "fault":
            start(stub, "fault", o.t_page, _clip(f"stub fault {d.get('stub')}"))
        elif o.kind == "db" and d.get("action") == "stop":
            start(database, "down", o.t_page, "database stopped")
        elif o.kind == "db" and d.get("action") == "start":
            stop(database, "down", o.t_page)
        elif o.kind in ("offline", "online") and o.context:
            for key in [k for k in lanes._index if k.startswith(f"tab:{o.context}:")]:
                if o.kind == "offline":
                    start(lanes._index[key], "offline", o.t_page, "offline")
                else:
                    stop(lanes._index[key], "offline", o.t_page)
        elif o.kind == "heal":
            for lane_key in list(open_spans):
                if lane_key[1] != "offline":
                    stop(*lane_key, o.t_page)
    for lane_key in list(open_spans):
        stop(*lane_key, end)
