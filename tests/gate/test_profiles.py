"""Build profiles: validated with file and line; builds that differ by design lose nothing with
their profile and list their deviations; without it the report names the declaration."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from harness.builds import find_mutant, load_build
from harness.builds.profile import load_profile, parse_profile
from harness.contract.errors import UsageProblem
from harness.run.mutants import scenarios_for
from tests.harness.e2e import bundled_scenarios

ROOT = Path(__file__).resolve().parents[2]
PROFILES = sorted((ROOT / "tracker_js" / "profiles").glob("*.yaml"))
DATA = ("no_loss", "exactly_once", "nothing_unexpected", "overflow", "drop_rule", "response_ok")


def test_profile_errors_name_file_line_and_suggest() -> None:
    with pytest.raises(UsageProblem) as err:
        parse_profile("name: x\ntimout: 15s\nbackoff: {base: soon}\nemits: {form: false}\nside_endpoints: [intent]\n", "p.yaml")
    text = str(err.value)
    for expected in ("p.yaml:2", "did you mean 'timeout'", "p.yaml:3", "backoff.base", "p.yaml:4", "'forms'", "p.yaml:5"):
        assert expected in text, text


def test_profile_declarations_become_policy_and_deviations() -> None:
    p = parse_profile("name: x\nadapter: {outbox_key: q, deadletter_key: none}\ntimeout: 15s\n"
                      "backoff: {base: 5s, cap: 120s}\nclick_debounce: 2s\nemits: {forms: false, scroll: false}\n", "p.yaml")
    assert p.adapter.outbox_key == "q" and p.adapter.deadletter_key is None
    assert p.policy["timeout_ms"] == 15000 and p.policy["backoff_cap_ms"] == 120000
    assert p.policy["click_debounce_ms"] == 2000 and p.policy["silent_events"] == (("conversion", "form_submit"),)
    assert any("timeout 15 s" in d for d in p.deviations) and any("scroll" in d for d in p.deviations)



def test_a_batch_window_widens_the_triggers_by_the_window() -> None:
    """A build that waits a window before sending (load and `online` included) is judged on the
    contract's 2 s after the window, and the window is listed; unknown before (a profile error)."""
    p = parse_profile("name: x\nbatch: {max: 10, window: 3s}\n", "p.yaml")
    assert p.policy["trigger_within_ms"] == 5000 and p.policy["batch_window_ms"] == 3000
    assert any("wait up to 3 s" in d and "within 5 s" in d for d in p.deviations), p.deviations
    assert "trigger_within_ms" not in parse_profile("name: x\nbatch: {max: 10}\n", "p.yaml").policy


def test_a_declared_outbox_cap_becomes_the_checkers_cap() -> None:
    """``overflow: {cap: N}``: the length a shed is believed at a cap from (checker.dropproof);
    unknown before (a profile error), and a cap below 1 is refused with its line."""
    p = parse_profile("name: x\noverflow: {cap: 5}\n", "p.yaml")
    assert p.policy["outbox_cap"] == 5 and not p.deviations
    with pytest.raises(UsageProblem) as err:
        parse_profile("name: x\noverflow: {cap: 0}\n", "p.yaml")
    assert "p.yaml:2" in str(err.value) and "overflow.cap" in str(err.value)

@pytest.mark.browser
@pytest.mark.parametrize("path", PROFILES, ids=[p.stem for p in PROFILES])
def test_a_build_that_differs_by_design_loses_nothing_with_its_profile(path: Path, tank_worlds) -> None:
    profile = load_profile(path)
    build = load_build(f"mutant:{path.stem}")
    mutant = find_mutant(path.stem)
    world = tank_worlds.get("memory")
    for scenario in scenarios_for(mutant, bundled_scenarios()):
        bare = world.run(build, scenario)
        assert not bare.verdict.passed
        assert any("a build profile would explain this" in n for n in bare.verdict.notes), bare.verdict.notes
        result = world.run(dataclasses.replace(build, profile=profile), scenario, profile.adapter)
        assert result.error is None, result.error
        failing = [g for g, r in result.verdict.guarantees.items() if r.status == "fail"]
        assert failing == [], (failing, [r.violations for r in result.verdict.guarantees.values()])
        assert result.verdict.counts["lost"] == 0 and profile.deviations
        for side in profile.side_endpoints:  # answered as the build expects, listed, not judged
            statuses = {e.status for e in result.history.journal if e.path == side}
            assert statuses == {200}, statuses
            assert any(n.startswith("side channel:") and side in n and "answered 200" in n
                       for n in result.verdict.notes), result.verdict.notes
            assert {e.status for e in bare.history.journal if e.path == side} == {404}
            assert any(f"side_endpoints: [{side}]" in n for n in bare.verdict.notes), bare.verdict.notes
