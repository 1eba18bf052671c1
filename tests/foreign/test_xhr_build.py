"""ajaxq.js sends through XMLHttpRequest with ``xhr.timeout = 5000``: the harness must see its sends
(journal and attempts ``via: xhr``), run that timeout in page time (a 3 s answer delivered without
abort or duplicate, a 6 s one aborted at 5 s of page time and journaled processed but
unacknowledged), judge it PASS where it keeps the promise, and catch a variant whose bug only the
page-time timeout shows (a ``readyState`` of 4 read as delivered: a timed-out send is removed)."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from harness.builds import Build, load_build
from harness.builds.profile import load_profile
from harness.run.scenario import ScenarioResult
from harness.scenario import load_scenario
from tests.harness.e2e import SCENARIOS

FOREIGN = Path(__file__).resolve().parents[2] / "tracker_js" / "foreign"
PROFILE = load_profile(FOREIGN / "profiles" / "ajaxq.yaml")
SOURCE = (FOREIGN / "ajaxq.js").read_text(encoding="utf-8")
# The bug of many XHR trackers: onreadystatechange takes readyState 4 for an answer. A timeout, an
# abort and a network error also end at readyState 4 (status 0), so a timed-out batch is removed.
READY_IS_DONE = ("  if (status >= 200 && status < 300) {", "  if (true) { // BUG: readyState 4 read as delivered")


def _build(source: str = SOURCE) -> Build:
    return dataclasses.replace(load_build(str(FOREIGN / "ajaxq.js")), source=source, profile=PROFILE)


def _run(tank_worlds, build: Build, name: str) -> ScenarioResult:
    result = tank_worlds.get("memory").run(build, load_scenario(SCENARIOS / f"{name}.yaml"), PROFILE.adapter)
    assert result.error is None, result.error
    return result


def _explain(result: ScenarioResult) -> str:
    failed = {k: g.violations for k, g in result.verdict.guarantees.items() if g.status == "fail"}
    sends = [(a.via, a.t_page_start, a.t_page_end, a.outcome) for a in result.history.attempts]
    return f"counts={result.verdict.counts} failed={failed} notes={result.notes} sends={sends}"


def _posts(result: ScenarioResult, ea: str) -> list:
    return [e for e in result.history.journal if e.method == "POST" and any(ev.payload.get("ea") == ea for ev in e.events)]


@pytest.mark.browser
def test_three_second_answers_are_delivered_without_abort(tank_worlds) -> None:
    result = _run(tank_worlds, _build(), "slow_server")
    assert result.verdict.passed, _explain(result)
    xhrs = [a for a in result.history.attempts if a.via == "xhr"]
    assert xhrs and all(a.outcome == "ok" for a in xhrs), _explain(result)
    assert not any(a.via == "fetch" for a in result.history.attempts)
    assert {e.via for e in result.history.journal if e.method == "POST"} == {"xhr"}
    assert result.verdict.counts["duplicated"] == 0, _explain(result)
    [tel] = _posts(result, "phone_call")
    assert tel.t_page_done - tel.t_page == 3000, tel  # page time, not real time


@pytest.mark.browser
def test_a_six_second_answer_is_aborted_at_five_and_journaled_processed(tank_worlds) -> None:
    result = _run(tank_worlds, _build(), "slow_server_late_answer")
    assert result.verdict.passed, _explain(result)
    first, *rest = _posts(result, "phone_call")
    assert (first.via, first.outcome, first.processed, first.status) == ("xhr", "client_gone", True, None), first
    assert first.t_page_done - first.t_page == 5000, first  # the XHR's timeout, in page time
    assert rest and rest[0].status == 200 and rest[0].processed  # the retry delivers it again
    aborted = [a for a in result.history.attempts if a.outcome == "abort"]
    assert len(aborted) == 1 and aborted[0].via == "xhr" and aborted[0].t_page_end - aborted[0].t_page_start == 5000
    assert "timeout" in (aborted[0].error or "")


@pytest.mark.browser
def test_a_timed_out_send_read_as_delivered_is_caught(tank_worlds) -> None:
    find, replace = READY_IS_DONE
    assert SOURCE.count(find) == 1
    result = _run(tank_worlds, _build(SOURCE.replace(find, replace)), "hung_request_timeout")
    assert result.verdict.guarantees["no_loss"].status == "fail", _explain(result)
    assert _run(tank_worlds, _build(), "hung_request_timeout").verdict.passed  # the build itself keeps it
