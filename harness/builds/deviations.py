"""The DEVIATIONS section: where a build differs from the contract by its own declaration.

Deviations are not data loss. ``--deviations fail`` (the default of ``run``) makes a declared
deviation fail the run, for teams that hold builds to the contract; ``warn`` (the default of
``gate``) lists them and judges only data loss and regressions.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
    from harness.builds import Build


def render_deviations(build: "Build", console: Console, mode: str) -> bool:
    """Print the section; True when the build declares any deviation."""
    profile = build.profile
    if profile is None or not profile.deviations:
        return False
    label = "[bold red]DEVIATIONS[/bold red]" if mode == "fail" else "[bold yellow]DEVIATIONS[/bold yellow]"
    verdict = ": the run fails (exit 1; --deviations warn lists them without failing)" if mode == "fail" else ":"
    console.print(f"\n{label} declared by profile {escape(profile.name)} ({escape(profile.path)}), "
                  f"--deviations {mode}{escape(verdict)}")
    for d in profile.deviations:
        console.print(f"  • {escape(d)}")
    return True
