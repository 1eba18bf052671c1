"""What a guarantee rule returns: how many cases it examined and what it found wrong."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Outcome:
    evidence: int = 0
    violations: list[str] = field(default_factory=list)
    note: str | None = None
    vacuous_reason: str | None = None  # set when the rule cannot be judged at all (e.g. no rows at rest)
