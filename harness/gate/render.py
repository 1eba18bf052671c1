"""The gate's verdict in the terminal: per scenario and guarantee, what changed and why.

Plain lines that fit 80 columns (wrapped by rich), so a CI log shows every status.
"""
from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape
from rich.text import Text

from harness.gate.compare import SHOWN_COUNTS, GateResult
from harness.report.model import RunFailure, outcome_line

STYLE = {"regressed": "bold red", "fixed": "green", "still failing": "yellow", "holds": "dim"}


def render_gate(result: GateResult, console: Console, summary: bool = True,
                failures: Sequence[RunFailure] = ()) -> None:
    """Per scenario and guarantee; ``summary`` False leaves out the closing line (the caller says
    why the gate could not decide instead); ``failures``: why the gate fails beyond its regressions
    (the candidate's declared deviations under ``--deviations fail``), named in that line."""
    b, c = result.baseline, result.candidate
    console.print(f"[bold]gate[/bold] baseline {escape(str(b['name']))} ({str(b['sha256'])[:12]}) → "
                  f"candidate {escape(str(c['name']))} ({str(c['sha256'])[:12]})")
    console.print(f"repeats {result.repeats}; a failure counts when it shows in {result.required} of them   "
                  f"browser {c.get('browser')}   playwright {c.get('playwright')}   "
                  f"proxy {(c.get('proxy') or {}).get('kind')} {(c.get('proxy') or {}).get('version')}")
    for s in result.scenarios:
        mark = "[bold red]REGRESSED[/bold red]" if s.regressions else "[green]ok[/green]"
        console.print(f"\n{mark} {escape(s.scenario)}")
        for g in s.guarantees:
            noise = f" (noise: baseline {g.baseline_fails}/{g.repeats}, candidate {g.candidate_fails}/{g.repeats} failed)" \
                if g.noisy else ""
            console.print(f"  [{STYLE[g.status]}]{g.status:<13}[/{STYLE[g.status]}] {g.guarantee}{noise}")
            if g.status in ("regressed", "still failing"):
                for v in g.evidence:
                    console.print(f"      • {escape(v)}")
        for fate, (bv, cv) in s.counts.items():
            if bv or cv:
                why = " (re-sent by the browser itself: not the build's, never a regression)" \
                    if fate in SHOWN_COUNTS else ""
                console.print(f"  {fate}: baseline {bv}, candidate {cv}{why}")
        for name, err in s.errors.items():
            if err:
                console.print(f"  [yellow]{name} error:[/yellow] {escape(err)}")
        if s.regressions:
            for r in s.regressions:
                console.print(f"  [red]✗ {escape(r)}[/red]")
            for e in s.differing_events:
                console.print(f"    ↳ {escape(e)}")
    regressed = [s.scenario for s in result.scenarios if s.regressions]
    console.print()
    if not summary:
        return
    verdicts = f"gate: {len(regressed)} of {len(result.scenarios)} scenario(s) regressed: {', '.join(regressed)}" \
        if regressed else f"gate: no regression in {len(result.scenarios)} scenario(s)"
    line = outcome_line(verdicts, [f.head for f in failures], "gate")  # the exit code's outcome
    console.print(Text(line, style="bold red" if regressed or failures else "green"))
