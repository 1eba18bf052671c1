"""``judge`` re-judges saved histories against the profile they were judged against, declared
deviations included: a run that exited 1 for its deviations is not passed by ``judge`` (it exited 0
and never named them). Hand-written histories, no browser."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.builds.profile import load_profile
from harness.cli import cli
from harness.contract.history import History, save_history
from harness.report.provenance import profile_stamp

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_15S = ROOT / "tracker_js/profiles/timeout_15s.yaml"


def _saved(folder: Path, name: str, profile: Path | None) -> Path:
    """A history with nothing in it but what the run recorded of its build profile."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = profile_stamp(load_profile(profile)) if profile else None
    history = History(scenario=name, outbox_key="opsmantik_outbox_v2", deadletter_key=None, meta={"profile": stamp})
    save_history(history, folder / f"{name}.history.json")
    return folder


def _judge(*args: str) -> tuple[int, str]:
    r = CliRunner().invoke(cli, ["judge", *args], terminal_width=200)
    return r.exit_code, " ".join((r.stdout + r.stderr).split())


@pytest.mark.parametrize(("mode", "code"), [("fail", 1), ("warn", 0)])
def test_the_recorded_profiles_deviations_count_as_in_run(tmp_path: Path, mode: str, code: int) -> None:
    folder = _saved(tmp_path / "out", "happy_path", TIMEOUT_15S)
    status, out = _judge(str(folder), "--deviations", mode)
    assert status == code, out
    assert "DEVIATIONS declared by profile timeout_15s" in out and "timeout 15 s" in out
    assert ("the run fails: 1 declared deviation(s) of profile timeout_15s, --deviations fail" in out) == (mode == "fail")


def test_fail_is_the_default_as_in_run(tmp_path: Path) -> None:
    assert _judge(str(_saved(tmp_path / "out", "happy_path", TIMEOUT_15S)))[0] == 1


def test_a_history_without_a_profile_has_nothing_declared(tmp_path: Path) -> None:
    status, out = _judge(str(_saved(tmp_path / "out", "happy_path", None)))
    assert status == 0, out
    assert "DEVIATIONS" not in out


def test_a_profile_given_replaces_the_recorded_one(tmp_path: Path) -> None:
    folder = _saved(tmp_path / "out", "happy_path", None)
    status, out = _judge(str(folder), "--profile", str(TIMEOUT_15S))
    assert status == 1, out
    assert "DEVIATIONS declared by profile timeout_15s" in out


def test_histories_of_different_profiles_are_not_one_run(tmp_path: Path) -> None:
    _saved(tmp_path / "out", "happy_path", TIMEOUT_15S)
    _saved(tmp_path / "out", "retry_503", None)
    status, out = _judge(str(tmp_path / "out"))
    assert status == 2
    assert "judged against different build profiles" in out and "happy_path: profile timeout_15s" in out
    assert "retry_503: no profile" in out


@pytest.mark.browser
def test_a_run_with_a_profile_records_it_and_judge_reads_it(tank_worlds, tmp_path: Path) -> None:
    import dataclasses

    from harness.builds import load_build
    from tests.harness.e2e import bundled_scenarios

    profile = load_profile(TIMEOUT_15S)
    build = dataclasses.replace(load_build("mutant:timeout_15s"), profile=profile)
    scenario = next(s for s in bundled_scenarios() if s.name == "happy_path")
    result = tank_worlds.get("memory").run(build, scenario, profile.adapter)
    assert result.error is None and result.verdict.passed
    assert result.history.meta["profile"] == profile_stamp(profile)
    save_history(result.history, tmp_path / "happy_path.history.json")
    status, out = _judge(str(tmp_path))
    assert status == 1, out
    assert "all 1 scenario(s) passed; the run fails: 1 declared deviation(s) of profile timeout_15s" in out
