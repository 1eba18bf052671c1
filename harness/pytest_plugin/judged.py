"""A scenario result as a test sees it: passed or not (strict or not), and why, in plain text."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.builds.profile import Profile
from harness.checker.guarantees import GUARANTEES
from harness.report.model import ScenarioEntry
from harness.run.scenario import ScenarioResult

MAX_VIOLATIONS = 10


@dataclass
class Judged:
    """The judged result of one scenario run; other attributes come from ``ScenarioResult``
    (``history``, ``verdict``, ``scenario``, ``error``, ``wall_s``, ``sim_ms``)."""

    result: ScenarioResult
    strict: bool = False
    profile: Profile | None = None  # the build profile the result was judged against (None: the contract)

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

    def entry(self) -> ScenarioEntry:
        """This result as the run reports see it: ``tankharness run --strict`` and ``--tank-strict``
        judge through the same ``ScenarioEntry`` (vacuous guarantees, pending after settle)."""
        r = self.result
        return ScenarioEntry(r.scenario.name, r.verdict, error=r.error, strict=self.strict,
                             expect_pending=r.scenario.expect_pending)

    def failing(self) -> list[str]:
        """Guarantees that failed (``strict_failures()`` says what else fails a strict run)."""
        return [gid for gid, status in self.statuses().items() if status == "fail"]

    def strict_failures(self) -> list[str]:
        """Why ``--tank-strict`` fails this result although no guarantee failed (empty when not strict)."""
        return self.entry().strict_failures()

    @property
    def passed(self) -> bool:
        return self.entry().passed

    def summary(self) -> str:
        """One line: what failed (pytest's short summary and JUnit's message show it)."""
        if self.result.error:
            return f"error: {self.result.error.splitlines()[0] if self.result.error else ''}"
        v = self.result.verdict
        reasons = [f"{g} ({len(v.guarantees[g].violations)} violation(s))" for g in self.failing()]
        reasons += [f"strict: {r}" for r in self.strict_failures()]
        if not reasons:
            return f"{self.result.scenario.name}: every judged guarantee holds"
        return "failed: " + "; ".join(reasons)

    def judged_against(self) -> str:
        """Which declarations the guarantees were judged against (a profile changes timeouts, limits …)."""
        p = self.profile
        if p is None:
            return "judged against the contract (no build profile)"
        return f"judged against build profile {p.name} ({p.path}): {len(p.deviations)} declared deviation(s)"

    def explain(self) -> str:
        """The verdicts as a test failure message: every judged guarantee, violations, counts."""
        r = self.result
        lines = [self.summary(), f"scenario {r.scenario.name} ({r.scenario.path}), seed {r.scenario.seed}",
                 self.judged_against()]
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
            lines.extend(f"  strict: {reason}" for reason in self.strict_failures())
        if getattr(r, "artifacts", None):
            lines.append(f"  trace, screenshots, console: {r.artifacts}")
        return "\n".join(lines)

    def properties(self) -> list[tuple[str, str]]:
        """``(name, value)`` pairs for JUnit ``<properties>``: one per judged guarantee."""
        props = [("scenario", self.result.scenario.name), ("seed", str(self.result.scenario.seed)),
                 ("sim_ms", str(self.result.sim_ms))]
        if self.profile is not None:
            props.append(("profile", f"{self.profile.name} ({self.profile.path})"))
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
