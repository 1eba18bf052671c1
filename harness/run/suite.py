"""Run a suite: load the build and the scenarios, start the world, run each scenario, report."""
from __future__ import annotations

import dataclasses
import datetime as dt
import importlib.metadata
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from harness.builds import Build, load_build
from harness.builds.deviations import render_deviations
from harness.builds.diagnostics import ENVIRONMENT
from harness.builds.profile import load_profile
from harness.checker import Policy, judge
from harness.contract.adapter import Adapter
from harness.contract.errors import HarnessError, UsageProblem
from harness.contract.history import History, save_history
from harness.report import provenance
from harness.report.model import RunReport, ScenarioEntry
from harness.report.rerun import DEVIATIONS_DEFAULT, run_args, sha256_file, sha256_text
from harness.run.clock import VirtualClock
from harness.run.outdir import claim as claim_out_dir
from harness.run.pool import run_pool
from harness.run.progress import Progress
from harness.run.scenario import Phase, ScenarioResult, describe, run_scenario
from harness.run.shard import take_shard
from harness.scenario import Scenario, load_scenarios
from harness.world.world import World, WorldOptions


@dataclass
class RunRequest:
    tracker: str = "reference"
    scenario_paths: list[Path] = field(default_factory=list)
    only: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    adapter: Adapter = field(default_factory=Adapter)
    ingest: str = "memory"
    database_url: str | None = None
    tap_url: str | None = None
    tap_query: str | None = None
    proxy: bool = True
    seed: int | None = None
    report_json: Path | None = None
    junit: Path | None = None
    html: Path | None = None
    strict: bool = False  # vacuous fails; pending after settle fails unless the scenario expects it
    markdown: Path | None = None
    trace: str = "off"  # off | on | retain-on-failure
    out: Path | None = None
    timelines: list[str] = field(default_factory=list)
    site_id: str | None = None
    shard: tuple[int, int] | None = None  # (I, N): only shard I of N
    browser_ws: str | None = None
    browser_cdp: str | None = None
    scenario_timeout_s: float = 300.0  # wall budget per scenario (the watchdog stops runaway builds sooner)
    profile: Path | None = None  # a build profile (harness/builds/profile.py)
    deviations: str = DEVIATIONS_DEFAULT  # fail | warn: whether declared deviations from the contract fail the run
    workers: int = 1


def select(scenarios: list[Scenario], only: list[str], tags: list[str], ingest: str) -> list[Scenario]:
    """Filter by name and tag; scenarios that need PostgreSQL are skipped without it."""
    names = {s.name for s in scenarios}
    unknown = [n for n in only if n not in names]
    if unknown:
        raise UsageProblem(f"no scenario named {', '.join(unknown)} (see `tankharness list`)")
    chosen = [s for s in scenarios if (not only or s.name in only) and (not tags or set(tags) & set(s.tags))]
    return [s for s in chosen if s.ingest != "postgres" or ingest == "postgres"]


async def run_scenario_or_error(world: World, scenario: Scenario, build: Build, adapter: Adapter,
                                on_clock: Callable[[VirtualClock], None] | None = None,
                                on_word: Callable[[str], None] | None = None) -> ScenarioResult:
    """A scenario whose setup breaks (stub, proxy, store) is reported as an error; the run goes on.

    Its history says the error too (and is kept in ``--out``): a saved history judged later, or a
    report reading the history, must not show an empty run as one that ran. The error names the
    phase that broke; a history the scenario already saved (judging or keeping its traces broke)
    is the run's own and stays as it is."""
    phase = Phase()
    try:
        extra = {k: v for k, v in (("on_clock", on_clock), ("on_word", on_word)) if v is not None}
        return await run_scenario(world, scenario, build, adapter, phase=phase, **extra)
    except HarnessError:
        raise  # the environment is gone: no later scenario can run either
    except Exception as exc:  # noqa: BLE001
        error = f"{scenario.path}: {phase.name} failed: {describe(exc)}"
        notes = ["traceback: " + traceback.format_exc(limit=-6)]
        if phase.saved is not None:
            notes.append(f"the history as the scenario recorded it is saved in {phase.saved}")
        history = History(scenario=scenario.name, outbox_key=adapter.outbox_key, deadletter_key=adapter.deadletter_key,
                          judges=tuple(scenario.judges), notes=list(notes), error=error)
        out_dir = getattr(getattr(world, "options", None), "out_dir", None)
        if out_dir is not None and phase.saved is None:
            try:
                save_history(history, out_dir / f"{scenario.name}.history.json")
            except Exception as failed:  # noqa: BLE001 - the rest of the suite still runs
                history.notes.append(f"the history could not be saved: {describe(failed)}")
        verdict = judge(history, list(scenario.judges), Policy())
        return ScenarioResult(scenario, history, verdict, 0.0, 0, error, history.notes)


async def run_suite(build: Build, scenarios: list[Scenario], adapter: Adapter, options: WorldOptions,
                    console: Console | None = None, run_meta: dict | None = None,
                    workers: int = 1) -> tuple[RunReport, list[ScenarioResult]]:
    """Run scenarios in one world, ``workers`` at once; returns the report and the raw results (histories)."""
    started = dt.datetime.now(dt.timezone.utc)
    async with World(options) as world:
        with Progress(console or Console(quiet=True), len(scenarios), live=None if console else False) as progress:

            async def one(scenario: Scenario) -> ScenarioResult:
                progress.started(scenario.name)
                result = await run_scenario_or_error(world, scenario, build, adapter,
                                                     lambda clock: progress.clock(scenario.name, clock),
                                                     lambda text: progress.note(scenario.name, text))
                progress.finished(result)
                return result

            results = await run_pool(scenarios, one, workers)
        report = make_report(world, build, adapter, results, started, run_meta)
    return report, results


def make_report(world: World, build: Build, adapter: Adapter, results: list[ScenarioResult],
                started: dt.datetime, run_meta: dict | None = None) -> RunReport:
    """The report of a build's results in a world: verdicts plus what ran (hashes, versions)."""
    meta = {**world.meta(), **build_meta(build, adapter, started, run_meta)}
    strict = bool(meta["strict"])
    return RunReport(meta=meta, scenarios=[
        ScenarioEntry(r.scenario.name, r.verdict, r.wall_s, r.sim_ms, r.error, list(r.scenario.judges),
                      seed=r.scenario.seed, path=r.scenario.path, sha256=sha256_file(r.scenario.path), history=r.history,
                      artifacts=str(r.artifacts) if r.artifacts else None, strict=strict,
                      expect_pending=r.scenario.expect_pending)
        for r in results
    ])


def build_meta(build: Build, adapter: Adapter, started: dt.datetime, run_meta: dict | None = None) -> dict:
    """What a report says of the build and how the run was asked for, world or not: its profile's
    declared deviations and ``--deviations`` (``meta.run``) decide the run's outcome even in a
    report with no scenario (an empty shard), and ``merge`` reads them from any shard."""
    meta = {"build": {"name": build.name, "kind": build.kind, "path": str(build.path or ""),
                      "sha256": sha256_text(build.source)},
            "adapter": adapter.__dict__ | {"extra_attrs": dict(adapter.extra_attrs)},
            "started": started.isoformat(), "playwright": _playwright_version()}
    if build.profile is not None:
        meta["profile"] = provenance.profile_stamp(build.profile)
    if run_meta is not None:
        meta["run"] = run_meta
    meta["strict"] = bool((run_meta or {}).get("strict"))
    return meta


def _playwright_version() -> str | None:
    try:
        return importlib.metadata.version("playwright")
    except importlib.metadata.PackageNotFoundError:
        return None


def artifacts_dir(req: RunRequest) -> Path:
    """Traces and screenshots go beside the report: into --out, else beside --html, --report-json
    or --junit, else ./tank-results."""
    if req.out:
        return req.out
    beside = next((p for p in (req.html, req.report_json, req.junit) if p is not None), None)
    return beside.parent if beside is not None else Path("tank-results")


async def run_request(req: RunRequest) -> int:
    from harness.report.json_report import ReportError
    from harness.report.table import render_outcome, render_run, render_timeline

    build = load_build(req.tracker)  # BuildError and ScenarioError are usage problems (exit 2)
    if req.profile is not None:
        profile = load_profile(req.profile)
        build = dataclasses.replace(build, profile=profile)
        req = dataclasses.replace(req, adapter=profile.adapter)
    scenarios = load_scenarios(req.scenario_paths)
    if req.seed is not None:
        scenarios = [dataclasses.replace(s, seed=req.seed) for s in scenarios]
    chosen = select(scenarios, req.only, req.tags, req.ingest)
    if not chosen:
        needs_pg = [s.name for s in scenarios if s.ingest == "postgres" and (not req.only or s.name in req.only)]
        hint = f" ({', '.join(needs_pg)} need --ingest postgres)" if needs_pg else ""
        raise UsageProblem(f"no scenario selected{hint}")
    chosen = take_shard(chosen, req.shard, key=lambda s: s.name)
    shard = "{}/{}".format(*req.shard) if req.shard else None
    console = Console()
    run_meta = run_args(tracker=req.tracker, ingest=req.ingest, proxy=req.proxy, seed=req.seed, adapter=req.adapter,
                        site_id=req.site_id, database_url=req.database_url, tap_url=req.tap_url,
                        strict=req.strict, profile=req.profile, deviations=req.deviations)
    if not chosen:  # more shards than scenarios: an empty report keeps the CI matrix uniform
        # It judged no scenario; the build's declarations are judged all the same, as in every other shard.
        started = dt.datetime.now(dt.timezone.utc)
        report = RunReport(meta={**build_meta(build, req.adapter, started, run_meta), "shard": shard})
        render_outcome(report, console)
        write_reports(report, req)
        render_deviations(build.profile, console, req.deviations)
        return 0 if report.passed else 1
    options = WorldOptions(ingest=req.ingest, proxy=req.proxy, database_url=req.database_url, tap_url=req.tap_url,
                           tap_query=req.tap_query, out_dir=req.out, seed=1 if req.seed is None else req.seed,
                           site_id=req.site_id, browser_ws=req.browser_ws, browser_cdp=req.browser_cdp,
                           trace=req.trace, artifacts_dir=artifacts_dir(req),
                           scenario_timeout_s=req.scenario_timeout_s, strict=req.strict, shard=shard)
    if req.out:
        claim_out_dir(req.out)  # one run per folder; never appends to a previous run's journal
    report, results = await run_suite(build, chosen, req.adapter, options, console, run_meta, req.workers)
    if shard:
        report.meta["shard"] = shard
    render_run(report, console)
    for prefix in req.timelines:
        try:
            render_timeline(report, prefix, console)
        except ReportError as exc:  # a typo in an id must not hide the verdicts
            console.print(f"[red]--timeline {prefix}: {exc}[/red]")
    write_reports(report, req)
    render_deviations(build.profile, console, req.deviations)
    if any((r.error or "").startswith(ENVIRONMENT) for r in results):
        return 2  # the build never ran as configured (or the world was tampered with): not a verdict
    return 0 if report.passed else 1  # the outcome the reports give: verdicts and declared deviations (meta)


def write_reports(report: RunReport, req: RunRequest) -> None:
    from harness.report.html import write_html
    from harness.report.json_report import write_json
    from harness.report.junit import write_junit
    from harness.report.markdown import write_markdown

    if req.report_json:
        write_json(report, req.report_json)
    if req.junit:
        write_junit(report, req.junit)
    for html in {p for p in (req.html, req.out / "report.html" if req.out else None) if p is not None}:
        write_html(report, html)
    write_markdown(report, req.markdown)
