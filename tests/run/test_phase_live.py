"""A real scenario run whose judging breaks after it saved its history (scenario.py saves, then
judges and keeps traces): the suite names the phase and leaves the run's own history in --out."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from harness.builds import load_build
from harness.contract.adapter import Adapter
from harness.contract.history import load_history
from harness.run import scenario as scenario_module
from harness.run.suite import run_suite
from harness.scenario import load_scenario
from harness.world.world import WorldOptions


@pytest.mark.browser
def test_judging_that_breaks_after_the_save_keeps_the_runs_history(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def broken(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(scenario_module, "judge_history", broken)
    happy = load_scenario(Path("scenarios/happy_path.yaml"))
    _, [result] = asyncio.run(run_suite(load_build("reference"), [happy], Adapter(),
                                        WorldOptions(ingest="memory", out_dir=tmp_path)))
    assert result.error == f"{happy.path}: judging failed: OSError: [Errno 28] No space left on device", result.error
    saved = load_history(tmp_path / "happy_path.history.json")
    assert saved.error is None and saved.journal and saved.t_page_end > happy.start_ms
