"""Contexts running apart in page time (a clock per context inside one advance) give the same
fates, event by event, as lockstep (one clock stop for all): same fate, reason, deliveries and
duplicates, and the same page times on every envelope's timeline. Each scenario runs in both modes
in one world; the apart run must really have run apart (else the comparison proves nothing)."""
from __future__ import annotations

from typing import Any

import pytest

from harness.run import clock
from tests.harness.e2e import scenario_from_text

# Three contexts opened at different page times, so their timers and retries interleave; 503s
# drawn by request, answers late in page time, each held answer due in its own context's time; a
# refused connection in between.
SEVERAL_CONTEXTS = """
name: apart_several_contexts
judges: [no_loss, exactly_once, nothing_unexpected, retry]
seed: 3
steps:
  - stub: {random: {p: 0.3, fault: {status: 503, retry_after: 2}, seed: 3}}
  - open: home
    context: a
  - click: tel
    context: a
  - advance: 1500ms
  - open: home
    context: b
  - click: whatsapp
    context: b
  - open: page2
    context: c
  - click: tel
    context: c
  - advance: 20s
  - stub: {random: {p: 0.5, fault: {delay_ms: 3s}, seed: 4}}
  - click: tel
    context: b
  - click: whatsapp
    context: a
  - advance: 40s
  - proxy: {enabled: false}
  - click: tel
    context: c
  - advance: 30s
  - proxy: {enabled: true}
  - stub: {default: {delay_ms: 2s}}
  - click: tel
    context: a
  - advance: 1m
"""

# Context a with two tabs sharing an outbox, timers due at one page time in both, and answers held
# 7 s, past the page's 5 s abort (Chromium re-sends such a POST by itself, 1 to 3 copies as real time
# goes): duplicates and timelines varied from run to run in lockstep itself until the stub drew by
# send and a context's tabs ran in turn. Those copies are processed (a delay stores at once): how
# many arrive is Chromium's, by real time, in either mode — under load lockstep made one delivery
# more than apart (10 vs 9) with every timeline the same. The checker counts them apart
# (``browser_copies``, left out here), so deliveries and duplicates are compared exactly.
TWO_TABS = (SEVERAL_CONTEXTS.replace("name: apart_several_contexts", "name: apart_two_tabs")
            .replace("delay_ms: 3s", "delay_ms: 7s").replace("delay_ms: 2s}", "delay_ms: 7s}")
            .replace("  - open: page2\n    context: c\n", "  - open: page2\n    context: a\n    tab: t2\n")
            .replace("  - click: tel\n    context: c\n", "  - click: tel\n    context: a\n    tab: t2\n"))

VISITORS = """
name: apart_visitors
judges: [no_loss, exactly_once, nothing_unexpected, retry]
seed: 11
visitors: {count: 5, seed: 11, actions: [view, tel, whatsapp, page2, form]}
steps:
  - stub: {random: {p: 0.2, fault: {status: 503, retry_after: 2}, seed: 11}}
  - advance: 30s
  - stub: {random: {p: 0.3, fault: {delay_ms: 2s}, seed: 12}}
  - advance: 1m
  - proxy: {enabled: false}
  - advance: 1m
  - proxy: {enabled: true}
  - stub: {random: {p: 0.2, fault: {delay_ms: 4s}, seed: 13}}
  - advance: 1m
"""


def per_event(result: Any) -> dict[tuple, tuple]:
    """Each event's fate, deliveries and duplicates, and the exact page times of its timeline,
    keyed by what it is and where it began (envelope ids are new in every run). Arrivals are left
    out: the checker dates them approximately, by wall time against every context's facts
    (``detail.approx``); so are the copies the browser re-sent by itself (``browser_copies``)."""
    out: dict[tuple, tuple] = {}
    for f in result.verdict.fates:
        key = (f.context, f.ec, f.ea, f.el, f.first_seen)
        n = sum(1 for k in out if k[:5] == key)
        out[(*key, n)] = (f.fate, f.reason_code, f.deliveries, f.duplicates, f.removed,
                          tuple((e.t_page, e.what) for e in f.timeline if not e.detail.get("approx")))
    return out


def both_modes(tank_run, monkeypatch: pytest.MonkeyPatch, text: str, build: str) -> tuple[Any, Any]:  # noqa: ANN001
    """The scenario run in lockstep, then apart, in one world; (lockstep, apart)."""
    scenario = scenario_from_text(text)
    monkeypatch.setattr(clock, "APART", False)
    lockstep = tank_run(scenario, build=build)
    monkeypatch.setattr(clock, "APART", True)
    apart = tank_run(scenario, build=build)
    return lockstep, apart


@pytest.mark.browser
@pytest.mark.parametrize("text", [SEVERAL_CONTEXTS, TWO_TABS, VISITORS], ids=["several_contexts", "two_tabs", "visitors"])
def test_contexts_apart_give_the_fates_of_lockstep(tank_run, monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    lockstep, apart = both_modes(tank_run, monkeypatch, text, "reference")
    same_fates(lockstep, apart)


# A build breaking a guarantee the scenario exercises fails it in both modes: a verdict that flipped
# FAIL -> PASS with the mode (the checker dating a context's facts by a neighbour's clock, a retry
# seen where there was none) would pass the reference's comparison unseen.
BROKEN = {"no_retry": "retry", "new_id_per_retry": "exactly_once"}


@pytest.mark.browser
@pytest.mark.parametrize("mutant", sorted(BROKEN))
def test_a_mutant_fails_the_same_guarantees_apart_and_in_lockstep(
        tank_run, monkeypatch: pytest.MonkeyPatch, mutant: str) -> None:
    lockstep, apart = both_modes(tank_run, monkeypatch, SEVERAL_CONTEXTS, f"mutant:{mutant}")
    assert lockstep.verdict.guarantees[BROKEN[mutant]].status == "fail"
    same_fates(lockstep, apart)


def same_fates(lockstep: Any, apart: Any) -> None:
    """Both ran, the apart run really ran apart, and every guarantee's status and every event's
    fate, deliveries, duplicates and timeline are the same."""
    assert lockstep.history.error is None and apart.history.error is None
    assert apart.history.meta["clock_modes"].get("apart", 0) >= 3, apart.history.meta["clock_modes"]
    assert "apart" not in lockstep.history.meta["clock_modes"]
    assert any("clock per context" in n for n in apart.history.notes)
    assert {g: v.status for g, v in apart.verdict.guarantees.items()} == \
        {g: v.status for g, v in lockstep.verdict.guarantees.items()}
    mine, theirs = per_event(apart), per_event(lockstep)
    assert len(mine) >= 10
    differ = {k: (mine.get(k), theirs.get(k)) for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k)}
    assert not differ, "\n".join(f"{k}:\n  apart    {a}\n  lockstep {b}" for k, (a, b) in sorted(differ.items(), key=str))
