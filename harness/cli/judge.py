"""`tankharness judge`: re-judge saved histories without a browser.

A history saved by ``run --out`` holds everything the checker reads, including the guarantees
and policy its scenario declared and the build profile it was judged against, so the verdict here
is the run's verdict — or, with ``--profile``, the verdict under a build's declared limits. The
profile's declared deviations count as in ``run`` (``--deviations``, default fail).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from harness.contract.errors import UsageProblem
from harness.contract.history import History, HistoryFormatError, load_history
from harness.report.rerun import DEVIATIONS_DEFAULT


@click.command()
@click.argument("histories", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--profile", type=click.Path(path_type=Path), default=None,
              help="judge under this build profile (YAML, its `policy` mapping) instead of the one the run recorded; "
                   "the scenario's own overrides still apply")
@click.option("--report-json", type=click.Path(path_type=Path), default=None)
@click.option("--junit", type=click.Path(path_type=Path), default=None)
@click.option("--html", type=click.Path(path_type=Path), default=None, help="self-contained HTML report")
@click.option("--deviations", type=click.Choice(["fail", "warn"]), default=DEVIATIONS_DEFAULT, show_default=True,
              help="whether the declared deviations of the profile judged against (--profile, else the one the "
                   "histories recorded) fail the run, as in `run`")
@click.option("--timeline", "timelines", multiple=True, help="print the timeline of this envelope id (prefix)")
def judge(histories: tuple[Path, ...], profile: Path | None, report_json: Path | None, junit: Path | None,
          html: Path | None, deviations: str, timelines: tuple[str, ...]) -> None:
    """Judge saved histories (HISTORY.json files, or --out folders holding them) and print the verdicts."""
    from rich.console import Console

    from harness.builds.deviations import Declared, render_deviations
    from harness.checker.judge import judge_history, policy_of
    from harness.report.json_report import ReportError, write_json
    from harness.report.junit import write_junit
    from harness.report.model import RunReport, ScenarioEntry
    from harness.report.table import render_run, render_timeline

    try:
        files = history_files(histories)
        loaded = [load_history(p) for p in files]
        overrides = load_profile_policy(profile) if profile else None  # None: the profile the run recorded
        stamp = profile_judged_against(profile, loaded)
        entries = []
        for h in loaded:
            verdict = judge_history(h, policy_of(h, overrides))
            entries.append(ScenarioEntry(h.scenario, verdict, 0.0, h.t_page_end - (verdict.t0 or h.t_page_end), h.error,
                                         list(h.judges), history=h))
    except (HistoryFormatError, ProfileError, ValueError) as exc:
        click.echo(f"tankharness: {exc}", err=True)
        sys.exit(2)
    meta = {"build": {"name": f"histories: {', '.join(str(p) for p in histories)}"}, "run": {"deviations": deviations}}
    if stamp is not None:
        meta["profile"] = stamp
    report = RunReport(meta=meta, scenarios=entries)
    console = Console()
    render_run(report, console)
    for prefix in timelines:
        try:
            render_timeline(report, prefix, console)
        except ReportError as exc:
            console.print(f"[red]--timeline {prefix}: {exc}[/red]")
    if report_json:
        write_json(report, report_json)
    if junit:
        write_junit(report, junit)
    if html:
        from harness.report.html import write_html

        write_html(report, html)
    render_deviations(Declared.of(stamp) if stamp is not None else None, console, deviations)
    sys.exit(0 if report.passed else 1)


def history_files(paths: tuple[Path, ...]) -> list[Path]:
    """Files as given; a folder stands for the ``*.history.json`` files ``run --out`` wrote in it."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            found = sorted(p.glob("*.history.json"))
            if not found:
                raise HistoryFormatError(f"{p}: no *.history.json in this folder (write them with `run --out`)")
            out += found
        elif p.exists():
            out.append(p)
        else:
            raise HistoryFormatError(f"{p}: no such file or folder")
    return out


class ProfileError(ValueError):
    """A build profile cannot be used to judge."""


def profile_judged_against(path: Path | None, histories: list[History]) -> dict[str, Any] | None:
    """What the reports say of the profile the verdicts are judged against: the one given, else the
    one every history recorded (``meta["profile"]``; none for a run without a profile). Histories
    recorded under different profiles are not judged as one run: their deviations would count
    for one of them only."""
    from harness.builds.profile import load_profile
    from harness.report.provenance import profile_stamp

    if path is not None:
        try:
            return profile_stamp(load_profile(path))
        except UsageProblem as exc:
            raise ProfileError(str(exc)) from exc
    recorded = {json.dumps(h.meta.get("profile"), sort_keys=True): h for h in histories}
    if len(recorded) > 1:
        said = "; ".join(f"{h.scenario}: {_name(h.meta.get('profile'))}" for h in recorded.values())
        raise ProfileError(f"these histories were judged against different build profiles ({said}): judge them "
                           "apart, or give --profile")
    stamp = next(iter(recorded.values())).meta.get("profile") if recorded else None
    return stamp if isinstance(stamp, dict) else None


def _name(stamp: Any) -> str:
    return f"profile {stamp.get('name')} ({stamp.get('path')})" if isinstance(stamp, dict) else "no profile"


def load_profile_policy(path: Path) -> dict[str, Any]:
    """The checker policy a build profile declares (harness/builds/profile.py: timeout, backoff,
    emits, debounce, dead-letter shape, raw ``policy:`` limits)."""
    from harness.builds.profile import load_profile

    try:
        return load_profile(path).policy
    except UsageProblem as exc:
        raise ProfileError(str(exc)) from exc


__all__ = ["judge", "history_files", "load_profile_policy", "profile_judged_against"]
