"""The common input of every report writer: run metadata plus one entry per scenario."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from harness.checker.verdict import ScenarioVerdict
from harness.contract.history import History


@dataclass
class ScenarioEntry:
    """One scenario of a run. ``error``: the scenario could not run as written (it still fails)."""

    name: str
    verdict: ScenarioVerdict | None
    wall_s: float = 0.0
    sim_ms: int = 0
    error: str | None = None
    judges: list[str] = field(default_factory=list)
    seed: int | None = None  # the seed the scenario ran with (its own, or --seed)
    path: str | None = None  # the scenario file
    sha256: str | None = None  # of the scenario file's bytes
    history: History | None = field(default=None, repr=False, compare=False)  # for the HTML timeline
    artifacts: str | None = None  # folder with traces, screenshots and console (--trace)
    strict: bool = False  # --strict: vacuous guarantees and unexpected pending events fail
    expect_pending: bool = False  # the scenario declares events may be pending after settle

    @property
    def passed(self) -> bool:
        return (self.error is None and self.verdict is not None and self.verdict.passed
                and not self.strict_failures())

    def strict_failures(self) -> list[str]:
        """Why ``--strict`` fails this scenario although no guarantee failed (empty when not strict)."""
        if not self.strict or self.verdict is None:
            return []
        out = []
        vacuous = [gid for gid, g in self.verdict.guarantees.items() if g.status == "vacuous"]
        if vacuous:
            out.append(f"vacuous (not exercised): {', '.join(vacuous)}")
        pending = self.verdict.counts.get("pending", 0)
        if pending and not self.expect_pending:
            out.append(f"{pending} event(s) still pending after settle (the scenario does not declare "
                       "`expect_pending: true`)")
        return out

    def rerun(self, meta: dict[str, Any]) -> str | None:
        """The command that reruns this scenario alone (``None`` when the run did not say how it started)."""
        from harness.report.rerun import rerun_command

        run = meta.get("run")
        if not isinstance(run, dict):
            return None
        return rerun_command(run, name=self.name, path=self.path, seed=self.seed)


@dataclass
class RunReport:
    """``meta``: build, browser, proxy, store, seed, started … (see ``describe_meta``)."""

    meta: dict[str, Any]
    scenarios: list[ScenarioEntry] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.scenarios = [_entry(s) for s in self.scenarios]

    @property
    def scenarios_passed(self) -> bool:
        """Every scenario passed (its guarantees, ``--strict``): the verdicts alone."""
        return all(s.passed for s in self.scenarios)

    def failures(self) -> list["RunFailure"]:
        """Why the run fails although its scenarios may all have passed — today the profile's
        declared deviations under ``--deviations fail``. Read from ``meta`` so the exit code and
        every report (terminal, JSON, JUnit, Markdown, HTML) give one outcome."""
        failure = deviation_failure(self.meta)
        return [failure] if failure else []

    def run_failures(self) -> list[str]:
        """``failures()`` as the JSON report and JUnit word them."""
        return [f.text for f in self.failures()]

    @property
    def passed(self) -> bool:
        """The run's outcome: what the exit code says (0 when true)."""
        return self.scenarios_passed and not self.failures()

    def headline(self) -> str:
        """The run's outcome in one line, as the exit code reads it: the terminal, ``merge``, the
        Markdown summary and the HTML report all print this line (a run whose scenarios all passed
        and whose declared deviations fail it must not read 'all passed' alone)."""
        n = len(self.scenarios)
        failed = sum(not s.passed for s in self.scenarios)
        if not n:  # an empty shard: it judged no scenario, the build's declarations still count
            shard = self.meta.get("shard")
            verdicts = f"no scenario in shard {shard}" if shard else "no scenario ran"
        else:
            verdicts = f"{failed} of {n} scenario(s) failed" if failed else f"all {n} scenario(s) passed"
        return outcome_line(verdicts, [f.head for f in self.failures()])


def outcome_line(verdicts: str, failures: list[str], subject: str = "run") -> str:
    """A headline: the verdicts, then why the ``subject`` (run or gate) fails beyond them, if it does."""
    return f"{verdicts}; the {subject} fails: " + "; ".join(failures) if failures else verdicts


@dataclass(frozen=True)
class RunFailure:
    """Why a run (or a gate) fails beyond its verdicts: ``head`` for headlines, ``text`` (with every
    detail) for the JSON report's ``run_failures``, gate.json and JUnit."""

    kind: str
    head: str
    details: tuple[str, ...]

    @property
    def text(self) -> str:
        return f"{self.kind}: {self.head}: " + "; ".join(self.details)


def declared_deviations(meta: dict[str, Any]) -> list[str]:
    """The deviations from the contract the build's profile declares (none without a profile)."""
    profile = meta.get("profile")
    return [str(d) for d in profile.get("deviations") or []] if isinstance(profile, dict) else []


def deviation_failure(meta: dict[str, Any]) -> RunFailure | None:
    """Why a run fails for its declared deviations, when its ``--deviations`` was ``fail``
    (a report without ``meta.run``, e.g. ``judge``'s or the gate's per-build ones, never fails for them)."""
    run = meta.get("run")
    declared = declared_deviations(meta)
    if not declared or not isinstance(run, dict):
        return None
    return deviations_failure(meta["profile"].get("name"), declared, run.get("deviations"))


def deviations_failure(profile: str | None, declared: list[str], mode: str | None,
                       flag: str = "--deviations") -> RunFailure | None:
    """The one rule: declared deviations fail a run, a gate or a pytest session under ``fail``
    (``flag`` names the option that said so: ``--tank-deviations`` in pytest)."""
    if not declared or mode != "fail":
        return None
    return RunFailure("deviations", f"{len(declared)} declared deviation(s) of profile {profile or '?'}, {flag} fail",
                      tuple(declared))


def _entry(item: ScenarioEntry | Iterable[Any]) -> ScenarioEntry:
    """Accept plain ``(name, verdict, wall_s, sim_ms[, error, judges])`` tuples too."""
    if isinstance(item, ScenarioEntry):
        return item
    values = list(item)
    if not 2 <= len(values) <= 6:
        raise ValueError(f"a scenario entry is (name, verdict, wall_s, sim_ms[, error, judges]), got {len(values)} values")
    return ScenarioEntry(*values)


def _pick(value: Any, *keys: str) -> str | None:
    if isinstance(value, dict):
        parts: list[str] = []
        for k in keys:
            if value.get(k) not in (None, "") and str(value[k]) not in parts:
                parts.append(str(value[k]))
        return " ".join(parts) or None
    return None if value in (None, "") else str(value)


def describe_meta(meta: dict[str, Any]) -> dict[str, str]:
    """The header facts of a run as short strings (missing ones show as ``?``)."""
    return {
        "build": _pick(meta.get("build"), "name", "kind") or "?",
        "browser": _pick(meta.get("browser"), "name", "source", "version") or "?",
        "proxy": _pick(meta.get("proxy"), "kind", "version") or "?",
        "store": _pick(meta.get("store"), "kind", "name") or "?",
        "seed": _seed(meta),
        "started": _pick(meta.get("started")) or "?",
    }


def _seed(meta: dict[str, Any]) -> str:
    """``--seed`` when the run overrode every scenario's seed, else each scenario's own."""
    run = meta.get("run")
    if isinstance(run, dict):
        return str(run["seed"]) if run.get("seed") is not None else "per scenario"
    return _pick(meta.get("seed")) or "?"
