"""--strict: vacuous fails, pending after settle fails unless expected; JUnit: real times, clean
names, the build hash as a property; vacuous is skipped only when not strict."""
from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import pytest
from rich.console import Console

from harness.checker.verdict import GuaranteeResult, ScenarioVerdict
from harness.report.junit import to_junit
from harness.report.model import RunReport, ScenarioEntry
from harness.report.table import render_run
from harness.scenario import parse_scenario

META = {"build": {"name": "file:/home/me/builds/tracker-2.js", "kind": "file", "sha256": "cd" * 32}, "seed": 1}


def entry(strict: bool, pending: int = 0, expect_pending: bool = False) -> ScenarioEntry:
    verdict = ScenarioVerdict("s", counts={"delivered": 3, "pending": pending}, guarantees={
        "no_loss": GuaranteeResult("no_loss", "pass", 3), "retry": GuaranteeResult("retry", "vacuous", 0, note="no failure")})
    return ScenarioEntry("s", verdict, 6.0, 1000, None, ["no_loss", "retry"], seed=5, sha256="ef" * 32,
                         strict=strict, expect_pending=expect_pending)


def test_vacuous_passes_unless_strict() -> None:
    assert entry(False).passed
    strict = entry(True)
    assert not strict.passed and strict.strict_failures() == ["vacuous (not exercised): retry"]


@pytest.mark.parametrize("expect, fails", [(False, True), (True, False)])
def test_pending_after_settle_fails_in_strict_unless_expected(expect: bool, fails: bool) -> None:
    e = entry(True, pending=2, expect_pending=expect)
    assert any("2 event(s) still pending" in r for r in e.strict_failures()) is fails
    assert not entry(False, pending=2).strict_failures()


def test_terminal_says_why_strict_failed() -> None:
    buf = io.StringIO()
    render_run(RunReport(META, [entry(True, pending=2)]), Console(file=buf, width=80, color_system=None))
    out = buf.getvalue()
    assert "FAIL s" in out and "strict: vacuous (not exercised): retry" in out and "2 event(s) still pending" in out


def _cases(report: RunReport) -> dict[str, ET.Element]:
    root = to_junit(report).getroot()
    return {c.get("name"): c for c in root.iter("testcase")}


def test_junit_vacuous_skipped_when_not_strict_failure_when_strict() -> None:
    assert _cases(RunReport(META, [entry(False)]))["retry"].find("skipped") is not None
    strict = _cases(RunReport({**META, "strict": True}, [entry(True, pending=1)]))
    assert strict["retry"].find("failure") is not None
    assert strict["pending_after_settle"].find("failure") is not None


def test_junit_times_names_and_properties() -> None:
    root = to_junit(RunReport(META, [entry(False)])).getroot()
    assert root.get("name") == "tankharness tracker-2.js" and "file:" not in ET.tostring(root, encoding="unicode")
    suite = root.find("testsuite")
    times = [float(c.get("time")) for c in suite.iter("testcase")]
    assert all(t > 0 for t in times) and sum(times) == pytest.approx(6.0, abs=0.01)
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["build_sha256"] == "cd" * 32 and props["seed"] == "5" and props["scenario_sha256"] == "ef" * 32


def test_scenarios_declare_expected_pending() -> None:
    base = "name: x\njudges: [no_loss]\nsteps:\n  - open: home\n"
    assert parse_scenario(base, "x.yaml").expect_pending is False
    assert parse_scenario(base + "expect_pending: true\n", "x.yaml").expect_pending is True
    with pytest.raises(ValueError, match="expect_pending"):
        parse_scenario(base + "expect_pending: maybe\n", "x.yaml")


def test_markdown_summary_names_guarantees_and_appends_to_github_summary(run_report, tmp_path, monkeypatch) -> None:
    from harness.report.markdown import write_markdown

    summary = tmp_path / "step_summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    write_markdown(run_report, tmp_path / "run.md")
    text = (tmp_path / "run.md").read_text()
    assert "| outage | **FAIL** | `response_ok`, `no_loss`, `nothing_unexpected` | `timeout` |" in text
    assert "### ❌ broken" in text and "tab 'main' is not open" in text
    assert summary.read_text() == "earlier step\n" + text


def _suite_props(report: RunReport) -> dict[str, str]:
    suite = to_junit(report).getroot().find("testsuite")
    return {p.get("name"): p.get("value") for p in suite.iter("property")}


def test_junit_properties_say_why_strict_failed() -> None:
    props = _suite_props(RunReport({**META, "strict": True}, [entry(True, pending=2)]))
    assert props["strict_failures"] == ("vacuous (not exercised): retry; 2 event(s) still pending after settle "
                                        "(the scenario does not declare `expect_pending: true`)")
    assert "strict_failures" not in _suite_props(RunReport(META, [entry(False, pending=2)]))


def test_a_merged_report_judges_strict_as_the_shard_did(tmp_path) -> None:
    from click.testing import CliRunner

    from harness.cli.merge import merge
    from harness.report.json_report import write_json

    write_json(RunReport({**META, "strict": True}, [entry(True, pending=2)]), tmp_path / "shard.json")
    result = CliRunner().invoke(merge, [str(tmp_path / "shard.json"), "--junit", str(tmp_path / "m.xml"), "--quiet"])
    assert result.exit_code == 1, result.output
    suite = ET.parse(tmp_path / "m.xml").getroot().find("testsuite")
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["strict_failures"].startswith("vacuous (not exercised): retry; 2 event(s) still pending")
    assert suite.get("failures") == "2"  # retry (vacuous) and pending_after_settle
