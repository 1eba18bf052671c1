"""What the checker hands to the reports: fates, guarantee results, timelines — plain data.

Everything has ``to_json``/``from_json`` so a saved JSON report can be read back (the
``timeline`` command works from a report file, not from a live run).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.contract.vocabulary import FATES, STATUSES, Fate, Status, SubjectKind

COUNT_KEYS: tuple[str, ...] = ("delivered", "duplicated", "browser_copies", "dropped_policy", "rejected", "pending",
                               "lost", "unexpected")
"""``duplicated``: the build's deliveries beyond the first; ``browser_copies``: processed copies of a
page send that the browser re-sent by itself (``checker.copies``) — counted apart, blamed on no build."""
BY_REAL_TIME: frozenset[str] = frozenset({"browser_copies"})
"""Counts of what the browser did by itself as real time went: two runs of one build may differ in
them and nowhere else, so comparisons of runs (workers against serial, a remote browser) leave them out."""


@dataclass(slots=True)
class TimelineEntry:
    """One thing that happened to an envelope. ``t_page`` is exact unless ``detail['approx']``."""

    t_page: int | None
    t_wall: float | None
    what: str
    detail: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"t_page": self.t_page, "t_wall": self.t_wall, "what": self.what, "detail": self.detail}

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> "TimelineEntry":
        return cls(obj.get("t_page"), obj.get("t_wall"), str(obj.get("what", "")), dict(obj.get("detail") or {}))


@dataclass
class EnvelopeFate:
    """The one fate of an envelope (or of an intent that never became one), with the why."""

    id: str
    context: str | None
    fate: Fate
    reason: str
    deliveries: int = 0
    duplicates: int = 0  # deliveries beyond the first, by the build's own sends
    at_rest: int | None = None
    ec: str | None = None
    ea: str | None = None
    el: str | None = None
    first_seen: int | None = None  # page time it was first in an outbox (or the intent's time)
    removed: int | None = None  # page time of its final removal from the outbox
    timeline: list[TimelineEntry] = field(default_factory=list)
    reason_code: str = ""  # the stable first word of ``reason`` (e.g. ``never_enqueued``)
    kind: SubjectKind = "envelope"
    browser_copies: int = 0  # processed copies of its sends the browser re-sent by itself (not deliveries)

    def __post_init__(self) -> None:
        if self.fate not in FATES:
            raise ValueError(f"unknown fate {self.fate!r} for {self.id}; expected one of {', '.join(FATES)}")

    def to_json(self, with_timeline: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id, "kind": self.kind, "context": self.context, "fate": self.fate, "reason": self.reason,
            "reason_code": self.reason_code, "deliveries": self.deliveries, "duplicates": self.duplicates,
            "browser_copies": self.browser_copies, "at_rest": self.at_rest, "ec": self.ec, "ea": self.ea, "el": self.el,
            "first_seen": self.first_seen, "removed": self.removed,
        }
        if with_timeline:
            out["timeline"] = [t.to_json() for t in self.timeline]
        return out

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> "EnvelopeFate":
        return cls(
            id=str(obj["id"]), context=obj.get("context"), fate=str(obj["fate"]), reason=str(obj.get("reason", "")),
            deliveries=int(obj.get("deliveries") or 0), duplicates=int(obj.get("duplicates") or 0),
            at_rest=obj.get("at_rest"), ec=obj.get("ec"), ea=obj.get("ea"), el=obj.get("el"),
            first_seen=obj.get("first_seen"), removed=obj.get("removed"),
            timeline=[TimelineEntry.from_json(t) for t in obj.get("timeline") or ()],
            reason_code=str(obj.get("reason_code", "")), kind=obj.get("kind", "envelope"),
            browser_copies=int(obj.get("browser_copies") or 0),
        )


@dataclass
class GuaranteeResult:
    """One guarantee in one scenario. ``evidence`` = cases examined; zero evidence = vacuous."""

    id: str
    status: Status
    evidence: int = 0
    violations: list[str] = field(default_factory=list)
    note: str | None = None  # why vacuous / not judged, or what was exempted

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r} for guarantee {self.id}")

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "status": self.status, "evidence": self.evidence,
                "violations": list(self.violations), "note": self.note}

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> "GuaranteeResult":
        return cls(str(obj["id"]), obj["status"], int(obj.get("evidence") or 0),
                   [str(v) for v in obj.get("violations") or ()], obj.get("note"))


@dataclass
class ScenarioVerdict:
    """Everything the checker concluded about one scenario run."""

    scenario: str
    fates: list[EnvelopeFate] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: {k: 0 for k in COUNT_KEYS})
    unexpected: list[dict[str, Any]] = field(default_factory=list)
    guarantees: dict[str, GuaranteeResult] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # data-quality remarks (unparseable writes, …)
    t0: int | None = None  # first page time of the run: reports show times relative to it
    t_page_end: int | None = None

    @property
    def passed(self) -> bool:
        """No judged guarantee failed (vacuous and not-judged ones do not fail a scenario)."""
        return not any(g.status == "fail" for g in self.guarantees.values())

    def fate_of(self, envelope_id: str) -> EnvelopeFate | None:
        return next((f for f in self.fates if f.id == envelope_id), None)

    def to_json(self, with_timelines: bool = True) -> dict[str, Any]:
        return {
            "scenario": self.scenario, "passed": self.passed, "t0": self.t0, "t_page_end": self.t_page_end,
            "counts": dict(self.counts),
            "guarantees": {k: g.to_json() for k, g in self.guarantees.items()},
            "fates": [f.to_json(with_timelines) for f in self.fates],
            "unexpected": list(self.unexpected), "notes": list(self.notes),
        }

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> "ScenarioVerdict":
        return cls(
            scenario=str(obj["scenario"]),
            fates=[EnvelopeFate.from_json(f) for f in obj.get("fates") or ()],
            counts={k: int(v) for k, v in (obj.get("counts") or {}).items()},
            unexpected=list(obj.get("unexpected") or ()),
            guarantees={k: GuaranteeResult.from_json(g) for k, g in (obj.get("guarantees") or {}).items()},
            notes=[str(n) for n in obj.get("notes") or ()], t0=obj.get("t0"), t_page_end=obj.get("t_page_end"),
        )
