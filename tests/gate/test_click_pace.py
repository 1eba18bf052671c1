"""Clicks spaced like a person's: consecutive clicks in one tab get a seeded pause of page time,
unless the scenario spaced them itself (``advance``) or asks for ``at_once``; a debouncing build
is judged under its profile's declaration either way."""
from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import pytest

from harness.builds import load_build
from harness.builds.profile import load_profile
from harness.contract.history import Op
from harness.driver.journey import HUMAN_GAP_MS, human_gap
from harness.scenario.errors import ScenarioError
from harness.scenario.model import Click
from tests.harness.e2e import ROOT, scenario_from_text


def _run(ops: list[Op], now: int, seed: int = 3) -> SimpleNamespace:
    return SimpleNamespace(recorder=SimpleNamespace(ops=ops), scenario=SimpleNamespace(seed=seed), now=now)


def _op(seq: int, kind: str, t: int, tab: str = "main", **detail) -> Op:
    return Op(seq, kind, t, 0.0, None if kind == "advance" else "main", None if kind == "advance" else tab, detail)  # type: ignore[arg-type]


def test_a_click_right_after_another_waits_a_seeded_human_gap() -> None:
    ops = [_op(1, "open", 0), _op(2, "click", 100)]
    gap = human_gap(_run(ops, now=100), "main", "main")
    assert HUMAN_GAP_MS[0] <= gap <= HUMAN_GAP_MS[1]
    assert human_gap(_run(ops, now=100), "main", "main") == gap  # one seed, one pause
    assert human_gap(_run(ops, now=600), "main", "main") == gap - 500  # time already passed counts
    others = {human_gap(_run(ops, now=100, seed=s), "main", "main") for s in range(20)}
    assert len(others) > 10  # drawn, not fixed


def test_no_gap_for_a_first_click_another_tab_or_after_the_scenarios_own_advance() -> None:
    assert human_gap(_run([_op(1, "open", 0)], now=0), "main", "main") == 0
    assert human_gap(_run([_op(1, "click", 0, tab="b")], now=0), "main", "main") == 0
    assert human_gap(_run([_op(1, "click", 0), _op(2, "advance", 0, ms=300)], now=300), "main", "main") == 0
    assert human_gap(_run([_op(1, "click", 0)], now=5000), "main", "main") == 0


def test_at_once_is_a_click_step_option() -> None:
    base = "name: x\njudges: [no_loss]\nsteps:\n  - open: home\n"
    [_, step] = scenario_from_text(base + "  - {click: tel, at_once: true}\n").steps
    assert isinstance(step, Click) and step.at_once
    [_, step] = scenario_from_text(base + "  - click: tel\n").steps
    assert isinstance(step, Click) and not step.at_once
    with pytest.raises(ScenarioError, match="at_once"):
        scenario_from_text(base + "  - {click: tel, at_once: soon}\n")
    with pytest.raises(ScenarioError, match="at_once"):
        scenario_from_text(base + "  - {send: {category: a, action: b}, at_once: true}\n")


PACED = """
name: paced_clicks
judges: [no_loss, nothing_unexpected]
tracker: {data-heartbeat-ms: "0"}
settle: 10s
steps:
  - open: home
  - click: tel
  - click: tel
  - click: whatsapp
  - {click: tel, at_once: true}
"""

DOUBLE_TAP = """
name: double_tap
judges: [no_loss, nothing_unexpected, exactly_once]
tracker: {data-heartbeat-ms: "0"}
settle: 10s
steps:
  - open: home
  - click: tel
  - {click: tel, at_once: true}
"""


@pytest.mark.browser
def test_clicks_in_a_browser_are_paced_unless_at_once(tank_worlds) -> None:
    result = tank_worlds.get("memory").run("reference", scenario_from_text(PACED))
    assert result.error is None, result.error
    times = [o.t_page for o in result.history.ops if o.kind == "click"]
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert all(HUMAN_GAP_MS[0] <= g <= HUMAN_GAP_MS[1] for g in gaps[:2]) and gaps[2] == 0, gaps
    assert sum(1 for o in result.history.ops if o.detail.get("human_gap")) == 2
    assert result.verdict.passed


@pytest.mark.browser
def test_a_double_tap_is_judged_under_the_debounce_declaration(tank_worlds) -> None:
    world = tank_worlds.get("memory")
    scenario = scenario_from_text(DOUBLE_TAP)
    build = load_build("mutant:click_debounce_2s")
    bare = world.run(build, scenario)
    assert bare.verdict.guarantees["no_loss"].status == "fail"
    assert any("click_debounce" in n for n in bare.verdict.notes), bare.verdict.notes
    profile = load_profile(ROOT / "tracker_js" / "profiles" / "click_debounce_2s.yaml")
    declared = world.run(dataclasses.replace(build, profile=profile), scenario, profile.adapter)
    assert declared.verdict.passed, {g: r.violations for g, r in declared.verdict.guarantees.items()}
    assert any("repeated click" in n for n in declared.verdict.notes), declared.verdict.notes
    reference = world.run("reference", scenario)
    assert reference.verdict.passed  # the reference tracks both taps
