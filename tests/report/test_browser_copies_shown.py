"""Copies the browser re-sent by itself are shown apart from the build's duplicates in every
report: a column of their own only when a scenario had any (the matrix stays as narrow as it was)."""
from __future__ import annotations

import io

from rich.console import Console

from harness.checker import judge
from harness.report.json_report import run_to_json
from harness.report.markdown import to_markdown
from harness.report.model import RunReport, ScenarioEntry
from harness.report.table import render_run, render_timeline
from tests.checker.builders import HB
from tests.report.conftest import META, passing


def copied():
    b = HB("held")
    e = b.env("dddd4444-held", ec="conversion", ea="phone_call")
    b.add(e)
    for _ in range(3):  # the page's send and two copies the browser re-sent
        b.journal(e, ctx="main", send="ld.1")
    b.journal(e, ctx="main", send="ld.2")  # the page's own retry
    b.remove(e.id)
    return judge(b.build(), ["no_loss"])


def report(*verdicts) -> RunReport:
    return RunReport(META, [ScenarioEntry(v.scenario, v, 1.0, 60_000, None, ["no_loss"]) for v in verdicts])


def render(r: RunReport) -> str:
    buf = io.StringIO()
    render_run(r, Console(file=buf, width=200, color_system=None))
    return buf.getvalue()


def test_terminal_and_markdown_show_browser_copies_only_where_seen():
    assert "bcopy" not in render(report(passing()))
    assert "browser copies" not in to_markdown(report(passing()))
    both = report(passing(), copied())
    out = render(both)
    assert "bcopy" in out
    md = to_markdown(both)
    assert "| duplicated | pending | browser copies |" in md and md.count("---: |") == 4
    assert "| 1 | 0 | 2 |" in md  # held: duplicated 1 (the page's retry), 2 browser copies


def test_json_and_timeline_name_the_count():
    data = run_to_json(report(copied()))
    [s] = data["scenarios"]
    assert s["counts"]["duplicated"] == 1 and s["counts"]["browser_copies"] == 2
    cols = s["fates"]["columns"]
    row = dict(zip(cols, s["fates"]["rows"][0]))
    assert (row["deliveries"], row["duplicates"], row["browser_copies"]) == (2, 1, 2)
    buf = io.StringIO()
    render_timeline(report(copied()), "dddd", Console(file=buf, width=200, color_system=None))
    out = buf.getvalue()
    assert "browser copies 2" in out and out.count("browser_copy_of=1") == 2
