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
from harness.contract.history import History, load_history, save_history
from harness.run import suite
from harness.scenario import parse_scenario


def test_a_setup_failure_is_in_the_history_the_out_folder_and_a_later_judgement(monkeypatch, tmp_path: Path) -> None:
    scenario = parse_scenario("name: crashes\njudges: [no_loss]\nsteps: [{open: home}]\n", "scenarios/crashes.yaml")

    async def fake_run(world, scenario, build, adapter, **_):  # noqa: ANN001, ANN202
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


def test_a_failure_after_the_scenario_saved_its_history_keeps_that_history(monkeypatch, tmp_path: Path) -> None:
    """Judging or keeping the traces broke after run_scenario saved the run's own history: that
    history stays as it was saved (it was overwritten by an empty one saying 'setup failed'), and
    the error names the phase."""
    scenario = parse_scenario("name: ran\njudges: [no_loss]\nsteps: [{open: home}]\n", "scenarios/ran.yaml")

    async def fake_run(world, scenario, build, adapter, phase, **_):  # noqa: ANN001, ANN202
        path = world.options.out_dir / "ran.history.json"  # as scenario.py does before judging
        save_history(History(scenario="ran", outbox_key="o", deadletter_key="d", t_page_end=123_456,
                             notes=["the real run"]), path)
        phase.name, phase.saved = "judging", path
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(suite, "run_scenario", fake_run)
    world = SimpleNamespace(options=SimpleNamespace(out_dir=tmp_path))
    result = asyncio.run(suite.run_scenario_or_error(world, scenario, object(), Adapter()))  # type: ignore[arg-type]
    saved = load_history(tmp_path / "ran.history.json")
    assert saved.notes == ["the real run"] and saved.t_page_end == 123_456
    assert result.error == "scenarios/ran.yaml: judging failed: OSError: [Errno 28] No space left on device"
    assert any(str(tmp_path / "ran.history.json") in n for n in result.history.notes)


def test_a_history_that_cannot_be_saved_does_not_stop_the_suite(monkeypatch, tmp_path: Path) -> None:
    """Teardown broke and saving the error's history breaks too: the scenario is an error, named by
    its phase, and the suite goes on (the save's exception escaped and aborted every scenario after)."""
    scenario = parse_scenario("name: torn\njudges: [no_loss]\nsteps: [{open: home}]\n", "scenarios/torn.yaml")

    async def fake_run(world, scenario, build, adapter, phase, **_):  # noqa: ANN001, ANN202
        phase.name = "teardown"
        raise RuntimeError("the stub would not stop")

    def full_disk(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(suite, "run_scenario", fake_run)
    monkeypatch.setattr(suite, "save_history", full_disk)
    world = SimpleNamespace(options=SimpleNamespace(out_dir=tmp_path))
    result = asyncio.run(suite.run_scenario_or_error(world, scenario, object(), Adapter()))  # type: ignore[arg-type]
    assert result.error == "scenarios/torn.yaml: teardown failed: RuntimeError: the stub would not stop"
    assert result.history.notes[-1] == "the history could not be saved: OSError: [Errno 28] No space left on device"
