"""A scenario whose setup breaks has its error in its history too, not only in its result: a saved
history judged later (``tankharness judge``) and the report built from it say why nothing ran."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path
from types import SimpleNamespace

from click.testing import CliRunner

from harness.cli import cli
from harness.contract.adapter import Adapter
from harness.contract.history import load_history
from harness.run import suite
from harness.scenario import parse_scenario


def test_a_setup_failure_is_in_the_history_the_out_folder_and_a_later_judgement(monkeypatch, tmp_path: Path) -> None:
    scenario = parse_scenario("name: crashes\njudges: [no_loss]\nsteps: [{open: home}]\n", "scenarios/crashes.yaml")

    async def fake_run(world, scenario, build, adapter):  # noqa: ANN001, ANN202
        raise RuntimeError("the stub could not bind")

    monkeypatch.setattr(suite, "run_scenario", fake_run)
    world = SimpleNamespace(options=SimpleNamespace(out_dir=tmp_path))
    result = asyncio.run(suite.run_scenario_or_error(world, scenario, object(), Adapter()))  # type: ignore[arg-type]
    assert result.error == "scenarios/crashes.yaml: setup failed: RuntimeError: the stub could not bind"
    assert result.history.error == result.error
    assert any("RuntimeError" in n for n in result.history.notes)

    saved = load_history(tmp_path / "crashes.history.json")
    assert saved.error == result.error and saved.judges == ("no_loss",)
    report = tmp_path / "rejudged.json"
    r = CliRunner().invoke(cli, ["judge", str(tmp_path / "crashes.history.json"), "--report-json", str(report)])
    assert r.exit_code == 1, r.output
    assert json.loads(report.read_text())["scenarios"][0]["error"] == result.error
