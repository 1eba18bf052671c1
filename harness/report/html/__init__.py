"""The self-contained HTML report: one file, no network, data embedded as JSON, drawn by a small
inline script (matrix, per-scenario swimlanes in page time, fates, the envelope panel).

Swimlanes are drawn only when a scenario is opened (failing ones are open), so a report of the
whole matrix with thousands of envelopes opens fast.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.checker.guarantees import GUARANTEES
from harness.report.html.lanes import build_lanes
from harness.report.json_report import scenario_json
from harness.report.model import RunReport, ScenarioEntry, describe_meta
from harness.report.symbols import guarantee_ids

HERE = Path(__file__).resolve().parent
MAX_VIOLATIONS = 50  # per guarantee; the JSON report has them all
MAX_MESSAGES = 400  # page console lines per scenario


def _scenario(entry: ScenarioEntry, meta: dict[str, Any]) -> dict[str, Any]:
    out = scenario_json(entry, meta)
    for gid, g in (out.get("guarantees") or {}).items():
        g["title"] = GUARANTEES.get(gid, gid)
        if len(g["violations"]) > MAX_VIOLATIONS:
            g["more"] = len(g["violations"]) - MAX_VIOLATIONS
            g["violations"] = g["violations"][:MAX_VIOLATIONS]
    out.setdefault("fates", {"columns": ["id"], "rows": []})
    h = entry.history
    out["lanes"] = build_lanes(h).to_json() if h is not None else None
    if out.get("t0") is None:
        out["t0"] = min((o.t_page for o in h.ops), default=h.t_page_end) if h is not None else 0
    if out.get("t_page_end") is None and h is not None:
        out["t_page_end"] = h.t_page_end
    out["t_end"] = out.get("t_page_end") or out["t0"]
    out["messages"] = [[m.t_page, f"{m.context} · {m.page}", m.kind, m.level, m.text]
                       for m in (h.page_messages[:MAX_MESSAGES] if h is not None else [])]
    return out


def html_document(report: RunReport) -> str:
    """The report as one HTML document."""
    meta = describe_meta(report.meta)
    build = report.meta.get("build") if isinstance(report.meta.get("build"), dict) else {}
    profile = report.meta.get("profile") if isinstance(report.meta.get("profile"), dict) else {}
    run = report.meta.get("run") if isinstance(report.meta.get("run"), dict) else {}
    ids = guarantee_ids([g for s in report.scenarios if s.verdict for g in s.verdict.guarantees])
    data = {
        "meta": {**meta, "build_sha256": build.get("sha256")},
        # The profile's declared differences from the contract, and whether they fail the run (--deviations).
        "deviations": {"profile": profile.get("name"), "path": profile.get("path"),
                       "list": [str(d) for d in profile.get("deviations") or []], "mode": run.get("deviations"),
                       "fails": bool(report.failures())},
        # The headline: the run's outcome as the exit code, the terminal and the JSON give it.
        "outcome": {"passed": report.passed, "headline": report.headline()},
        "guarantees": [{"id": g, "title": GUARANTEES.get(g, g)} for g in ids],
        "scenarios": [_scenario(s, report.meta) for s in report.scenarios],
    }
    # "<" never occurs in JSON outside strings, where \u003c means the same: no "</script>" can end the block.
    payload = json.dumps(data, ensure_ascii=False, default=str, separators=(",", ":")).replace("<", "\\u003c")
    template = (HERE / "template.html").read_text(encoding="utf-8")
    script = (HERE / "report.js").read_text(encoding="utf-8")
    title = f"tankharness — {meta['build']}".replace("&", "&amp;").replace("<", "&lt;")
    return template.replace("__SCRIPT__", script).replace("__TITLE__", title).replace("__DATA__", payload)


def write_html(report: RunReport, path: Path | str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html_document(report), encoding="utf-8")
    return path
