"""A build whose only findings are its profile's declared deviations: ``run`` exits 1 under
``--deviations fail`` (its default) and 0 under ``warn``, and what it prints and its help say so —
every guarantee held, so a script reading only the exit code must be told why it is 1."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli import cli
from harness.report.model import RunReport, ScenarioEntry
from harness.run import suite
from tests.report.conftest import META, passing

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("mode", "code"), [("fail", 1), ("warn", 0)])
def test_declared_deviations_alone_exit_as_the_mode_says_and_the_output_says_why(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], mode: str, code: int) -> None:
    async def every_guarantee_held(*_args: object, **_kwargs: object) -> tuple[RunReport, list[object]]:
        return RunReport(dict(META), [ScenarioEntry("happy_path", passing(), 1.0, 60_000, None, ["no_loss"])]), []

    monkeypatch.setattr(suite, "run_suite", every_guarantee_held)
    request = suite.RunRequest(tracker="mutant:timeout_15s", scenario_paths=[ROOT / "scenarios"], only=["happy_path"],
                               profile=ROOT / "tracker_js/profiles/timeout_15s.yaml", deviations=mode)
    assert asyncio.run(suite.run_request(request)) == code
    out = " ".join(capsys.readouterr().out.split())
    assert f"--deviations {mode}" in out and "timeout 15 s" in out
    assert ("the run fails (exit 1; --deviations warn lists them without failing)" in out) == (mode == "fail")


def test_the_help_says_declared_deviations_exit_1() -> None:
    run_help = " ".join(CliRunner().invoke(cli, ["run", "--help"], terminal_width=200).output.split())
    assert "with fail, a build declaring any exits 1 even when every guarantee held" in run_help
    top_help = " ".join(CliRunner().invoke(cli, ["--help"], terminal_width=200).output.split())
    assert "declares deviations under --deviations fail" in top_help
