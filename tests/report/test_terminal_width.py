"""At 80 and 100 columns, and piped into a file, no judged guarantee of any scenario is hidden."""
from __future__ import annotations

import io
import itertools
import re

import pytest
from rich.console import Console

from harness.checker.verdict import GuaranteeResult, ScenarioVerdict
from harness.report.model import RunReport, ScenarioEntry
from harness.report.table import render_run
from tests.harness.e2e import bundled_scenarios

STATUSES = itertools.cycle(["pass", "fail", "vacuous", "pass"])


def bundled_report() -> RunReport:
    """Every bundled scenario with every guarantee it judges, statuses rotating through pass/fail/vacuous."""
    entries = []
    for s in bundled_scenarios("postgres"):
        guarantees = {g: GuaranteeResult(g, next(STATUSES), 1) for g in s.judges}
        verdict = ScenarioVerdict(s.name, guarantees=guarantees, counts={"delivered": 3, "lost": 1})
        entries.append(ScenarioEntry(s.name, verdict, 1.5, 60_000, None, list(s.judges)))
    return RunReport({"build": {"name": "reference"}, "seed": 1}, entries)


def blocks(out: str, names: list[str]) -> dict[str, str]:
    """The output text of each scenario: from its name line to the next scenario's."""
    lines = out.splitlines()
    starts = [i for i, line in enumerate(lines) if re.match(r"(PASS|FAIL) (\S+)", line)]
    found = {}
    for a, b in zip(starts, starts[1:] + [len(lines)]):
        name = re.match(r"(PASS|FAIL) (\S+)", lines[a]).group(2)
        found[name] = "\n".join(lines[a:b])
    assert sorted(found) == sorted(names)
    return found


@pytest.mark.parametrize("width", [80, 100])
def test_every_judged_guarantee_of_every_bundled_scenario_is_visible(width: int) -> None:
    report = bundled_report()
    buf = io.StringIO()
    render_run(report, Console(file=buf, width=width, color_system=None))
    out = buf.getvalue()
    assert max(len(line) for line in out.splitlines()) <= width
    by_name = blocks(out, [s.name for s in report.scenarios])
    for s in report.scenarios:
        text = by_name[s.name].replace("\n", " ")
        for gid, g in s.verdict.guarantees.items():
            mark = {"pass": "✓", "fail": "✗", "vacuous": "~"}[g.status]
            assert re.search(rf"{mark}\s{gid}(\s|$)", text), (s.name, gid, by_name[s.name])


def test_piped_output_is_plain() -> None:
    buf = io.StringIO()  # not a TTY: what a CI log receives
    render_run(bundled_report(), Console(file=buf, width=80))
    assert "\x1b[" not in buf.getvalue()


def test_a_tty_gets_colours() -> None:
    buf = io.StringIO()
    render_run(bundled_report(), Console(file=buf, width=80, force_terminal=True, color_system="standard"))
    assert "\x1b[" in buf.getvalue()


def test_an_aborted_fetch_shows_its_abort_at_the_page_time_it_happened() -> None:
    from harness.checker.verdict import EnvelopeFate, TimelineEntry
    from harness.report.table import print_timeline

    t0 = 1_000_000
    fate = EnvelopeFate("e1", "main", "delivered", "delivered", 1, timeline=[
        TimelineEntry(t0, None, "enqueued", {}),
        TimelineEntry(t0, None, "attempt", {"via": "fetch", "outcome": "abort", "duration_ms": 5000}),
        TimelineEntry(t0 + 1200, None, "arrived", {"status": 200, "approx": True}),
        TimelineEntry(t0 + 7000, None, "attempt", {"via": "fetch", "outcome": "ok", "status": 200, "duration_ms": 20}),
    ])
    buf = io.StringIO()
    print_timeline(Console(file=buf, width=80, color_system=None), "s", fate, t0)
    rows = [line.strip("│ ").replace("│", " ").split() for line in buf.getvalue().splitlines()]
    rows = [r for r in rows if r and r[0].startswith(("+", "≈"))]
    assert [(r[0], r[1]) for r in rows] == [("+0.000s", "enqueued"), ("+0.000s", "attempt"), ("≈+1.200s", "arrived"),
                                           ("+5.000s", "→"), ("+7.000s", "attempt"), ("+7.020s", "→")]
    assert rows[3][2] == "abort" and "after_ms=5000" in rows[3]


def _rendered_width(table) -> int:  # noqa: ANN001
    probe = Console(file=io.StringIO(), width=100_000, color_system=None)
    lines = probe.render_lines(table, probe.options, pad=False)
    return max(sum(seg.cell_length for seg in line) for line in lines)


@pytest.mark.parametrize("width", [80, 100, 130, 200])
def test_each_table_is_measured_once(width: int, monkeypatch) -> None:
    from harness.report import table as t
    measured: list[int] = []
    fits = t.fits
    monkeypatch.setattr(t, "fits", lambda table, console: measured.append(id(table)) or fits(table, console))
    render_run(bundled_report(), Console(file=io.StringIO(), width=width, color_system=None))
    assert measured and len(measured) == len(set(measured)), "a table was measured twice"


def test_fits_says_what_rendering_says() -> None:
    from harness.report.table import _matrices, fits
    for table in [*_matrices(bundled_report(), split=False), *_matrices(bundled_report(), split=True)]:
        natural = _rendered_width(table)
        for width in (natural - 1, natural, natural + 1):
            assert fits(table, Console(file=io.StringIO(), width=width)) == (natural <= width)
