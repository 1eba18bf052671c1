"""A build whose only findings are its profile's declared deviations: ``run`` exits 1 under
``--deviations fail`` (its default) and 0 under ``warn``, and what it prints and its help say so —
every guarantee held, so a script reading only the exit code must be told why it is 1."""
from __future__ import annotations

import asyncio
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.builds import Build
from harness.cli import cli
from harness.report.model import RunReport, ScenarioEntry
from harness.run import suite
from tests.report.conftest import META, passing

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("mode", "code"), [("fail", 1), ("warn", 0)])
def test_declared_deviations_alone_exit_as_the_mode_says_and_the_output_says_why(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path, mode: str,
        code: int) -> None:
    async def every_guarantee_held(build: Build, _scenarios: object, _adapter: object, _options: object,
                                   _console: object, run_meta: dict, _workers: object) -> tuple[RunReport, list[object]]:
        assert build.profile is not None
        meta = {**META, "run": run_meta, "profile": {"name": build.profile.name, "path": build.profile.path,
                                                     "deviations": list(build.profile.deviations)}}
        return RunReport(meta, [ScenarioEntry("happy_path", passing(), 1.0, 60_000, None, ["no_loss"])]), []

    monkeypatch.setattr(suite, "run_suite", every_guarantee_held)
    request = suite.RunRequest(tracker="mutant:timeout_15s", scenario_paths=[ROOT / "scenarios"], only=["happy_path"],
                               profile=ROOT / "tracker_js/profiles/timeout_15s.yaml", deviations=mode,
                               report_json=tmp_path / "report.json", junit=tmp_path / "junit.xml")
    assert asyncio.run(suite.run_request(request)) == code
    out = " ".join(capsys.readouterr().out.split())
    assert f"--deviations {mode}" in out and "timeout 15 s" in out
    assert ("the run fails (exit 1; --deviations warn lists them without failing)" in out) == (mode == "fail")
    # The closing line of the table reads the exit code's outcome (it read 'all 1 scenario(s) passed').
    closing = "all 1 scenario(s) passed" + (
        "; the run fails: 1 declared deviation(s) of profile timeout_15s, --deviations fail" if mode == "fail" else "")
    assert f"{closing} DEVIATIONS declared by profile timeout_15s" in out

    # The reports give the exit code's outcome; each guarantee's verdict stays as judged.
    doc = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert doc["passed"] is (code == 0) and doc["scenarios_passed"] is True
    assert [s["passed"] for s in doc["scenarios"]] == [True]
    assert doc["scenarios"][0]["guarantees"]["no_loss"]["status"] == "pass"
    if mode == "fail":
        [why] = doc["run_failures"]
        assert why.startswith("deviations: 1 declared deviation(s) of profile timeout_15s, --deviations fail")
    else:
        assert doc["run_failures"] == []
    root = ET.parse(tmp_path / "junit.xml").getroot()
    assert root.get("failures") == ("1" if mode == "fail" else "0") and root.get("errors") == "0"
    [case] = root.findall("testsuite[@name='run']/testcase[@name='declared_deviations']")
    failure = case.find("failure")
    assert (failure is not None) == (mode == "fail")
    if failure is not None:
        assert failure.get("type") == "deviations" and "timeout 15 s" in (failure.get("message") or "")


def test_the_help_says_declared_deviations_exit_1() -> None:
    run_help = " ".join(CliRunner().invoke(cli, ["run", "--help"], terminal_width=200).output.split())
    assert "with fail, a build declaring any exits 1 even when every guarantee held" in run_help
    top_help = " ".join(CliRunner().invoke(cli, ["--help"], terminal_width=200).output.split())
    assert "declares deviations under --deviations fail" in top_help
