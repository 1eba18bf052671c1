"""Find an envelope in a run by id or by a unique prefix (violations show 8-character ids)."""
from __future__ import annotations

from typing import Iterable

from harness.checker.verdict import EnvelopeFate, ScenarioVerdict
from harness.report.json_report import ReportError

Found = tuple[str, ScenarioVerdict, EnvelopeFate]


def find(verdicts: Iterable[tuple[str, ScenarioVerdict]], key: str) -> list[Found]:
    """Every (scenario, verdict, fate) whose id is ``key``; else whose id starts with it.

    Raises ``ReportError`` when nothing matches, or when a prefix matches several envelopes
    (the same id in several scenarios is fine: each scenario's timeline is shown).
    """
    key = key.strip()
    if not key:
        raise ReportError("give an envelope id (or a unique prefix of one)")
    exact: list[Found] = []
    prefix: list[Found] = []
    for name, v in verdicts:
        for f in v.fates:
            if f.id == key:
                exact.append((name, v, f))
            elif f.id.startswith(key):
                prefix.append((name, v, f))
    if exact:
        return exact
    ids = sorted({f.id for _, _, f in prefix})
    if not ids:
        raise ReportError(f"no envelope {key!r} in this run")
    if len(ids) > 1:
        shown = ", ".join(ids[:8]) + (f" … ({len(ids)} in all)" if len(ids) > 8 else "")
        raise ReportError(f"{key!r} is ambiguous: {shown}")
    return prefix
