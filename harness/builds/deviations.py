"""The DEVIATIONS section: where a build differs from the contract by its own declaration.

Deviations are not data loss. ``--deviations fail`` (the default of ``run``) makes a declared
deviation fail the run, for teams that hold builds to the contract; ``warn`` (the default of
``gate``) lists them and judges only data loss and regressions.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from rich.console import Console
from rich.text import Text

LABEL = "DEVIATIONS"


class Declaring(Protocol):
    """A build profile as far as its declarations go (``harness.builds.profile.Profile``, or what a
    saved history recorded of one: ``Declared``)."""

    name: str
    path: str
    deviations: Sequence[str]


@dataclass(frozen=True)
class Declared:
    """The profile a saved history was judged against, as its ``meta["profile"]`` recorded it."""

    name: str
    path: str
    deviations: tuple[str, ...]

    @classmethod
    def of(cls, stamp: Mapping[str, Any]) -> "Declared":
        return cls(str(stamp.get("name") or "?"), str(stamp.get("path") or "?"),
                   tuple(str(d) for d in stamp.get("deviations") or ()))


def heading(profile: Declaring, mode: str, flag: str = "--deviations") -> str:
    """The section's first line (``flag``: the option that set ``mode``, ``--tank-deviations`` in pytest)."""
    verdict = f": the run fails (exit 1; {flag} warn lists them without failing)" if mode == "fail" else ":"
    return f"{LABEL} declared by profile {profile.name} ({profile.path}), {flag} {mode}{verdict}"


def render_deviations(profile: Declaring | None, console: Console, mode: str) -> bool:
    """Print the section; True when the build's profile declares any deviation."""
    if profile is None or not profile.deviations:
        return False
    console.print()
    console.print(Text.assemble((LABEL, "bold red" if mode == "fail" else "bold yellow"),
                                heading(profile, mode)[len(LABEL):]))
    for d in profile.deviations:
        console.print(Text(f"  • {d}"))
    return True
