"""The DEVIATIONS section: where a build differs from the contract by its own declaration.

Deviations are not data loss. ``--deviations fail`` (the default of ``run``) makes a declared
deviation fail the run, for teams that hold builds to the contract; ``warn`` (the default of
``gate``) lists them and judges only data loss and regressions.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.text import Text

if TYPE_CHECKING:
    from harness.builds import Build
    from harness.builds.profile import Profile


LABEL = "DEVIATIONS"


def heading(profile: "Profile", mode: str, flag: str = "--deviations") -> str:
    """The section's first line (``flag``: the option that set ``mode``, ``--tank-deviations`` in pytest)."""
    verdict = f": the run fails (exit 1; {flag} warn lists them without failing)" if mode == "fail" else ":"
    return f"{LABEL} declared by profile {profile.name} ({profile.path}), {flag} {mode}{verdict}"


def render_deviations(build: "Build", console: Console, mode: str) -> bool:
    """Print the section; True when the build declares any deviation."""
    profile = build.profile
    if profile is None or not profile.deviations:
        return False
    console.print()
    console.print(Text.assemble((LABEL, "bold red" if mode == "fail" else "bold yellow"),
                                heading(profile, mode)[len(LABEL):]))
    for d in profile.deviations:
        console.print(Text(f"  • {d}"))
    return True
