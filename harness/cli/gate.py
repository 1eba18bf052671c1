"""`tankharness gate` (two builds, live) and `tankharness compare` (two saved reports).

Exit codes: 0 no regression, 1 a regression, 2 usage or environment error.
"""
from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console

from harness.builds.diagnostics import ENVIRONMENT
from harness.cli.common import (
    DEFAULT_SCENARIOS,
    adapter_options,
    make_adapter,
    refuse_adapter_flags_with,
    resolve_ingest,
    run_async,
    scenario_options,
    world_options,
)
from harness.contract.errors import HarnessError, UsageProblem

if TYPE_CHECKING:
    from harness.gate.compare import GateResult

BUDGET_SPENT = "(--scenario-timeout) was spent"  # how a run stopped by its wall budget says so (run/watchdog.py)


@click.command()
@click.option("--baseline", required=True, help="the build released today: a JS file, 'reference' or 'mutant:NAME'")
@click.option("--candidate", required=True, help="the build to release: a JS file, 'reference' or 'mutant:NAME'")
@click.option("--repeat", "repeats", type=click.IntRange(1, 50), default=1, show_default=True,
              help="run every scenario this often per build (seed + 0 … N-1)")
@click.option("--require", "required", type=click.IntRange(1, 50), default=None,
              help="a failure counts when it shows in this many repeats (default: all of them)")
@scenario_options
@adapter_options
@world_options("auto", "memory", "postgres", default="memory")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="folder for each build's JSON report per repeat and the gate's verdict (gate.json)")
@click.option("--profile", type=click.Path(path_type=Path), default=None,
              help="build profile (YAML) of both builds: adapter options and declared differences from the contract")
@click.option("--baseline-profile", default=None,
              help="the baseline's own profile when it differs from the candidate's (another adapter, other "
                   "timings); 'contract' for none: the adapter options")
@click.option("--candidate-profile", default=None,
              help="the candidate's own profile (a release that changes its timings or keys); 'contract' for "
                   "none: the adapter options")
@click.option("--deviations", type=click.Choice(["fail", "warn"]), default="warn", show_default=True,
              help="whether the profile's declared deviations from the contract fail the gate")
@click.option("--scenario-timeout", type=click.FloatRange(min=1), default=300.0, show_default=True, metavar="SECONDS",
              help="wall budget of one scenario run; a build that busy-loops, floods or storms timers is stopped "
                   "sooner (the run cannot finish: a regression if only the candidate's)")
def gate(baseline: str, candidate: str, repeats: int, required: int | None, scenario_paths: tuple[Path, ...],
         only: tuple[str, ...], tag: tuple[str, ...], site_attr: str, api_attr: str, outbox_key: str,
         deadletter_key: str, api_name: str, attrs: tuple[str, ...], ingest: str, database_url: str | None,
         no_proxy: bool, seed: int | None, out: Path | None, profile: Path | None, baseline_profile: str | None,
         candidate_profile: str | None, deviations: str, scenario_timeout: float = 300.0) -> None:
    """Fail only on regressions of CANDIDATE against BASELINE over the same seeded scenarios.

    Exit 0 no regression, 1 a regression, 2 usage or environment (including a build that never
    started as configured: the diagnostics name the cause)."""
    try:
        if "contract" not in (baseline_profile, candidate_profile):  # 'contract' drives a build by the adapter options
            refuse_adapter_flags_with(profile)
        adapter = make_adapter(site_attr, api_attr, outbox_key, deadletter_key, api_name, attrs)
        ingest = resolve_ingest(ingest, database_url)
        if required is not None and required > repeats:
            raise UsageProblem(f"--require {required} is more than --repeat {repeats}")
    except HarnessError as exc:
        click.echo(f"tankharness: {exc}", err=True)
        sys.exit(2)
    sys.exit(run_async(_gate(baseline, candidate, repeats, required, list(scenario_paths) or [DEFAULT_SCENARIOS],
                             list(only), list(tag), adapter, ingest, database_url, not no_proxy, seed, out,
                             profile, deviations, baseline_profile, candidate_profile,
                             scenario_timeout_s=scenario_timeout)))


async def _gate(baseline: str, candidate: str, repeats: int, required: int | None, paths: list[Path],
                only: list[str], tags: list[str], adapter: Any, ingest: str, database_url: str | None,
                proxy: bool, seed: int | None, out: Path | None, profile_path: Path | None = None,
                deviations: str = "warn", baseline_profile: str | None = None,
                candidate_profile: str | None = None, scenario_timeout_s: float = 300.0) -> int:
    from harness.builds import load_build
    from harness.builds.deviations import render_deviations
    from harness.builds.profile import load_profile
    from harness.gate.compare import compare_runs
    from harness.gate.render import render_gate
    from harness.gate.runner import run_gate
    from harness.report.model import deviations_failure
    from harness.run.suite import select
    from harness.scenario import load_scenarios
    from harness.world.world import WorldOptions

    base_build, cand_build = load_build(baseline), load_build(candidate)
    options_adapter = adapter  # the adapter options: what 'contract' means for the baseline
    if profile_path is not None:
        profile = load_profile(profile_path)
        base_build = dataclasses.replace(base_build, profile=profile)
        cand_build = dataclasses.replace(cand_build, profile=profile)
        adapter = profile.adapter
    base_adapter = adapter
    if baseline_profile is not None:  # the baseline is driven and judged as itself, not as the candidate
        own = None if baseline_profile == "contract" else load_profile(Path(baseline_profile))
        base_build = dataclasses.replace(base_build, profile=own)
        base_adapter = own.adapter if own is not None else options_adapter
    if candidate_profile is not None:  # likewise the candidate: each build its own declarations
        own = None if candidate_profile == "contract" else load_profile(Path(candidate_profile))
        cand_build = dataclasses.replace(cand_build, profile=own)
        adapter = own.adapter if own is not None else options_adapter
    scenarios = load_scenarios(paths)
    if seed is not None:
        scenarios = [dataclasses.replace(s, seed=seed) for s in scenarios]
    chosen = select(scenarios, only, tags, ingest)
    if not chosen:
        raise UsageProblem("no scenario selected")
    console = Console()
    options = WorldOptions(ingest=ingest, proxy=proxy, database_url=database_url, seed=1 if seed is None else seed,
                           scenario_timeout_s=scenario_timeout_s)
    run_meta = {"baseline": baseline, "candidate": candidate, "ingest": ingest, "proxy": proxy, "seed": seed,
                "repeats": repeats}
    base_reports, cand_reports = await run_gate(base_build, cand_build, chosen, base_adapter, adapter, options,
                                                repeats, console, run_meta)
    result = compare_runs(base_reports, cand_reports, required)
    undecided = _undecided(result)
    profile = cand_build.profile
    failure = deviations_failure(profile.name, list(profile.deviations), deviations) if profile is not None else None
    render_gate(result, console, summary=undecided is None, failures=[failure] if failure else [])
    if undecided is not None:  # nothing to compare against: not a regression, a gate that cannot decide
        console.print(f"[red]gate: {undecided}[/red]")
        return 2
    render_deviations(cand_build.profile, console, deviations)
    broken_runs = environment_errors({"candidate": cand_reports})
    code = 2 if broken_runs else 1 if result.regressed or failure else 0
    if out is not None:  # gate.json gives the exit code's outcome and why, beside the regressions
        _save(out, base_reports, cand_reports, {**result.to_json(), "passed": code == 0,
                                                "run_failures": [failure.text] if failure else []})
    for line in broken_runs:
        console.print(f"[bold red]environment:[/bold red] {line}")
    return code  # 2: not a regression, the candidate never ran as configured, so it was not judged


def environment_errors(reports: dict[str, list[dict[str, Any]]]) -> list[str]:
    """One line per build and scenario that ended in an environment error (a build that never
    started as configured, a fault plan changed from outside): exit 2, not a regression."""
    out: dict[str, None] = {}
    for build, runs in reports.items():
        for report in runs:
            for s in report.get("scenarios", []):
                error = s.get("error") or ""
                if error.startswith(ENVIRONMENT):
                    out.setdefault(f"{build} {s.get('name')}: {error[len(ENVIRONMENT):].strip()}", None)
    return list(out)



def _undecided(result: GateResult) -> str | None:
    """Why the gate cannot decide (the baseline did not run, or ran out of its wall budget), if so:
    printed instead of the summary line, so a log never says "no regression" above an exit 2."""
    broken = [(d.scenario, d.errors["baseline"]) for d in result.scenarios
              if str(d.errors.get("baseline") or "").startswith("environment:")]
    if broken:
        name, error = broken[0]
        return (f"the baseline did not run {len(broken)} scenario(s) (e.g. {name}: {error}); "
                "if the two builds are driven differently, give the baseline its own --baseline-profile")
    spent = [(d.scenario, d.errors["baseline"]) for d in result.scenarios
             if BUDGET_SPENT in str(d.errors.get("baseline") or "")]
    if spent:  # the released build could not finish on this machine: the budget, not the candidate, decides
        name, error = spent[0]
        return (f"the baseline ran out of its wall budget in {len(spent)} scenario(s) (e.g. {name}: {error}); "
                "nothing to compare the candidate with: raise --scenario-timeout for this machine")
    return None

def _save(out: Path, base: list[dict[str, Any]], cand: list[dict[str, Any]], verdict: dict[str, Any]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for i, (b, c) in enumerate(zip(base, cand), start=1):
        (out / f"baseline-{i}.json").write_text(json.dumps(b, indent=1, default=str), encoding="utf-8")
        (out / f"candidate-{i}.json").write_text(json.dumps(c, indent=1, default=str), encoding="utf-8")
    (out / "gate.json").write_text(json.dumps(verdict, indent=1, default=str), encoding="utf-8")


@click.command()
@click.argument("base", nargs=1, type=click.Path(path_type=Path))
@click.argument("cand", nargs=1, type=click.Path(path_type=Path))
@click.option("--require", "required", type=click.IntRange(1, 50), default=None,
              help="with several reports per build (BASE/CAND as folders): repeats a failure must show in")
def compare(base: Path, cand: Path, required: int | None) -> None:
    """Compare saved JSON reports (`run --report-json`, or folders of `gate --out` reports)."""
    from harness.gate.compare import compare_runs
    from harness.gate.render import render_gate
    from harness.report.json_report import ReportError, read_json

    try:
        base_reports = [read_json(p) for p in _report_files(base, "baseline")]
        cand_reports = [read_json(p) for p in _report_files(cand, "candidate")]
        result = compare_runs(base_reports, cand_reports, required)
    except (ReportError, UsageProblem, ValueError) as exc:
        click.echo(f"tankharness: {exc}", err=True)
        sys.exit(2)
    render_gate(result, Console())
    sys.exit(1 if result.regressed else 0)


def _report_files(path: Path, prefix: str) -> list[Path]:
    """A report file, or a ``gate --out`` folder's ``<prefix>-N.json`` files in repeat order."""
    if path.is_dir():
        files = sorted(path.glob(f"{prefix}-*.json"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
        if not files:
            raise UsageProblem(f"{path}: no {prefix}-N.json reports in this folder")
        return files
    return [path]
