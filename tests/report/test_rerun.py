"""Every failed scenario carries the command that reruns it, with its seed and the input hashes."""
from __future__ import annotations

import io
import shlex

from rich.console import Console

from harness.cli.run import run as run_command
from harness.contract.adapter import Adapter
from harness.report.json_report import run_to_json
from harness.report.model import RunReport, ScenarioEntry
from harness.report.rerun import run_args, sha256_file
from harness.report.table import render_run


def _report(run_report: RunReport, tmp_path) -> RunReport:
    scenario = tmp_path / "outage.yaml"
    scenario.write_text("name: outage\n")
    meta = {**run_report.meta, "build": {**run_report.meta["build"], "sha256": "ab" * 32},
            "run": run_args(tracker="mutant:no_retry", ingest="memory", proxy=True, seed=None,
                            adapter=Adapter(outbox_key="k2", extra_attrs={"data-x": "1 2"}), site_id=None,
                            database_url="postgres://u:secret@h/db", tap_url=None)}
    entries = [ScenarioEntry(e.name, e.verdict, e.wall_s, e.sim_ms, e.error, e.judges, seed=41 + i,
                             path=str(scenario), sha256=sha256_file(scenario))
               for i, e in enumerate(run_report.scenarios)]
    return RunReport(meta, entries)


def test_failed_scenarios_show_a_rerun_line_with_seed_and_hashes(run_report: RunReport, tmp_path) -> None:
    report = _report(run_report, tmp_path)
    buf = io.StringIO()
    render_run(report, Console(file=buf, width=80, color_system=None))
    out = buf.getvalue()
    assert "seed per scenario" in out  # not "seed 1" while each scenario ran with its own
    reruns = [line.split("rerun: ", 1)[1] for line in out.splitlines() if "rerun: " in line]
    assert len(reruns) == 2  # outage and broken failed; happy passed
    assert "--only outage" in reruns[0] and "--seed 42" in reruns[0] and "--only broken" in reruns[1]
    assert "secret" not in out and '--database-url "$DATABASE_URL"' in reruns[0]
    assert "ab" * 32 in out and sha256_file(tmp_path / "outage.yaml") in out
    # The command is one the CLI accepts as written.
    args = shlex.split(reruns[0].replace('"$DATABASE_URL"', "postgres://x"))
    assert args[:2] == ["tankharness", "run"]
    ctx = run_command.make_context("run", args[2:])
    assert ctx.params["seed"] == 42 and ctx.params["only"] == ("outage",)
    assert ctx.params["outbox_key"] == "k2" and ctx.params["attrs"] == ("data-x=1 2",)


def test_json_report_carries_seed_hash_and_rerun(run_report: RunReport, tmp_path) -> None:
    data = run_to_json(_report(run_report, tmp_path))
    outage = data["scenarios"][1]
    assert outage["seed"] == 42 and len(outage["sha256"]) == 64 and "--seed 42" in outage["rerun"]
    assert data["summary"]["seed"] == "per scenario"


def test_a_profiled_run_reruns_with_its_profile_and_deviations(run_report: RunReport, tmp_path) -> None:
    """The profile supplies the adapter, so its options are not repeated; ``--deviations`` only when not the default."""
    profile = tmp_path / "timeout_15s.yaml"
    entry = ScenarioEntry("outage", None, seed=7, path=str(tmp_path / "outage.yaml"))
    for deviations, shown in (("warn", True), ("fail", False)):
        run = run_args(tracker="mutant:timeout_15s", ingest="memory", proxy=True, seed=None,
                       adapter=Adapter(outbox_key="k2"), site_id=None, database_url=None, tap_url=None,
                       profile=profile, deviations=deviations)
        line = entry.rerun({"run": run})
        ctx = run_command.make_context("run", shlex.split(line)[2:])
        assert ctx.params["profile"] == profile and ctx.params["deviations"] == deviations
        assert ("--deviations" in line) is shown and "--outbox-key" not in line
    assert "--profile" not in entry.rerun({"run": run_args(tracker="reference", ingest="memory", proxy=True, seed=None,
                                                           adapter=Adapter(), site_id=None, database_url=None,
                                                           tap_url=None)})
