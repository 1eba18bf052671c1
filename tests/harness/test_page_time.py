"""Every duration a stub fault sets is page time: a 3 s answer is delivered, a 6 s one is aborted
at 5 s and its late answer journaled as processed but unacknowledged — on the reference build,
and on mutants that the page-time model must be able to catch."""
from __future__ import annotations

import pytest

from harness.run.scenario import ScenarioResult
from tests.harness.e2e import SCENARIOS
from harness.scenario import load_scenario

SLOW = load_scenario(SCENARIOS / "slow_server.yaml")
LATE = load_scenario(SCENARIOS / "slow_server_late_answer.yaml")


def _posts(result: ScenarioResult, ea: str) -> list:
    return [e for e in result.history.journal if e.method == "POST" and any(ev.payload.get("ea") == ea for ev in e.events)]


@pytest.mark.browser
# Known race, open: about one run in six a fetch started while another is held is aborted at 5 s
# (['ok', 'abort', 'ok']): the clock can run past a hold the stub has not registered yet. Rerun
# until the clock waits for every page-side fetch to reach its fault place; the assertion stays.
@pytest.mark.flaky(reruns=2)
def test_three_second_answers_are_delivered_without_abort(tank_worlds) -> None:
    result = tank_worlds.get("memory").run("reference", SLOW)
    assert result.error is None and result.verdict.passed, result.explain()
    healed = next(op.t_page for op in result.history.ops if op.kind == "heal")  # the heal clears the delay
    fetches = [a for a in result.history.attempts if a.via == "fetch" and a.t_page_start < healed]
    assert len(fetches) >= 2 and all(a.outcome == "ok" for a in fetches), [a.outcome for a in fetches]
    for a in fetches:  # each answer took 3 s of page time, not 0.1 s of real quiet
        assert a.t_page_end is not None and 2990 <= a.t_page_end - a.t_page_start <= 3010, a
    assert result.verdict.counts["duplicated"] == 0, result.explain()
    tel = _posts(result, "phone_call")
    assert len(tel) == 1 and tel[0].t_page_done - tel[0].t_page == 3000, tel


@pytest.mark.browser
def test_a_click_during_a_slow_answer_is_erased_by_a_stale_save(tank_worlds) -> None:
    result = tank_worlds.get("memory").run("mutant:stale_save", SLOW)
    assert result.verdict.guarantees["no_loss"].status == "fail", result.explain()


@pytest.mark.browser
def test_six_second_answer_is_aborted_at_five_and_journaled_processed(tank_worlds) -> None:
    result = tank_worlds.get("memory").run("reference", LATE)
    assert result.error is None and result.verdict.passed, result.explain()
    first, *rest = _posts(result, "phone_call")
    assert (first.outcome, first.processed, first.status) == ("client_gone", True, None), first
    assert first.t_page_done - first.t_page == 5000, first  # the page's abort, in page time
    assert rest and rest[0].status == 200 and rest[0].processed  # the retry delivers it again
    aborted = [a for a in result.history.attempts if a.outcome == "abort"]
    assert len(aborted) == 1 and aborted[0].t_page_end - aborted[0].t_page_start == 5000


@pytest.mark.browser
def test_a_build_without_abort_waits_out_the_late_answer(tank_worlds) -> None:
    result = tank_worlds.get("memory").run("mutant:no_timeout", LATE)
    assert result.verdict.guarantees["timeout"].status == "fail", result.explain()
    first = _posts(result, "phone_call")[0]
    assert (first.status, first.processed, first.t_page_done - first.t_page) == (200, True, 6000), first
