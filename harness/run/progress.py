"""Live progress of a run: each running scenario with the page time it reached, its wall time and
clock steps, and each verdict printed the moment its scenario ends.

On a terminal a rich ``Live`` table redraws a few times a second; piped (CI logs) the same facts
come as plain lines, one when a scenario starts and one when it ends, so a log never goes quiet
for minutes and never fills with redraws.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from harness.run.clock import VirtualClock
    from harness.run.scenario import ScenarioResult


def page_span(ms: int) -> str:
    """Page time as a short span: ``850ms``, ``42s``, ``12m``, ``26.0h``."""
    if ms < 1000:
        return f"{ms}ms"
    if ms < 120_000:
        return f"{ms / 1000:.0f}s"
    if ms < 7_200_000:
        return f"{ms / 60_000:.0f}m"
    return f"{ms / 3_600_000:.1f}h"


@dataclass
class _Running:
    name: str
    started: float
    clock: "VirtualClock | None" = None
    start_ms: int = 0


class Progress:
    """Tracks running scenarios; use as ``with Progress(console, total) as p:``."""

    def __init__(self, console: Console, total: int, live: bool | None = None) -> None:
        self.console = console
        self.total = total
        self.done = 0
        self._running: dict[str, _Running] = {}
        self._live_wanted = console.is_terminal if live is None else live
        self._live: Live | None = None

    def __enter__(self) -> "Progress":
        if self._live_wanted:
            self._live = Live(self._table(), console=self.console, refresh_per_second=4, transient=True,
                              get_renderable=self._table)
            self._live.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._live is not None:
            self._live.__exit__(*exc)
            self._live = None

    # -- events from the run -------------------------------------------------------------
    def started(self, name: str) -> None:
        self._running[name] = _Running(name, time.monotonic())
        if self._live is None:
            self.console.print(f"[dim]running {name} …[/dim]")

    def clock(self, name: str, clock: "VirtualClock") -> None:
        entry = self._running.get(name)
        if entry is not None:
            entry.clock, entry.start_ms = clock, clock.now

    def note(self, name: str, text: str) -> None:
        """A word on a running scenario (the watchdog's "slow: …"), printed as it comes: a run that
        may go on for minutes says why at once, on a terminal and in a CI log alike."""
        self.console.print(f"[yellow]{escape(name)}: {escape(text)}[/yellow]")

    def finished(self, result: "ScenarioResult") -> None:
        self._running.pop(result.scenario.name, None)
        self.done += 1
        passed = result.error is None and result.verdict.passed
        mark = "[green]PASS[/green]" if passed else ("[red]ERROR[/red]" if result.error else "[red]FAIL[/red]")
        steps = result.history.meta.get("clock_steps", 0) if result.history.meta else 0
        self.console.print(f"{mark} {result.scenario.name}  page {page_span(result.sim_ms)}  wall {result.wall_s:.1f}s"
                           f"  steps {steps}  [{self.done}/{self.total}]")

    # -- the live table -----------------------------------------------------------------
    def _table(self) -> Table:
        table = Table(box=None, show_header=True, header_style="dim", title=f"{self.done}/{self.total} done",
                      title_justify="left", title_style="dim")
        for col in ("running", "page time", "wall", "steps"):
            table.add_column(col, justify="left" if col == "running" else "right")
        now = time.monotonic()
        for r in list(self._running.values()):
            page = page_span(r.clock.now - r.start_ms) if r.clock else "—"
            steps = str(r.clock.steps) if r.clock else "—"
            table.add_row(r.name, page, f"{now - r.started:.0f}s", steps)
        return table
