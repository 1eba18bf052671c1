"""Validation errors that point at a file, a line and a field.

An engineer fixing a scenario wants every mistake at once, each with the place to fix it, so the
parser collects ``ScenarioIssue``s instead of stopping at the first one and raises a single
``ScenarioError`` at the end.
"""
from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

from harness.contract.errors import UsageProblem


@dataclass(frozen=True, order=True)
class ScenarioIssue:
    """One problem: ``file:line: field: message``. ``line`` is 1-based; 0 means the whole file."""

    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line > 0 else self.file
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class ScenarioError(UsageProblem, ValueError):
    """One or more invalid scenarios; ``errors`` holds every issue, sorted by file and line.

    A ``UsageProblem`` so the CLI exits 2 with the message; ``str()`` is one issue per line.
    """

    def __init__(self, errors: Iterable[ScenarioIssue]) -> None:
        self.errors: list[ScenarioIssue] = sorted(errors, key=lambda i: (i.file, i.line, i.field))
        super().__init__("\n".join(str(e) for e in self.errors))


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest choice, or an empty string when nothing is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


class Issues:
    """Collects issues for one file; parsers report here and carry on."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.items: list[ScenarioIssue] = []

    def add(self, line: int, field: str, message: str) -> None:
        self.items.append(ScenarioIssue(self.file, line, field, message))

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise ScenarioError(self.items)
