"""The run's outcome in every report agrees with the exit code: a profile's declared deviations
fail the run under ``--deviations fail`` (each guarantee's verdict unchanged), not under ``warn``,
and never a report that does not say how they count (``judge``'s, the gate's per-build ones)."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from harness.report.json_report import run_to_json
from harness.report.junit import to_junit
from harness.report.markdown import to_markdown
from harness.report.model import RunReport, ScenarioEntry
from tests.report.conftest import META, failing, passing

ROOT = Path(__file__).resolve().parents[2]
DECLARED = ["timeout 8 s (contract 5 s)", "batches of at most 25 event(s) (contract 20)"]


def _report(run: dict[str, Any] | None, *entries: ScenarioEntry) -> RunReport:
    meta: dict[str, Any] = {**META, "profile": {"name": "tagq", "path": "profiles/tagq.yaml", "deviations": DECLARED}}
    if run is not None:
        meta["run"] = run
    return RunReport(meta, list(entries) or [ScenarioEntry("happy", passing(), 1.0, 60_000, None, ["no_loss"])])


def test_declared_deviations_under_fail_fail_the_run_in_json_and_junit() -> None:
    report = _report({"deviations": "fail"})
    assert report.scenarios_passed and not report.passed
    doc = run_to_json(report)
    assert doc["passed"] is False and doc["scenarios_passed"] is True
    assert doc["run_failures"] == ["deviations: 2 declared deviation(s) of profile tagq, --deviations fail: "
                                   + "; ".join(DECLARED)]
    assert doc["scenarios"][0]["passed"] is True
    assert doc["scenarios"][0]["guarantees"]["no_loss"]["status"] == "pass"
    root = to_junit(report).getroot()
    assert (root.get("tests"), root.get("failures")) == ("4", "1")
    [suite] = root.findall("testsuite[@name='run']")
    assert (suite.get("tests"), suite.get("failures")) == ("1", "1")
    failure = suite.find("testcase[@name='declared_deviations']/failure")
    assert failure is not None and failure.get("type") == "deviations"
    assert failure.get("message") == doc["run_failures"][0]
    assert (failure.text or "").splitlines() == DECLARED
    summary = to_markdown(report)  # the CI job summary ($GITHUB_STEP_SUMMARY)
    assert "✅" not in summary.splitlines()[2] and "❌" in summary.splitlines()[2], summary
    assert doc["run_failures"][0] in summary


def test_declared_deviations_under_warn_are_listed_and_the_run_passes() -> None:
    report = _report({"deviations": "warn"})
    assert report.passed
    doc = run_to_json(report)
    assert (doc["passed"], doc["scenarios_passed"], doc["run_failures"]) == (True, True, [])
    root = to_junit(report).getroot()
    assert root.get("failures") == "0"
    case = root.find("testsuite[@name='run']/testcase[@name='declared_deviations']")
    assert case is not None and case.find("failure") is None
    out = case.find("system-out")
    assert out is not None and DECLARED[0] in (out.text or "")
    assert "✅ all 1 scenario(s) passed" in to_markdown(report)


@pytest.mark.parametrize("run", [None, {"deviations": None}, {}])
def test_a_report_that_does_not_say_how_deviations_count_is_judged_by_its_verdicts(run: dict | None) -> None:
    report = _report(run)
    assert report.passed and run_to_json(report)["run_failures"] == []
    assert to_junit(report).getroot().find("testsuite[@name='run']") is None


def test_a_failed_scenario_fails_the_run_whatever_the_deviations_mode() -> None:
    report = _report({"deviations": "warn"}, ScenarioEntry("outage", failing(), 1.0, 60_000, None, ["no_loss"]))
    doc = run_to_json(report)
    assert (doc["passed"], doc["scenarios_passed"], doc["run_failures"]) == (False, False, [])


@pytest.mark.parametrize("mode", ["fail", "warn"])
def test_merged_shards_keep_the_outcome_of_the_declared_deviations(mode: str) -> None:
    from harness.cli.merge import merge_documents

    docs = []
    for i, name in ((1, "happy"), (2, "other")):
        report = _report({"deviations": mode}, ScenarioEntry(name, passing(), 1.0, 60_000, None, ["no_loss"]))
        report.meta["shard"] = f"{i}/2"
        docs.append((f"shard{i}.json", run_to_json(report)))
    merged = merge_documents(docs)
    assert [d["passed"] for _, d in docs] == [mode == "warn"] * 2
    assert (merged["passed"], merged["scenarios_passed"]) == (mode == "warn", True)
    assert merged["run_failures"] == docs[0][1]["run_failures"]


@pytest.mark.parametrize(("mode", "code"), [("fail", 1), ("warn", 0)])
def test_the_gate_json_gives_the_gate_exit_codes_outcome(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                         mode: str, code: int) -> None:
    """``gate --deviations fail`` exits 1 for a candidate whose only findings are its declared
    deviations: gate.json says so beside ``regressed: false``."""
    from harness.cli.gate import _gate
    from harness.contract.adapter import Adapter
    from harness.gate import runner

    async def nothing_regressed(*_args: object, **_kwargs: object) -> tuple[list[dict], list[dict]]:
        meta = {**META, "build": {"name": "reference", "kind": "reference", "sha256": "0" * 64}}
        doc = run_to_json(RunReport(meta, [ScenarioEntry("happy_path", passing(), 1.0, 60_000, None, ["no_loss"])]))
        return [doc], [doc]

    monkeypatch.setattr(runner, "run_gate", nothing_regressed)
    profile = ROOT / "tracker_js/profiles/timeout_15s.yaml"
    assert asyncio.run(_gate("reference", "mutant:timeout_15s", 1, None, [ROOT / "scenarios"], ["happy_path"], [],
                             Adapter(), "memory", None, True, None, tmp_path, None, mode,
                             candidate_profile=str(profile))) == code
    verdict = json.loads((tmp_path / "gate.json").read_text(encoding="utf-8"))
    assert verdict["regressed"] is False and verdict["passed"] is (code == 0)
    if mode == "fail":
        [why] = verdict["run_failures"]
        assert why.startswith("deviations: 1 declared deviation(s) of profile timeout_15s, --deviations fail")
    else:
        assert verdict["run_failures"] == []


def _closing_line(report: RunReport) -> str:
    import io

    from rich.console import Console

    from harness.report.table import render_run

    buf = io.StringIO()
    render_run(report, Console(file=buf, width=200, color_system=None))
    return buf.getvalue().rstrip().splitlines()[-1]


FAILS = "all 1 scenario(s) passed; the run fails: 2 declared deviation(s) of profile tagq, --deviations fail"


@pytest.mark.parametrize(("mode", "line"), [("fail", FAILS), ("warn", "all 1 scenario(s) passed")])
def test_every_headline_reads_the_exit_codes_outcome(mode: str, line: str) -> None:
    """The terminal's closing line (``run`` and ``merge``), the Markdown summary and the HTML data
    say what the exit code says; under fail the terminal read 'all 1 scenario(s) passed' before."""
    from harness.report.html import html_document

    report = _report({"deviations": mode})
    assert report.headline() == line
    assert _closing_line(report) == line
    assert to_markdown(report).splitlines()[2].startswith(("**❌ " if mode == "fail" else "**✅ ") + line + "**")
    page = html_document(report)
    data = json.loads(page[page.index('id="tank-data">') + len('id="tank-data">'):].split("</script>")[0])
    assert data["outcome"] == {"passed": mode == "warn", "headline": line}


def test_a_failed_scenario_and_failing_deviations_are_both_in_the_headline() -> None:
    report = _report({"deviations": "fail"}, ScenarioEntry("outage", failing(), 1.0, 60_000, None, ["no_loss"]))
    assert _closing_line(report) == ("1 of 1 scenario(s) failed; the run fails: "
                                     "2 declared deviation(s) of profile tagq, --deviations fail")


@pytest.mark.parametrize(("mode", "passed"), [("fail", False), ("warn", True)])
def test_an_empty_shard_is_judged_on_the_declarations_it_carries(mode: str, passed: bool) -> None:
    report = RunReport({**_report({"deviations": mode}).meta, "shard": "3/3"})
    assert report.passed is passed and report.scenarios_passed
    assert report.headline() == "no scenario in shard 3/3" + (
        "; the run fails: 2 declared deviation(s) of profile tagq, --deviations fail" if mode == "fail" else "")


@pytest.mark.parametrize(("mode", "line"), [
    ("fail", "gate: no regression in 1 scenario(s); the gate fails: "
             "1 declared deviation(s) of profile timeout_15s, --deviations fail DEVIATIONS"),
    ("warn", "gate: no regression in 1 scenario(s) DEVIATIONS")])
def test_the_gate_closing_line_reads_its_exit_codes_outcome(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str], mode: str,
                                                            line: str) -> None:
    """``gate --deviations fail`` exits 1 for a candidate's declarations alone: its closing line
    read 'gate: no regression in 1 scenario(s)' before."""
    test_the_gate_json_gives_the_gate_exit_codes_outcome(monkeypatch, tmp_path, mode, 1 if mode == "fail" else 0)
    assert line in " ".join(capsys.readouterr().out.split())  # the whole closing line, then the section


@pytest.mark.parametrize("differ", ["mode", "profile"])
def test_shards_that_count_the_declarations_differently_do_not_merge(differ: str) -> None:
    """The merged outcome is read from one shard's meta: before, shards run with --deviations fail
    and warn merged as failed or passed depending on which report came first."""
    from harness.cli.merge import merge_documents
    from harness.contract.errors import UsageProblem

    docs = []
    for i, mode in ((1, "fail"), (2, "warn" if differ == "mode" else "fail")):
        report = _report({"deviations": mode}, ScenarioEntry(f"s{i}", passing(), 1.0, 60_000, None, ["no_loss"]))
        report.meta.update(shard=f"{i}/2", build={"name": "tagq", "sha256": "b" * 64})
        report.meta["profile"]["sha256"] = ("c" if differ == "profile" and i == 2 else "a") * 64
        docs.append((f"shard{i}.json", run_to_json(report)))
    with pytest.raises(UsageProblem, match="count declared deviations differently: shard1.json .profile aaaaaaaaaaaa, "
                                           "--deviations fail., shard2.json"):
        merge_documents(docs)
    with pytest.raises(UsageProblem):
        merge_documents(list(reversed(docs)))
