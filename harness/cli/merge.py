"""`tankharness merge REPORT…`: the JSON reports of a sharded run (``run --shard I/N``) as one.

The merge works on the JSON documents, so every field a report carries survives; the JUnit file
and the verdict table are written from the merged document. Shards must not overlap (a scenario
in two reports is an error), must judge one build, and, when the reports say which shard they
are, all N must be there.

JSON reports carry verdicts, not histories: for the HTML report's swimlanes the merge reads each
scenario's ``<name>.history.json`` from the shards' ``--out`` folders (given as arguments beside
the reports) or from beside the reports themselves — a history that records another run (scenario
file, build, seed or shard) is named and left out.
"""
from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any

import click

from harness.contract.errors import UsageProblem


def merge_documents(docs: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """One report document from ``(source, document)`` pairs, in the order given."""
    from harness.report.json_report import SCHEMA
    from harness.report.model import describe_meta, deviation_failure

    if not docs:
        raise UsageProblem("merge: no report given")
    seen: dict[str, str] = {}
    scenarios: list[dict[str, Any]] = []
    for source, doc in docs:
        for sc in doc["scenarios"]:
            name = str(sc.get("name"))
            if name in seen:
                raise UsageProblem(f"merge: scenario {name!r} is in both {seen[name]} and {source} (overlapping shards?)")
            seen[name] = source
            scenarios.append(sc)
    _check_shards([(source, doc.get("meta") or {}) for source, doc in docs])
    _check_builds([(source, doc.get("meta") or {}) for source, doc in docs])
    _check_declarations([(source, doc.get("meta") or {}) for source, doc in docs])
    meta = dict(next((d.get("meta") for _, d in docs if d["scenarios"]), None) or docs[0][1].get("meta") or {})
    meta.pop("shard", None)
    meta["merged_from"] = [source for source, _ in docs]
    scenarios_passed = all(bool(sc.get("passed")) for sc in scenarios)
    run_failures = [f.text for f in (deviation_failure(meta),) if f]  # what each shard's exit code also said
    return {
        "schema": SCHEMA, "meta": meta, "summary": describe_meta(meta),
        "passed": scenarios_passed and not run_failures, "scenarios_passed": scenarios_passed,
        "run_failures": run_failures,
        "durations": {"wall_s": round(sum(float(sc.get("wall_s") or 0) for sc in scenarios), 3),
                      "sim_ms": sum(int(sc.get("sim_ms") or 0) for sc in scenarios)},
        "scenarios": scenarios,
    }


def _check_shards(metas: list[tuple[str, dict[str, Any]]]) -> None:
    shards = [(source, str(meta["shard"])) for source, meta in metas if meta.get("shard")]
    if not shards:
        return
    totals = {s.split("/")[1] for _, s in shards}
    if len(totals) > 1 or len(shards) != len(metas):
        raise UsageProblem("merge: the reports come from different shard splits: "
                           + ", ".join(f"{src} ({s or 'unsharded'})" for src, s in
                                       [(src, str(m.get("shard") or "")) for src, m in metas]))
    total = int(totals.pop())
    have = sorted(int(s.split("/")[0]) for _, s in shards)
    missing = sorted(set(range(1, total + 1)) - set(have))
    if missing or len(have) != len(set(have)):
        raise UsageProblem(f"merge: shards of {total} given: {have}; missing {missing or 'none'}, "
                           f"repeated {sorted({h for h in have if have.count(h) > 1}) or 'none'}")


def _check_builds(metas: list[tuple[str, dict[str, Any]]]) -> None:
    """Shards of one run judge one build (an empty shard's report names it too; one written
    before it did names none and is not compared)."""
    builds = {source: (meta.get("build") or {}) for source, meta in metas if (meta.get("build") or {}).get("sha256")}
    if len({b["sha256"] for b in builds.values()}) > 1:
        raise UsageProblem("merge: the reports judge different builds: " + ", ".join(
            f"{src} ({b.get('name')} {str(b['sha256'])[:12]})" for src, b in builds.items()))


def _check_declarations(metas: list[tuple[str, dict[str, Any]]]) -> None:
    """Shards of one run count the build's declared deviations one way (the same profile and
    ``--deviations``): the merged outcome is read from one shard's ``meta`` and must not depend on
    which. Reports that name no build (an empty shard written before they did) are not compared."""
    def how(meta: dict[str, Any]) -> tuple[str | None, str | None]:
        profile, run = meta.get("profile"), meta.get("run")
        return ((profile.get("sha256") if isinstance(profile, dict) else None),
                (run.get("deviations") if isinstance(run, dict) else None))

    counted = {source: how(meta) for source, meta in metas if (meta.get("build") or {}).get("sha256")}
    if len(set(counted.values())) > 1:
        raise UsageProblem("merge: the reports count declared deviations differently: " + ", ".join(
            f"{src} (profile {str(p)[:12] if p else 'none'}, --deviations {d or '?'})" for src, (p, d) in counted.items()))


def shards_of(docs: list[tuple[str, dict[str, Any]]]) -> dict[str, str | None]:
    """The shard (``I/N``) whose report holds each scenario."""
    return {str(sc.get("name")): (doc.get("meta") or {}).get("shard") for _, doc in docs for sc in doc["scenarios"]}


def report_from_document(doc: dict[str, Any]) -> Any:
    """A ``RunReport`` (for the JUnit writer and the table) from a report document."""
    from harness.report.json_report import scenario_verdict
    from harness.report.model import RunReport, ScenarioEntry

    names = {f.name for f in dataclasses.fields(ScenarioEntry)}
    entries = []
    for sc in doc["scenarios"]:
        fields = {k: v for k, v in sc.items() if k in names and k != "verdict"}
        fields["verdict"] = scenario_verdict(sc) if "guarantees" in sc else None
        entries.append(ScenarioEntry(**fields))
    return RunReport(meta=doc.get("meta") or {}, scenarios=entries)


def attach_histories(report: Any, folders: list[Path], shards: dict[str, str | None] | None = None) -> list[str]:
    """Give each scenario of ``report`` its history from the first folder holding ``<name>.history.json``
    (for the HTML swimlanes), when it records the same run: scenario name, scenario file, build, seed
    and shard (``harness/report/provenance.py``). Returns why a history found could not be used (the
    rest goes on)."""
    from harness.contract.history import HistoryFormatError, load_history
    from harness.report import provenance

    build_sha256 = (report.meta.get("build") or {}).get("sha256")
    problems: list[str] = []
    for entry in report.scenarios:
        path = next((f / f"{entry.name}.history.json" for f in folders
                     if (f / f"{entry.name}.history.json").is_file()), None)
        if path is None:
            continue
        try:
            history = load_history(path)
        except HistoryFormatError as exc:
            problems.append(f"no swimlanes for {entry.name}: {exc}")
            continue
        if history.scenario != entry.name:
            problems.append(f"no swimlanes for {entry.name}: {path} is the history of {history.scenario!r}")
            continue
        expected = provenance.stamp(scenario_sha256=entry.sha256, build_sha256=build_sha256, seed=entry.seed,
                                    shard=(shards or {}).get(entry.name))
        differs = provenance.mismatch(history.meta, expected)
        if differs is not None:
            problems.append(f"no swimlanes for {entry.name}: {path} records another run: {differs}")
            continue
        entry.history = history
    return problems


@click.command()
@click.argument("reports", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--report-json", type=click.Path(path_type=Path), default=None, help="write the merged JSON report here")
@click.option("--junit", type=click.Path(path_type=Path), default=None, help="write the merged JUnit XML here")
@click.option("--html", type=click.Path(path_type=Path), default=None,
              help="write the merged HTML report here (swimlanes from the histories in the --out folders given)")
@click.option("--quiet", is_flag=True, help="do not print the verdict table")
def merge(reports: tuple[Path, ...], report_json: Path | None, junit: Path | None, html: Path | None,
          quiet: bool) -> None:
    """Merge the JSON reports of a sharded run; exit 1 if the run failed (a scenario, or declared
    deviations under --deviations fail, as the shards' own exit codes said).

    REPORTS: the shards' JSON reports, and optionally their ``--out`` folders (histories for the
    HTML swimlanes; histories beside a report are found without)."""
    import json

    from rich.console import Console

    from harness.report.html import write_html
    from harness.report.json_report import ReportError, read_json
    from harness.report.junit import write_junit
    from harness.report.table import render_run

    folders = [p for p in reports if p.is_dir()]
    files = [p for p in reports if not p.is_dir()]
    try:
        docs = [(str(p), read_json(p)) for p in files]
        merged = merge_documents(docs)
    except (ReportError, UsageProblem) as exc:
        click.echo(f"tankharness: {exc}", err=True)
        sys.exit(2)
    report = report_from_document(merged)
    if report_json:
        report_json.parent.mkdir(parents=True, exist_ok=True)
        report_json.write_text(json.dumps(merged, indent=1, ensure_ascii=False, default=str), encoding="utf-8")
    if junit:
        write_junit(report, junit)
    if html:
        for problem in attach_histories(report, [*folders, *dict.fromkeys(p.parent for p in files)], shards_of(docs)):
            click.echo(f"tankharness: {problem}", err=True)
        for folder in folders:
            if not any((folder / f"{s.name}.history.json").is_file() for s in report.scenarios):
                click.echo(f"tankharness: {folder} holds no history of the merged scenarios (not a --out folder?)", err=True)
        write_html(report, html)
    if not quiet:
        render_run(report, Console())
    sys.exit(0 if merged["passed"] else 1)
