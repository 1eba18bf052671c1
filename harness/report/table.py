"""The terminal report: a verdict matrix, the violations of failing scenarios, envelope timelines."""
from __future__ import annotations

import io
from typing import Any

from rich import box
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from harness.checker.fmt import rel
from harness.checker.guarantees import GUARANTEES
from harness.checker.verdict import COUNT_KEYS, EnvelopeFate, TimelineEntry
from harness.report.lookup import find
from harness.report.model import RunReport, ScenarioEntry, describe_meta
from harness.report.symbols import STATUS_MARK, STATUS_STYLE, guarantee_ids, short_name

MAX_VIOLATIONS = 20  # per guarantee on screen; the JSON report has them all
COUNT_HEADERS = {"delivered": "dlv", "duplicated": "dup", "browser_copies": "bcopy", "dropped_policy": "drop",
                 "rejected": "rej", "pending": "pend", "lost": "lost", "unexpected": "unexp"}
SHOWN_WHEN_SEEN = frozenset({"browser_copies"})  # a column only when some scenario has any (rare, and no fault)


def count_keys(report: RunReport) -> list[str]:
    """The fate-count columns of a report: every count, but the rare ones only where seen."""
    seen = {k for s in report.scenarios if s.verdict is not None for k, n in s.verdict.counts.items() if n}
    return [k for k in COUNT_KEYS if k not in SHOWN_WHEN_SEEN or k in seen]


def _header(report: RunReport, console: Console) -> None:
    m = describe_meta(report.meta)
    console.print(f"[bold]tracker[/bold] {m['build']}   [bold]browser[/bold] {m['browser']}")
    console.print(f"[bold]proxy[/bold] {m['proxy']}   [bold]store[/bold] {m['store']}   "
                  f"[bold]seed[/bold] {m['seed']}")
    console.print(f"[dim]started {m['started']}[/dim]")


def _ids(report: RunReport) -> list[str]:
    seen: list[str] = []
    for s in report.scenarios:
        if s.verdict is not None:
            seen += [g for g in s.verdict.guarantees if g not in seen]
    return guarantee_ids(seen)


def _table(title: str, names: list[str]) -> Table:
    table = Table(title=title, header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1))
    table.add_column("scenario", no_wrap=True, min_width=min(max(map(len, names), default=8), 40))
    table.add_column("", justify="center", no_wrap=True, min_width=4)
    return table


def _marks(ids: list[str], s: ScenarioEntry) -> list[Text]:
    v = s.verdict
    if v is None:
        return [Text("?")] * len(ids)
    out = []
    for gid in ids:
        g = v.guarantees.get(gid)
        status = g.status if g is not None else "not_judged"
        out.append(Text(STATUS_MARK[status], style=STATUS_STYLE[status]))
    return out


def _counts(s: ScenarioEntry, keys: list[str]) -> list[Text]:
    if s.verdict is None:
        return [Text("?")] * len(keys)
    out = []
    for key in keys:
        n = s.verdict.counts.get(key, 0)
        out.append(Text(str(n), style="bold red" if n and key in ("lost", "unexpected") else ("dim" if not n else "")))
    return out


def matrices(report: RunReport, console: Console | None = None) -> list[Table]:
    """Rows: scenarios. Columns: guarantees (✓ ✗ ~ ·), then fate counts — one table when the
    console is wide enough, else a guarantee table and a fate-count table."""
    if console is None:
        return _matrices(report, split=False)
    return layout(report, console)[0]


def layout(report: RunReport, console: Console) -> tuple[list[Table], bool]:
    """The matrix tables for ``console`` and whether they all fit it (else the report is a list).
    Each table is measured once: measuring lays out every cell of the matrix."""
    one = _matrices(report, split=False)
    if fits(one[0], console):
        return one, True
    two = _matrices(report, split=True)
    return two, all(fits(t, console) for t in two)


def fits(table: Table, console: Console) -> bool:
    """The table at its natural width fits the console (so no column is cropped)."""
    probe = Console(file=io.StringIO(), width=100_000, color_system=None)
    return Measurement.get(probe, probe.options, table).maximum <= console.width


ORDER = {"fail": 0, "vacuous": 1, "pass": 2}
INDENT = 5


def guarantee_lines(s: ScenarioEntry, width: int) -> list[Text]:
    """Every judged guarantee of a scenario by name, failing first, then vacuous, then passing,
    wrapped between guarantees (never inside one) so a narrow terminal hides nothing."""
    if s.verdict is None:
        return [Text("no verdict", style="red")]
    judged = [(gid, g.status) for gid, g in s.verdict.guarantees.items() if g.status in ORDER]
    if not judged:
        return [Text("nothing judged", style="dim")]
    lines = [Text()]
    for gid, status in sorted(judged, key=lambda item: ORDER[item[1]]):
        word = f"{STATUS_MARK[status]} {gid}"
        if lines[-1] and len(lines[-1]) + 2 + len(word) > width:
            lines.append(Text())
        if lines[-1]:
            lines[-1].append("  ")
        lines[-1].append(word, style=STATUS_STYLE[status])
    return lines


def counts_line(s: ScenarioEntry) -> Text:
    """The non-zero fate counts and the wall time of a scenario."""
    line = Text()
    if s.verdict is not None:
        for key in COUNT_KEYS:
            n = s.verdict.counts.get(key, 0)
            if n:
                line.append(f"{key} {n}  ", style="bold red" if key in ("lost", "unexpected") else "")
    line.append(f"{s.wall_s:.1f}s wall", style="dim")
    return line


def render_vertical(report: RunReport, console: Console) -> None:
    """The verdicts as a list, for terminals too narrow for the matrix: one block per scenario."""
    console.print(Text("Verdicts", style="bold"))
    for s in report.scenarios:
        head = Text()
        head.append("PASS " if s.passed else "FAIL ", style="green" if s.passed else "bold red")
        head.append(s.name, style="bold")
        head.append("  ")
        head.append_text(counts_line(s))
        console.print(head)
        for line in guarantee_lines(s, max(20, console.width - INDENT)):
            console.print(Text(" " * INDENT) + line, overflow="fold")


def _matrices(report: RunReport, split: bool) -> list[Table]:
    ids = _ids(report)
    names = [s.name for s in report.scenarios]
    heads = [short_name(g) for g in ids]
    keys = count_keys(report)
    counts = [COUNT_HEADERS[k] for k in keys] + ["wall"]
    first = _table("Verdicts", names)
    second = _table("Fates", names) if split else first
    for h in heads:
        first.add_column(h, justify="center", no_wrap=True, min_width=len(h))
    for h in counts:
        second.add_column(h, justify="right", no_wrap=True, min_width=len(h))
    for s in report.scenarios:
        verdict = Text("PASS", style="green") if s.passed else Text("FAIL", style="bold red")
        tail = [*_counts(s, keys), Text(f"{s.wall_s:.1f}s")]
        if split:
            first.add_row(s.name, verdict, *_marks(ids, s))
            second.add_row(s.name, verdict, *tail)
        else:
            first.add_row(s.name, verdict, *_marks(ids, s), *tail)
    return [first, second] if split else [first]


def _legend(report: RunReport, with_names: bool = True) -> str:
    parts = [f"{short_name(g)}={g}" for g in _ids(report)] if with_names else []
    return "  ".join(["✓ pass  ✗ fail  ~ vacuous (not exercised)  · not judged", *parts])


def hang(console: Console, text: Text, indent: int) -> None:
    """Print ``text`` indented, its wrapped lines indented too, with no trailing padding."""
    for line in text.wrap(console, max(20, console.width - indent)):
        line.rstrip()
        console.print(Text(" " * indent) + line, soft_wrap=True)


def render_failures(report: RunReport, console: Console) -> None:
    """Under the table: for each failing scenario, its error and the violations of each failed guarantee."""
    for s in report.scenarios:
        if s.passed:
            continue
        console.print()
        console.print(f"[bold red]✗ {s.name}[/bold red]")
        if s.error:
            console.print(f"  [red]scenario error:[/red] {s.error}")
        if s.verdict is None:
            render_rerun(report, s, console)
            continue
        for reason in s.strict_failures():
            hang(console, Text.assemble(("strict: ", "bold red"), reason), 2)
        for gid, g in s.verdict.guarantees.items():
            if g.status != "fail":
                continue
            hang(console, Text.assemble((gid, "bold"), f" — {GUARANTEES.get(gid, gid)} ", (
                f"({len(g.violations)} violation(s), {g.evidence} case(s) examined)", "dim")), 2)
            for line in g.violations[:MAX_VIOLATIONS]:
                hang(console, Text(f"• {line}"), 4)
            if len(g.violations) > MAX_VIOLATIONS:
                console.print(f"    [dim]… {len(g.violations) - MAX_VIOLATIONS} more in the JSON report[/dim]")
        for note in s.verdict.notes[:5]:
            hang(console, Text(f"note: {note}", style="dim"), 2)
        render_rerun(report, s, console)


def render_rerun(report: RunReport, s: ScenarioEntry, console: Console) -> None:
    """The exact command that reruns a failed scenario, and the hashes of what it ran."""
    command = s.rerun(report.meta)
    if command is None:
        return
    build = report.meta.get("build") if isinstance(report.meta.get("build"), dict) else {}
    console.print(Text("  rerun: ", style="bold") + Text(command), soft_wrap=True)
    if s.artifacts:
        console.print(Text("  trace, screenshots, console: ", style="bold") + Text(s.artifacts), soft_wrap=True)
    console.print(Text(f"  seed {s.seed}; SHA-256 of the build, then of the scenario file:\n"
                       f"  {build.get('sha256') or '?'}\n  {s.sha256 or '?'}", style="dim"))


def render_notes(report: RunReport, console: Console) -> None:
    """Notes of passing scenarios (data-quality remarks; failing ones show theirs above)."""
    noted = [s for s in report.scenarios if s.passed and s.verdict is not None and s.verdict.notes]
    if noted:
        console.print()
    for s in noted:
        for note in s.verdict.notes[:5]:
            console.print(Text(f"note ({s.name}): {note}", style="dim"))


def render_run(report: RunReport, console: Console) -> None:
    """The whole terminal report of a run."""
    _header(report, console)
    tables, fit = layout(report, console)
    if fit:
        for table in tables:
            console.print(table)
        console.print(Text(_legend(report), style="dim"))
    else:
        render_vertical(report, console)
        console.print(Text(_legend(report, with_names=False), style="dim"))
    render_failures(report, console)
    render_notes(report, console)
    console.print()
    render_outcome(report, console)


def render_outcome(report: RunReport, console: Console) -> None:
    """The closing line: the run's outcome as the exit code reads it (``RunReport.headline``)."""
    console.print(Text(report.headline(), style="green" if report.passed else "bold red"))


def _detail(detail: dict[str, Any]) -> str:
    return "  ".join(f"{k}={v}" for k, v in detail.items() if k != "approx" and v is not None and v != "")


def print_timeline(console: Console, scenario: str, fate: EnvelopeFate, t0: int | None) -> None:
    """One envelope's timeline as a table, under a line saying its fate and why."""
    rest = "" if fate.at_rest is None else f", at rest ×{fate.at_rest}"
    console.print(f"[bold]{fate.id}[/bold] in [bold]{scenario}[/bold] ({fate.context}) "
                  f"{fate.ec}/{fate.ea}: [bold]{fate.fate}[/bold] — {fate.reason}")
    copies = f", browser copies {fate.browser_copies}" if fate.browser_copies else ""
    console.print(f"[dim]deliveries {fate.deliveries}, duplicates {fate.duplicates}{copies}{rest}; "
                  f"times are page time since the run started (≈ approximate, from wall time)[/dim]")
    table = Table(show_header=True, header_style="bold", pad_edge=False)
    table.add_column("page time", justify="right", no_wrap=True)
    table.add_column("what", no_wrap=True)
    table.add_column("detail")
    for t_page, approx, what, detail in timeline_rows(fate.timeline):
        table.add_row(("≈" if approx else "") + rel(t_page, t0), what, Text(_detail(detail)))
    console.print(table)


def timeline_rows(timeline: list[TimelineEntry]) -> list[tuple[int | None, bool, str, dict[str, Any]]]:
    """Rows of a timeline, with each attempt's outcome as its own row at the page time it happened
    (a fetch aborted after 5 s shows its start and, 5 s later, the abort)."""
    rows: list[tuple[float, int, tuple[int | None, bool, str, dict[str, Any]]]] = []
    for i, t in enumerate(timeline):
        key = float("-inf") if t.t_page is None else t.t_page
        duration = t.detail.get("duration_ms")
        if t.what == "attempt" and isinstance(duration, (int, float)) and t.t_page is not None:
            start = {k: v for k, v in t.detail.items() if k not in ("outcome", "status", "error", "duration_ms")}
            rows.append((key, i, (t.t_page, False, "attempt", start)))
            end = {k: t.detail.get(k) for k in ("status", "error") if t.detail.get(k) is not None}
            end["after_ms"] = duration
            rows.append((key + duration, i, (t.t_page + int(duration), False, "  → " + str(t.detail.get("outcome")), end)))
        else:
            rows.append((key, i, (t.t_page, bool(t.detail.get("approx")), t.what, t.detail)))
    rows.sort(key=lambda r: (r[0], r[1]))
    return [r[2] for r in rows]


def render_timeline(report: RunReport, envelope_id: str, console: Console) -> None:
    """Print the timeline of an envelope of a live run (id or unique prefix)."""
    pairs = [(s.name, s.verdict) for s in report.scenarios if s.verdict is not None]
    for name, v, fate in find(pairs, envelope_id):
        print_timeline(console, name, fate, v.t0)
