"""`tankharness judge`: saved histories judged without a browser; bad input is exit 2 with a reason."""
from __future__ import annotations

import json

from click.testing import CliRunner

from harness.checker import judge_history
from harness.cli import cli
from harness.contract.history import save_history
from tests.checker.builders import HB


def lost_history():
    b = HB()
    a, c = b.add(b.env(ec="conversion", ea="phone_call"), b.env())
    b.deliver(c)
    b.remove(a.id)
    h = b.build()
    h.judges = ("no_loss", "nothing_unexpected")
    return h


def test_judges_a_saved_history_like_the_live_run(tmp_path) -> None:
    h = lost_history()
    save_history(h, tmp_path / "s.history.json")
    out = tmp_path / "report.json"
    res = CliRunner().invoke(cli, ["judge", str(tmp_path), "--report-json", str(out), "--html", str(tmp_path / "r.html")])
    assert res.exit_code == 1, res.output
    assert "no_loss" in (tmp_path / "r.html").read_text()
    [entry] = json.loads(out.read_text())["scenarios"]
    live = judge_history(h).to_json()
    assert entry["guarantees"] == live["guarantees"] and entry["counts"] == live["counts"]
    assert entry["guarantees"]["no_loss"]["status"] == "fail"


def test_profile_limits_apply_under_the_scenarios_own(tmp_path) -> None:
    h = lost_history()
    h.policy = {"timeout_ms": 1000}
    path = tmp_path / "s.history.json"
    save_history(h, path)
    profile = tmp_path / "build.yaml"
    profile.write_text("policy:\n  timeout_ms: 15s\n  drop_attempts: 3\n")
    from harness.checker.judge import policy_of
    from harness.cli.judge import load_profile_policy

    policy = policy_of(h, load_profile_policy(profile))
    assert (policy.timeout_ms, policy.drop_attempts) == (15000, 3)  # the build's own timing: the profile's
    h.policy = {"drop_attempts": 5}
    assert policy_of(h, load_profile_policy(profile)).drop_attempts == 5
    assert CliRunner().invoke(cli, ["judge", str(path), "--profile", str(profile)]).exit_code == 1


def test_bad_input_is_a_usage_error(tmp_path) -> None:
    path = tmp_path / "s.history.json"
    save_history(lost_history(), path)
    doc = json.loads(path.read_text())
    doc["format_version"] = 99
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps(doc))
    profile = tmp_path / "p.yaml"
    profile.write_text("policy:\n  timeout: 5s\n")
    for args, message in [
        ([str(newer)], "newer than this tankharness reads"),
        ([str(tmp_path / "missing.json")], "no such file"),
        ([str(path), "--profile", str(profile)], "policy.timeout: unknown"),
    ]:
        res = CliRunner().invoke(cli, ["judge", *args])
        assert res.exit_code == 2 and message in res.output, res.output


def test_the_recorded_profile_is_used_unless_another_is_given() -> None:
    from harness.checker.judge import policy_of

    h = lost_history()
    h.profile_policy, h.policy = {"timeout_ms": 15000, "drop_attempts": 3}, {"drop_attempts": 4}
    assert (policy_of(h).timeout_ms, policy_of(h).drop_attempts) == (15000, 4)
    assert (policy_of(h, {}).timeout_ms, policy_of(h, {}).drop_attempts) == (5000, 4)
