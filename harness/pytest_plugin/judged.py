"""A scenario result as a test sees it: passed or not (strict or not), and why, in plain text."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.checker.guarantees import GUARANTEES
from harness.run.scenario import ScenarioResult

MAX_VIOLATIONS = 10


@dataclass
class Judged:
    """The judged result of one scenario run; other attributes come from ``ScenarioResult``
    (``history``, ``verdict``, ``scenario``, ``error``, ``wall_s``, ``sim_ms``)."""

    result: ScenarioResult
    strict: bool = False

    def __getattr__(self, name: str) -> Any:
        if name == "result":  # not yet set (copy, pickle): never recurse
            raise AttributeError(name)
        return getattr(self.result, name)

    def statuses(self) -> dict[str, str]:
        """Status of every guarantee the scenario judges (``pass``/``fail``/``vacuous``)."""
        v = self.result.verdict
        if v is None:
            return {}
        return {gid: g.status for gid, g in v.guarantees.items() if g.status != "not_judged"}

    def failing(self) -> list[str]:
        """Guarantees that fail this result (vacuous ones too under ``strict``)."""
        bad = ("fail", "vacuous") if self.strict else ("fail",)
        return [gid for gid, status in self.statuses().items() if status in bad]

    @property
    def passed(self) -> bool:
        return self.result.error is None and self.result.verdict is not None and not self.failing()

    def summary(self) -> str:
        """One line: what failed (pytest's short summary and JUnit's message show it)."""
        if self.result.error:
            return f"error: {self.result.error.splitlines()[0] if self.result.error else ''}"
        failing = self.failing()
        if not failing:
            return f"{self.result.scenario.name}: every judged guarantee holds"
        v = self.result.verdict
        return "failed: " + ", ".join(f"{g} ({len(v.guarantees[g].violations)} violation(s))"
                                      if v.guarantees[g].status == "fail" else f"{g} (vacuous)" for g in failing)

    def explain(self) -> str:
        """The verdicts as a test failure message: every judged guarantee, violations, counts."""
        r = self.result
        lines = [self.summary(), f"scenario {r.scenario.name} ({r.scenario.path}), seed {r.scenario.seed}"]
        if r.error:
            lines.append(f"  ERROR: {r.error}")
            lines.extend(f"  {n}" for n in (r.notes or [])[:5])
        v = r.verdict
        if v is not None:
            for gid, g in v.guarantees.items():
                if g.status == "not_judged":
                    continue
                mark = g.status.upper() if g.status == "fail" or (self.strict and g.status == "vacuous") else g.status
                lines.append(f"  {gid}: {mark} — {GUARANTEES.get(gid, gid)} ({g.evidence} case(s))"
                             + (f"; {g.note}" if g.note else ""))
                for violation in g.violations[:MAX_VIOLATIONS]:
                    lines.append(f"      {violation}")
                if len(g.violations) > MAX_VIOLATIONS:
                    lines.append(f"      … {len(g.violations) - MAX_VIOLATIONS} more")
            lines.append("  counts: " + ", ".join(f"{k} {n}" for k, n in v.counts.items()))
        if getattr(r, "artifacts", None):
            lines.append(f"  trace, screenshots, console: {r.artifacts}")
        return "\n".join(lines)

    def properties(self) -> list[tuple[str, str]]:
        """``(name, value)`` pairs for JUnit ``<properties>``: one per judged guarantee."""
        props = [("scenario", self.result.scenario.name), ("seed", str(self.result.scenario.seed)),
                 ("sim_ms", str(self.result.sim_ms))]
        v = self.result.verdict
        if v is not None:
            for gid, g in v.guarantees.items():
                if g.status != "not_judged":
                    props.append((f"guarantee.{gid}", f"{g.status} ({g.evidence} case(s))"
                                  + (f": {len(g.violations)} violation(s)" if g.violations else "")))
        if self.result.error:
            props.append(("error", self.result.error))
        if getattr(self.result, "artifacts", None):
            props.append(("artifacts", str(self.result.artifacts)))
        return props
