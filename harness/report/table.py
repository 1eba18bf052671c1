"""The terminal report: a verdict matrix, the violations of failing scenarios, envelope timelines."""
from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from harness.checker.fmt import rel
from harness.checker.verdict import COUNT_KEYS, EnvelopeFate
from harness.checker.guarantees import GUARANTEES
from harness.report.lookup import find
from harness.report.model import RunReport, ScenarioEntry, describe_meta
from harness.report.symbols import STATUS_MARK, STATUS_STYLE, guarantee_ids, short_name

MAX_VIOLATIONS = 20  # per guarantee on screen; the JSON report has them all
COUNT_HEADERS = {"delivered": "dlv", "duplicated": "dup", "dropped_policy": "drop", "rejected": "rej",
                 "pending": "pend", "lost": "lost", "unexpected": "unexp"}


def _header(report: RunReport, console: Console) -> None:
    m = describe_meta(report.meta)
    console.print(f"[bold]tracker[/bold] {m['build']}   [bold]browser[/bold] {m['browser']}")
    console.print(f"[bold]proxy[/bold] {m['proxy']}   [bold]store[/bold] {m['store']}   "
                  f"[bold]seed[/bold] {m['seed']}   [dim]started {m['started']}[/dim]")


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


def _counts(s: ScenarioEntry) -> list[Text]:
    if s.verdict is None:
        return [Text("?")] * len(COUNT_KEYS)
    out = []
    for key in COUNT_KEYS:
        n = s.verdict.counts.get(key, 0)
        out.append(Text(str(n), style="bold red" if n and key in ("lost", "unexpected") else ("dim" if not n else "")))
    return out


def matrices(report: RunReport, console: Console | None = None) -> list[Table]:
    """Rows: scenarios. Columns: guarantees (✓ ✗ ~ ·), then fate counts — one table when the
    console is wide enough, else a guarantee table and a fate-count table."""
    one = _matrices(report, split=False)
    if console is None:
        return one
    natural = Measurement.get(console, console.options.update_width(100_000), one[0]).minimum
    if natural <= console.width:
        return one
    return _matrices(report, split=True)


def _matrices(report: RunReport, split: bool) -> list[Table]:
    ids = _ids(report)
    names = [s.name for s in report.scenarios]
    heads = [short_name(g) for g in ids]
    counts = [COUNT_HEADERS[k] for k in COUNT_KEYS] + ["wall"]
    first = _table("Verdicts", names)
    second = _table("Fates", names) if split else first
    for h in heads:
        first.add_column(h, justify="center", no_wrap=True, min_width=len(h))
    for h in counts:
        second.add_column(h, justify="right", no_wrap=True, min_width=len(h))
    for s in report.scenarios:
        verdict = Text("PASS", style="green") if s.passed else Text("FAIL", style="bold red")
        tail = [*_counts(s), Text(f"{s.wall_s:.1f}s")]
        if split:
            first.add_row(s.name, verdict, *_marks(ids, s))
            second.add_row(s.name, verdict, *tail)
        else:
            first.add_row(s.name, verdict, *_marks(ids, s), *tail)
    return [first, second] if split else [first]


def _legend(report: RunReport) -> str:
    parts = [f"{short_name(g)}={g}" for g in _ids(report)]
    return "✓ pass  ✗ fail  ~ vacuous (not exercised)  · not judged   " + "  ".join(parts)


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
            continue
        for gid, g in s.verdict.guarantees.items():
            if g.status != "fail":
                continue
            console.print(f"  [bold]{gid}[/bold] — {GUARANTEES.get(gid, gid)} "
                          f"[dim]({len(g.violations)} violation(s), {g.evidence} case(s) examined)[/dim]")
            for line in g.violations[:MAX_VIOLATIONS]:
                console.print(Text(f"    • {line}"))
            if len(g.violations) > MAX_VIOLATIONS:
                console.print(f"    [dim]… {len(g.violations) - MAX_VIOLATIONS} more in the JSON report[/dim]")
        for note in s.verdict.notes[:5]:
            console.print(Text(f"  note: {note}", style="dim"))


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
    for table in matrices(report, console):
        console.print(table)
    console.print(Text(_legend(report), style="dim"))
    render_failures(report, console)
    render_notes(report, console)
    n_fail = sum(not s.passed for s in report.scenarios)
    console.print()
    if n_fail:
        console.print(f"[bold red]{n_fail} of {len(report.scenarios)} scenario(s) failed[/bold red]")
    else:
        console.print(f"[green]all {len(report.scenarios)} scenario(s) passed[/green]")


def _detail(detail: dict[str, Any]) -> str:
    return "  ".join(f"{k}={v}" for k, v in detail.items() if k != "approx" and v is not None and v != "")


def print_timeline(console: Console, scenario: str, fate: EnvelopeFate, t0: int | None) -> None:
    """One envelope's timeline as a table, under a line saying its fate and why."""
    rest = "" if fate.at_rest is None else f", at rest ×{fate.at_rest}"
    console.print(f"[bold]{fate.id}[/bold] in [bold]{scenario}[/bold] ({fate.context}) "
                  f"{fate.ec}/{fate.ea}: [bold]{fate.fate}[/bold] — {fate.reason}")
    console.print(f"[dim]deliveries {fate.deliveries}, duplicates {fate.duplicates}{rest}; "
                  f"times are page time since the run started (≈ approximate, from wall time)[/dim]")
    table = Table(show_header=True, header_style="bold", pad_edge=False)
    table.add_column("page time", justify="right", no_wrap=True)
    table.add_column("what", no_wrap=True)
    table.add_column("detail")
    for t in fate.timeline:
        mark = "≈" if t.detail.get("approx") else ""
        table.add_row(mark + rel(t.t_page, t0), t.what, Text(_detail(t.detail)))
    console.print(table)


def render_timeline(report: RunReport, envelope_id: str, console: Console) -> None:
    """Print the timeline of an envelope of a live run (id or unique prefix)."""
    pairs = [(s.name, s.verdict) for s in report.scenarios if s.verdict is not None]
    for name, v, fate in find(pairs, envelope_id):
        print_timeline(console, name, fate, v.t0)
