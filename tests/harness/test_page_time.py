"""Every duration a stub fault sets is page time: a 3 s answer is delivered, a 6 s one is aborted
at 5 s and its late answer journaled as processed but unacknowledged — on the reference build,
and on mutants that the page-time model must be able to catch."""
from __future__ import annotations

import asyncio
import functools

import pytest

from harness.run import state
from harness.run.clock import VirtualClock
from harness.run.scenario import ScenarioResult
from harness.scenario import load_scenario
from server_stub.holds import Holds
from server_stub.sync_app import SyncApp
from tests.harness.e2e import SCENARIOS

SLOW = load_scenario(SCENARIOS / "slow_server.yaml")
LATE = load_scenario(SCENARIOS / "slow_server_late_answer.yaml")


def _explain(result: ScenarioResult) -> str:
    """What a failing assertion shows: the error, counts, failed guarantees, notes and every fetch."""
    failed = {k: g.status for k, g in result.verdict.guarantees.items() if g.status != "pass"}
    spans = [(a.t_page_start, a.t_page_end, a.outcome) for a in result.history.attempts if a.via == "fetch"]
    return f"error={result.error} counts={result.verdict.counts} failed={failed} notes={result.notes} fetches={spans}"


def _posts(result: ScenarioResult, ea: str) -> list:
    return [e for e in result.history.journal if e.method == "POST" and any(ev.payload.get("ea") == ea for ev in e.events)]


@pytest.mark.browser
def test_three_second_answers_are_delivered_without_abort(tank_worlds) -> None:
    result = tank_worlds.get("memory").run("reference", SLOW)
    assert result.error is None and result.verdict.passed, _explain(result)
    healed = next(op.t_page for op in result.history.ops if op.kind == "heal")  # the heal clears the delay
    fetches = [a for a in result.history.attempts if a.via == "fetch" and a.t_page_start < healed]
    assert len(fetches) >= 2 and all(a.outcome == "ok" for a in fetches), [a.outcome for a in fetches]
    for a in fetches:  # each answer took 3 s of page time, not 0.1 s of real quiet
        assert a.t_page_end is not None and 2990 <= a.t_page_end - a.t_page_start <= 3010, a
    assert result.verdict.counts["duplicated"] == 0, _explain(result)
    tel = _posts(result, "phone_call")
    assert len(tel) == 1 and tel[0].t_page_done - tel[0].t_page == 3000, tel


@pytest.mark.browser
def test_a_click_during_a_slow_answer_is_erased_by_a_stale_save(tank_worlds) -> None:
    result = tank_worlds.get("memory").run("mutant:stale_save", SLOW)
    assert result.verdict.guarantees["no_loss"].status == "fail", _explain(result)


@pytest.mark.browser
def test_six_second_answer_is_aborted_at_five_and_journaled_processed(tank_worlds) -> None:
    result = tank_worlds.get("memory").run("reference", LATE)
    assert result.error is None and result.verdict.passed, _explain(result)
    first, *rest = _posts(result, "phone_call")
    assert (first.outcome, first.processed, first.status) == ("client_gone", True, None), first
    assert first.t_page_done - first.t_page == 5000, first  # the page's abort, in page time
    assert rest and rest[0].status == 200 and rest[0].processed  # the retry delivers it again
    aborted = [a for a in result.history.attempts if a.outcome == "abort"]
    assert len(aborted) == 1 and aborted[0].t_page_end - aborted[0].t_page_start == 5000


@pytest.mark.browser
def test_a_build_without_abort_waits_out_the_late_answer(tank_worlds) -> None:
    result = tank_worlds.get("memory").run("mutant:no_timeout", LATE)
    assert result.verdict.guarantees["timeout"].status == "fail", _explain(result)
    first = _posts(result, "phone_call")[0]
    assert (first.status, first.processed, first.t_page_done - first.t_page) == (200, True, 6000), first



TRIP_S = 0.25  # real time a request takes on its way: far over the clock's budget for pending work below
HUNG = load_scenario(SCENARIOS / "hung_request_timeout.yaml")


def _slow_trips(monkeypatch: pytest.MonkeyPatch, posts: int) -> None:
    """A slow machine: the first ``posts`` POSTs take ``TRIP_S`` to reach the stub's store, and a
    late answer ``TRIP_S`` each way around its hold — while the clock would give up after 20 ms."""
    monkeypatch.setattr(state, "VirtualClock", functools.partial(VirtualClock, settle_max_s=0.02))
    process, delay, left = SyncApp._process, Holds.delay, [posts]

    async def slow_process(self, *args):  # noqa: ANN001, ANN002, ANN202
        if left[0] > 0:
            left[0] -= 1
            await asyncio.sleep(TRIP_S)
        return await process(self, *args)

    async def slow_delay(self, *args, **kw):  # noqa: ANN001, ANN002, ANN003, ANN202
        await asyncio.sleep(TRIP_S)
        how = await delay(self, *args, **kw)
        await asyncio.sleep(TRIP_S)
        return how

    monkeypatch.setattr(SyncApp, "_process", slow_process)
    monkeypatch.setattr(Holds, "delay", slow_delay)


@pytest.mark.browser
@pytest.mark.parametrize(("scenario", "aborts"), [(SLOW, 0), (HUNG, 1)], ids=["slow_answers", "hung_then_retry"])
def test_page_time_waits_for_a_request_on_its_way_however_slow_the_machine(tank_worlds, monkeypatch, scenario, aborts) -> None:
    # Regression: page time moved on after a real-time budget while a request no fault holds was
    # still travelling (to the stub, or a released answer back), and the page aborted it at 5 s.
    _slow_trips(monkeypatch, posts=4)
    result = tank_worlds.get("memory").run("reference", scenario)
    assert result.error is None and result.verdict.passed, _explain(result)
    aborted = [a for a in result.history.attempts if a.outcome == "abort"]
    assert len(aborted) == aborts, _explain(result)  # hung_then_retry: only the hung send
    assert not any("still on their way" in n for n in result.notes or []), _explain(result)
