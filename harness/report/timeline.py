"""``tankharness timeline REPORT ENVELOPE_ID``: one envelope's story, read from a saved JSON report."""
from __future__ import annotations

from pathlib import Path

from rich.console import Console

from harness.checker.verdict import EnvelopeFate
from harness.report.json_report import ReportError, read_json, scenario_verdict
from harness.report.lookup import find
from harness.report.table import print_timeline


def load_timelines(report: Path | str | dict, envelope_id: str) -> list[tuple[str, EnvelopeFate, int | None]]:
    """(scenario, fate with timeline, t0) for every scenario holding the envelope (id or unique prefix)."""
    data = report if isinstance(report, dict) else read_json(report)
    verdicts = []
    for obj in data.get("scenarios") or ():
        if isinstance(obj, dict) and "fates" in obj:
            verdicts.append((str(obj.get("name")), scenario_verdict(obj)))
    return [(name, fate, v.t0) for name, v, fate in find(verdicts, envelope_id)]


def print_timeline_from_report(report: Path | str, envelope_id: str, console: Console | None = None) -> None:
    """Print the timeline(s); raises ``ReportError`` (a ``ValueError``) with a clear message."""
    console = console or Console()
    for name, fate, t0 in load_timelines(report, envelope_id):
        print_timeline(console, name, fate, t0)


__all__ = ["ReportError", "load_timelines", "print_timeline_from_report"]
