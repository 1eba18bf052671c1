"""Compare saved runs of two builds (JSON reports, one per repeat) scenario by scenario.

Pure functions over the ``tankharness-report/1`` documents, so ``gate`` (live) and ``compare``
(saved reports) decide alike. With N repeats a failure counts as *reproducible* when it shows in
at least ``k`` of them (default: all); fewer is *noise* and never fails the gate on its own.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from harness.checker.fmt import short, unique_among

Status = Literal["regressed", "fixed", "still failing", "holds"]
LOSS_FATES = ("lost", "duplicated")
SHOWN_COUNTS = ("browser_copies",)  # compared and shown, never a regression: the browser's re-sends, not the build's
QUIET_FATES = ("delivered",)


@dataclass
class GuaranteeDelta:
    """One guarantee of one scenario across both builds."""

    guarantee: str
    status: Status
    baseline_fails: int
    candidate_fails: int
    repeats: int
    evidence: list[str] = field(default_factory=list)  # candidate violations (or what was fixed)

    @property
    def noisy(self) -> bool:
        return 0 < self.candidate_fails < self.repeats or 0 < self.baseline_fails < self.repeats


@dataclass
class ScenarioDelta:
    """Everything that differs in one scenario; ``regressions`` lists why it fails the gate."""

    scenario: str
    guarantees: list[GuaranteeDelta] = field(default_factory=list)
    counts: dict[str, tuple[int, int]] = field(default_factory=dict)  # fate -> (baseline max, candidate min)
    new_fate_classes: list[str] = field(default_factory=list)
    differing_events: list[str] = field(default_factory=list)
    errors: dict[str, str | None] = field(default_factory=dict)  # "baseline"/"candidate" -> first error
    regressions: list[str] = field(default_factory=list)


@dataclass
class GateResult:
    scenarios: list[ScenarioDelta]
    repeats: int
    required: int
    baseline: dict[str, Any]
    candidate: dict[str, Any]

    @property
    def regressed(self) -> bool:
        return any(s.regressions for s in self.scenarios)

    def to_json(self) -> dict[str, Any]:
        return {"regressed": self.regressed, "repeats": self.repeats, "required": self.required,
                "baseline": self.baseline, "candidate": self.candidate,
                "scenarios": [_delta_json(s) for s in self.scenarios]}


def _delta_json(s: ScenarioDelta) -> dict[str, Any]:
    return {"scenario": s.scenario, "regressions": s.regressions, "errors": s.errors,
            "counts": {k: {"baseline": b, "candidate": c} for k, (b, c) in s.counts.items()},
            "new_fate_classes": s.new_fate_classes, "differing_events": s.differing_events,
            "guarantees": [g.__dict__ for g in s.guarantees]}


def _by_name(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["name"]: s for s in report.get("scenarios", [])}


def _fates(entry: dict[str, Any]) -> list[dict[str, Any]]:
    table = entry.get("fates") or {}
    cols = table.get("columns") or []
    return [dict(zip(cols, row)) for row in table.get("rows") or []]


def _fate_class(f: dict[str, Any]) -> str:
    return f"{f['fate']}:{f.get('reason_code') or '-'}"


def _guarantee_status(entry: dict[str, Any], gid: str) -> str:
    return ((entry.get("guarantees") or {}).get(gid) or {}).get("status", "not_judged")


def compare_runs(baseline: list[dict[str, Any]], candidate: list[dict[str, Any]], required: int | None = None) -> GateResult:
    """Baseline and candidate reports, one per repeat (same scenarios and seeds, in order)."""
    if not baseline or not candidate:
        raise ValueError("compare needs at least one report of each build")
    repeats = min(len(baseline), len(candidate))
    k = repeats if required is None else max(1, min(required, repeats))
    base_runs = [_by_name(r) for r in baseline[:repeats]]
    cand_runs = [_by_name(r) for r in candidate[:repeats]]
    names = [n for n in base_runs[0] if all(n in r for r in base_runs + cand_runs)]
    deltas = [_scenario_delta(n, [r[n] for r in base_runs], [r[n] for r in cand_runs], k) for n in names]
    return GateResult(deltas, repeats, k, _build_meta(baseline[0]), _build_meta(candidate[0]))


def _build_meta(report: dict[str, Any]) -> dict[str, Any]:
    meta = report.get("meta") or {}
    build = meta.get("build") or {}
    return {"name": build.get("name"), "sha256": build.get("sha256"), "browser": (meta.get("browser") or {}).get("version"),
            "proxy": meta.get("proxy"), "playwright": meta.get("playwright")}


def _scenario_delta(name: str, base: list[dict[str, Any]], cand: list[dict[str, Any]], k: int) -> ScenarioDelta:
    d = ScenarioDelta(name)
    n = len(base)
    base_err = [e.get("error") for e in base if e.get("error")]
    cand_err = [e.get("error") for e in cand if e.get("error")]
    d.errors = {"baseline": base_err[0] if base_err else None, "candidate": cand_err[0] if cand_err else None}
    if len(cand_err) >= k and not base_err:
        d.regressions.append(f"the candidate could not run it: {cand_err[0]}")
    judged = list(dict.fromkeys(g for e in base + cand for g in (e.get("judges") or (e.get("guarantees") or {}))))
    for gid in judged:
        bf = sum(_guarantee_status(e, gid) == "fail" for e in base)
        cf = sum(_guarantee_status(e, gid) == "fail" for e in cand)
        b_fails, c_fails = bf >= k, cf >= k
        if c_fails and bf == 0:
            status: Status = "regressed"
        elif c_fails or (b_fails and cf > 0):
            status = "still failing"
        elif b_fails and cf == 0:
            status = "fixed"
        else:
            status = "holds"
        evidence = []
        failing = next((e for e in cand if _guarantee_status(e, gid) == "fail"), None)
        if failing is not None:
            evidence = list(((failing.get("guarantees") or {}).get(gid) or {}).get("violations") or [])[:3]
        d.guarantees.append(GuaranteeDelta(gid, status, bf, cf, n, evidence))
        if status == "regressed":
            d.regressions.append(f"{gid} held in every baseline run and fails in {cf} of {n} candidate run(s)")
    for fate in LOSS_FATES + SHOWN_COUNTS:
        b_max = max(int((e.get("counts") or {}).get(fate, 0)) for e in base)
        c_sorted = sorted(int((e.get("counts") or {}).get(fate, 0)) for e in cand)
        c_rep = c_sorted[n - k]  # the value reached in at least k candidate runs
        d.counts[fate] = (b_max, c_rep)
        if c_rep > b_max and fate in LOSS_FATES:
            d.regressions.append(f"{fate}: {c_rep} event(s) in the candidate (in {k} of {n} runs) vs at most {b_max} in the baseline")
    base_classes = {_fate_class(f) for e in base for f in _fates(e) if f["fate"] not in QUIET_FATES}
    cand_counts: dict[str, int] = {}
    for e in cand:
        for c in {_fate_class(f) for f in _fates(e) if f["fate"] not in QUIET_FATES}:
            cand_counts[c] = cand_counts.get(c, 0) + 1
    d.new_fate_classes = sorted(c for c, m in cand_counts.items() if m >= k and c not in base_classes)
    if d.new_fate_classes:
        d.regressions.append(f"new fate class(es): {', '.join(d.new_fate_classes)}")
    d.differing_events = _differing_events(base[0], cand[0])
    return d


def _differing_events(base: dict[str, Any], cand: dict[str, Any], limit: int = 8) -> list[str]:
    """Envelopes whose fate differs (ids repeat under one seed, so the same event has the same id)."""
    b = {f["id"]: f for f in _fates(base)}
    out = []
    with unique_among([*b, *(f["id"] for f in _fates(cand))]):  # ids sharing a timestamp prefix stay apart
        for f in _fates(cand):
            old = b.get(f["id"])
            if old is None or old["fate"] == f["fate"]:
                continue
            out.append(f"{short(f['id'])} {f.get('ec')}/{f.get('ea')}: {old['fate']} → {f['fate']} "
                       f"({f.get('reason') or f.get('reason_code')})")
        extra = [f for f in _fates(cand) if f["id"] not in b and f["fate"] not in QUIET_FATES]
        out += [f"{short(f['id'])} {f.get('ec')}/{f.get('ea')}: only in the candidate, {f['fate']} "
                f"({f.get('reason') or f.get('reason_code')})" for f in extra]
    return out[:limit] + ([f"… {len(out) - limit} more"] if len(out) > limit else [])
