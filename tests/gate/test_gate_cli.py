"""`tankharness gate` and `compare` end to end: exit 0 on no regression (also over 5 repeats),
1 naming the regressed guarantees, 2 on bad input."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.harness.test_cli import tank


def test_gate_usage_errors() -> None:
    r = tank("gate", "--baseline", "reference", "--candidate", "mutant:no_such_mutant", "--only", "happy_path")
    assert r.returncode == 2 and "unknown mutant" in r.stderr
    r = tank("gate", "--baseline", "reference", "--candidate", "reference", "--repeat", "2", "--require", "3")
    assert r.returncode == 2 and "--require 3" in r.stderr


def test_compare_usage_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    r = tank("compare", str(bad), str(bad))
    assert r.returncode == 2 and "not a tankharness JSON report" in r.stderr


@pytest.mark.browser
def test_reference_against_itself_holds_over_five_repeats(tmp_path: Path) -> None:
    r = tank("gate", "--baseline", "reference", "--candidate", "reference", "--repeat", "5",
             "--only", "happy_path", "--out", str(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "no regression" in r.stdout
    verdict = json.loads((tmp_path / "gate.json").read_text())
    assert verdict["repeats"] == 5 and not verdict["regressed"]
    assert len(list(tmp_path.glob("candidate-*.json"))) == 5
    meta = json.loads((tmp_path / "candidate-1.json").read_text())["meta"]
    assert len(meta["build"]["sha256"]) == 64 and meta["playwright"] and meta["browser"]["version"]


@pytest.mark.browser
def test_a_data_loss_mutant_regresses_and_compare_agrees(tmp_path: Path) -> None:
    r = tank("gate", "--baseline", "reference", "--candidate", "mutant:stale_save",
             "--only", "enqueue_during_inflight", "--out", str(tmp_path))
    assert r.returncode == 1, r.stdout + r.stderr
    assert "REGRESSED enqueue_during_inflight" in r.stdout
    assert "regressed     no_loss" in r.stdout and "lost: 3" in " ".join(r.stdout.split())
    scenario = json.loads((tmp_path / "gate.json").read_text())["scenarios"][0]
    assert {g["guarantee"] for g in scenario["guarantees"] if g["status"] == "regressed"} == {"no_loss"}
    again = tank("compare", str(tmp_path / "baseline-1.json"), str(tmp_path / "candidate-1.json"))
    assert again.returncode == 1 and "REGRESSED enqueue_during_inflight" in again.stdout
    same = tank("compare", str(tmp_path / "baseline-1.json"), str(tmp_path / "baseline-1.json"))
    assert same.returncode == 0


def test_environment_errors_are_listed_per_build_and_scenario() -> None:
    from harness.cli.gate import environment_errors

    report = {"scenarios": [{"name": "a", "error": "environment: the build never started: boom"},
                            {"name": "b", "error": "line 3: tab 'x' is not open"}, {"name": "c", "error": None}]}
    assert environment_errors({"baseline": [], "candidate": [report, report]}) == \
        ["candidate a: the build never started: boom"]


@pytest.mark.browser
def test_a_candidate_that_never_starts_is_an_environment_error_not_a_regression(tmp_path: Path) -> None:
    broken = tmp_path / "broken.js"
    broken.write_text("throw new Error('build broke at load');\n")
    r = tank("gate", "--baseline", "reference", "--candidate", str(broken), "--only", "happy_path")
    assert r.returncode == 2, r.stdout + r.stderr
    assert "environment:" in r.stdout and "never started" in r.stdout and "candidate happy_path" in r.stdout


@pytest.mark.browser
def test_each_build_gets_its_own_profile() -> None:
    """A 15 s timeout is a regression against the reference unless the candidate's profile declares it."""
    profile = str(Path(__file__).resolve().parents[2] / "tracker_js" / "profiles" / "timeout_15s.yaml")
    r = tank("gate", "--baseline", "reference", "--candidate", "mutant:timeout_15s",
             "--candidate-profile", profile, "--only", "hung_request_timeout")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "DEVIATIONS" in r.stdout and "timeout 15 s" in r.stdout
