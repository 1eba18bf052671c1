"""The whole run as one JSON document (schema ``tankharness-report/1``).

Fates and timelines are written as tables (``columns`` + ``rows``): a 5,000-envelope run stays
readable and compact. ``scenario_verdict`` reads a scenario back into a ``ScenarioVerdict``.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.checker.verdict import EnvelopeFate, GuaranteeResult, ScenarioVerdict
from harness.report.model import RunReport, ScenarioEntry, describe_meta

SCHEMA = "tankharness-report/1"
FATE_COLUMNS = ("id", "kind", "context", "fate", "reason_code", "reason", "deliveries", "duplicates", "browser_copies",
                "at_rest", "ec", "ea", "el", "first_seen", "removed")
TIMELINE_COLUMNS = ("t_page", "t_wall", "what", "detail")


class ReportError(ValueError):
    """A report file that cannot be read, or a lookup in it that has no answer."""


def scenario_json(entry: ScenarioEntry, meta: dict[str, Any]) -> dict[str, Any]:
    """One scenario of the report: verdict, fates and timelines as tables, the rerun line."""
    v = entry.verdict
    out: dict[str, Any] = {"name": entry.name, "passed": entry.passed, "error": entry.error,
                           "judges": list(entry.judges), "wall_s": round(entry.wall_s, 3), "sim_ms": entry.sim_ms,
                           "seed": entry.seed, "path": entry.path, "sha256": entry.sha256, "rerun": entry.rerun(meta),
                           "artifacts": entry.artifacts, "strict": entry.strict, "expect_pending": entry.expect_pending,
                           "strict_failures": entry.strict_failures()}
    if v is None:
        return out
    out.update({
        "t0": v.t0, "t_page_end": v.t_page_end, "counts": dict(v.counts),
        "guarantees": {gid: g.to_json() for gid, g in v.guarantees.items()},
        "fates": {"columns": list(FATE_COLUMNS),
                  "rows": [[getattr(f, c) for c in FATE_COLUMNS] for f in v.fates]},
        "timelines": {f.id: {"columns": list(TIMELINE_COLUMNS),
                             "rows": [[t.t_page, t.t_wall, t.what, t.detail] for t in f.timeline]}
                      for f in v.fates},
        "unexpected": list(v.unexpected), "notes": list(v.notes),
    })
    return out


def run_to_json(report: RunReport) -> dict[str, Any]:
    """The JSON document of a run."""
    return {
        "schema": SCHEMA,
        "meta": report.meta,
        "summary": describe_meta(report.meta),
        "passed": report.passed,  # the run's outcome, as the exit code says it
        "scenarios_passed": report.scenarios_passed,  # the verdicts alone
        "run_failures": report.run_failures(),  # why the run fails beyond its scenarios (declared deviations)
        "durations": {"wall_s": round(sum(s.wall_s for s in report.scenarios), 3),
                      "sim_ms": sum(s.sim_ms for s in report.scenarios)},
        "scenarios": [scenario_json(s, report.meta) for s in report.scenarios],
    }


def write_json(report: RunReport, path: Path | str) -> Path:
    """Write the JSON report (values JSON cannot hold are written as text)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(run_to_json(report), indent=1, ensure_ascii=False, default=str), encoding="utf-8")
    return path


def read_json(path: Path | str) -> dict[str, Any]:
    """A saved report, checked enough that lookups in it cannot crash on its shape."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReportError(f"{path}: no such report file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportError(f"{path}: cannot read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ReportError(f"{path}: not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise ReportError(f"{path}: not a tankharness JSON report (expected schema {SCHEMA!r})")
    if not isinstance(data.get("scenarios"), list):
        raise ReportError(f"{path}: report has no scenario list")
    return data


def _table(obj: Any, what: str) -> list[dict[str, Any]]:
    if not isinstance(obj, dict) or not isinstance(obj.get("columns"), list) or not isinstance(obj.get("rows"), list):
        raise ReportError(f"malformed {what} table in report")
    cols = obj["columns"]
    return [dict(zip(cols, row)) for row in obj["rows"]]


def scenario_verdict(obj: dict[str, Any]) -> ScenarioVerdict:
    """Rebuild a scenario's verdict (fates with timelines) from its JSON form."""
    try:
        fates = []
        timelines = obj.get("timelines") or {}
        for row in _table(obj.get("fates", {"columns": [], "rows": []}), "fates"):
            fid = str(row["id"])
            row["timeline"] = _table(timelines[fid], f"timeline of {fid}") if fid in timelines else []
            fates.append(EnvelopeFate.from_json(row))
        return ScenarioVerdict(
            scenario=str(obj["name"]), fates=fates, counts=dict(obj.get("counts") or {}),
            unexpected=list(obj.get("unexpected") or ()),
            guarantees={k: GuaranteeResult.from_json(g) for k, g in (obj.get("guarantees") or {}).items()},
            notes=list(obj.get("notes") or ()), t0=obj.get("t0"), t_page_end=obj.get("t_page_end"))
    except ReportError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise ReportError(f"scenario {obj.get('name', '?')!r} in report is malformed: {type(exc).__name__}: {exc}") from None
