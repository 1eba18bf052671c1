"""Reports render without error, JSON round-trips, JUnit parses, timelines are found by prefix."""
from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET

import pytest
from rich.console import Console

from harness.report.json_report import SCHEMA, ReportError, read_json, run_to_json, write_json
from harness.report.junit import to_junit, write_junit
from harness.report.model import RunReport
from harness.report.table import render_run, render_timeline
from harness.report.timeline import load_timelines, print_timeline_from_report


def _console() -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(file=buf, width=200, color_system=None), buf


def test_run_passed_only_when_every_scenario_passed(run_report: RunReport):
    assert not run_report.passed
    assert [s.passed for s in run_report.scenarios] == [True, False, False]
    assert RunReport({}, run_report.scenarios[:1]).passed


def test_table_renders_matrix_header_and_violations(run_report: RunReport):
    console, buf = _console()
    render_run(run_report, console)
    out = buf.getvalue()
    assert "reference" in out and "chromium-headless-shell" in out and "156.0" in out
    assert "embedded" in out and "memory" in out and "seed 7" in out
    assert "happy" in out and "PASS" in out and "FAIL" in out
    assert "✓" in out and "✗" in out and "·" in out and "~" in out
    assert "cccc3333" in out and "503" in out  # the violation, under the table
    assert "tab 'main' is not open" in out
    assert "2 of 3 scenario(s) failed" in out


def test_table_renders_a_timeline_by_prefix(run_report: RunReport):
    console, buf = _console()
    render_timeline(run_report, "cccc", console)
    out = buf.getvalue()
    assert "cccc3333-lost" in out and "lost" in out
    for what in ("enqueued", "attempt", "arrived", "removed"):
        assert what in out


def test_json_report_round_trip(run_report: RunReport, tmp_path):
    path = write_json(run_report, tmp_path / "out" / "report.json")
    data = read_json(path)
    assert data["schema"] == SCHEMA and data["passed"] is False
    assert data["summary"]["build"].startswith("reference") and data["meta"]["seed"] == 7
    happy, outage, broken = data["scenarios"]
    assert happy["passed"] and not outage["passed"] and broken["error"]
    cols = outage["fates"]["columns"]
    rows = {r[cols.index("id")]: dict(zip(cols, r)) for r in outage["fates"]["rows"]}
    assert rows["cccc3333-lost"]["fate"] == "lost" and rows["bbbb2222-good"]["deliveries"] == 1
    assert {"id", "fate", "reason", "deliveries", "duplicates", "at_rest"} <= set(cols)
    assert outage["timelines"]["cccc3333-lost"]["columns"] == ["t_page", "t_wall", "what", "detail"]
    assert outage["guarantees"]["response_ok"]["status"] == "fail"
    assert outage["counts"]["unexpected"] == 1 and outage["unexpected"][0]["ea"] == "ghost"
    assert json.loads(json.dumps(run_to_json(run_report), default=str)) == data


def test_timeline_from_saved_report(run_report: RunReport, tmp_path):
    path = write_json(run_report, tmp_path / "report.json")
    [(scenario, fate, t0)] = load_timelines(path, "cccc3333")
    assert scenario == "outage" and fate.fate == "lost" and t0 is not None
    assert [t.what for t in fate.timeline][:2] == ["enqueued", "attempt"]
    console, buf = _console()
    print_timeline_from_report(path, "cccc3333-lost", console)
    assert "removed" in buf.getvalue()


@pytest.mark.parametrize("key,words", [("zzz", "no envelope"), ("", "give an envelope id"), ("b", None)])
def test_timeline_lookup_errors_are_clear(run_report: RunReport, tmp_path, key, words):
    path = write_json(run_report, tmp_path / "report.json")
    if words is None:  # "b" matches only bbbb2222-good: fine
        assert load_timelines(path, key)[0][1].id == "bbbb2222-good"
        return
    with pytest.raises(ReportError, match=words):
        load_timelines(path, key)


def test_timeline_ambiguous_prefix(run_report: RunReport, tmp_path):
    data = json.loads(json.dumps(run_to_json(run_report), default=str))
    # two envelopes starting with the same letters
    fates = data["scenarios"][1]["fates"]
    fates["rows"].append(list(fates["rows"][0]))
    fates["rows"][-1][0] = "cccc3333-other"
    with pytest.raises(ReportError, match="ambiguous: cccc3333-lost, cccc3333-other"):
        load_timelines(data, "cccc")


@pytest.mark.parametrize("content,words", [
    (None, "no such report"), ("{", "not JSON"), ('{"schema": "other"}', "not a tankharness"),
    (json.dumps({"schema": SCHEMA}), "no scenario list"),
])
def test_bad_report_files(tmp_path, content, words):
    path = tmp_path / "r.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ReportError, match=words):
        read_json(path)


def test_malformed_scenario_in_report(tmp_path):
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"schema": SCHEMA, "scenarios": [{"name": "x", "fates": {"columns": 1}}]}))
    with pytest.raises(ReportError, match="malformed fates table"):
        load_timelines(path, "a")


def test_junit_parses_and_counts(run_report: RunReport, tmp_path):
    path = write_junit(run_report, tmp_path / "junit.xml")
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {"happy", "outage", "broken"}
    outage = suites["outage"]
    cases = {c.get("name"): c for c in outage.findall("testcase")}
    assert set(cases) == {"no_loss", "response_ok", "nothing_unexpected", "timeout"}  # judged ones only
    assert cases["response_ok"].find("failure") is not None
    assert "cccc3333" in cases["response_ok"].find("failure").text
    assert cases["timeout"].find("skipped").get("message").startswith("vacuous")
    assert suites["broken"].find("testcase/error") is not None
    assert int(root.get("failures")) == 3 and int(root.get("errors")) == 1 and int(root.get("skipped")) >= 1
    assert int(root.get("tests")) == sum(int(s.get("tests")) for s in suites.values())
    # the control character in a label does not break the XML
    ET.fromstring(ET.tostring(to_junit(run_report).getroot()))


def test_narrow_console_splits_the_matrix(run_report: RunReport):
    from harness.report.table import matrices
    wide, _ = _console()
    narrow = Console(file=io.StringIO(), width=90, color_system=None)
    assert len(matrices(run_report, wide)) == 1
    tables = matrices(run_report, narrow)
    assert [t.title for t in tables] == ["Verdicts", "Fates"]
    render_run(run_report, narrow)  # and it still renders
    assert "FAIL" in narrow.file.getvalue()
