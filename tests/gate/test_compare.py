"""The gate's decision on hand-written reports: only regressions fail, noise is told apart."""
from __future__ import annotations

import io
from typing import Any

import pytest
from rich.console import Console

from harness.gate.compare import compare_runs
from harness.gate.render import render_gate


def report(name: str = "s1", *, fails: tuple[str, ...] = (), lost: int = 0, dup: int = 0, copies: int = 0,
           fates: tuple[tuple[str, str, str], ...] = (), error: str | None = None, build: str = "b") -> dict[str, Any]:
    judges = ["no_loss", "exactly_once", "backoff"]
    rows = [[i, "envelope", "main", fate, code, code, 1, 0, None, "conversion", "phone_call", "", 0, None]
            for i, fate, code in fates]
    return {"schema": "tankharness-report/1", "meta": {"build": {"name": build, "sha256": "0" * 64}},
            "scenarios": [{"name": name, "judges": judges, "error": error,
                           "guarantees": {g: {"status": "fail" if g in fails else "pass", "violations": [f"{g} broke"]}
                                          for g in judges},
                           "counts": {"lost": lost, "duplicated": dup, "browser_copies": copies},
                           "fates": {"columns": ["id", "kind", "context", "fate", "reason_code", "reason", "deliveries",
                                                 "duplicates", "at_rest", "ec", "ea", "el", "first_seen", "removed"],
                                     "rows": rows}}]}


def statuses(result) -> dict[str, str]:
    return {g.guarantee: g.status for g in result.scenarios[0].guarantees}


def test_same_results_hold_and_do_not_regress():
    r = compare_runs([report()], [report()])
    assert not r.regressed and set(statuses(r).values()) == {"holds"}


def test_a_new_failure_regresses_and_names_the_guarantee_with_its_evidence():
    r = compare_runs([report()], [report(fails=("no_loss",), lost=2, fates=(("e1", "lost", "removed_unsent"),))])
    s = r.scenarios[0]
    assert r.regressed and statuses(r)["no_loss"] == "regressed"
    assert any("no_loss" in x for x in s.regressions) and any("lost: 2" in x for x in s.regressions)
    assert s.new_fate_classes == ["lost:removed_unsent"]
    assert s.guarantees[0].evidence == ["no_loss broke"]


def test_shared_failures_are_still_failing_not_regressions():
    r = compare_runs([report(fails=("backoff",))], [report(fails=("backoff",))])
    assert not r.regressed and statuses(r)["backoff"] == "still failing"


def test_a_fix_is_reported_and_passes():
    r = compare_runs([report(fails=("backoff",))], [report()])
    assert not r.regressed and statuses(r)["backoff"] == "fixed"


def test_more_duplicates_than_the_baseline_regress_even_when_both_fail():
    r = compare_runs([report(fails=("exactly_once",), dup=1)], [report(fails=("exactly_once",), dup=3)])
    assert r.regressed and statuses(r)["exactly_once"] == "still failing"
    assert any("duplicated: 3" in x for x in r.scenarios[0].regressions)


def test_noise_in_one_of_five_repeats_is_not_a_regression_but_reproducible_failure_is():
    base = [report() for _ in range(5)]
    noisy = [report(fails=("no_loss",), lost=1) if i == 2 else report() for i in range(5)]
    r = compare_runs(base, noisy)
    assert not r.regressed and r.scenarios[0].guarantees[0].noisy
    assert compare_runs(base, noisy, required=1).regressed
    steady = [report(fails=("no_loss",), lost=1) for _ in range(5)]
    assert compare_runs(base, steady).regressed


def test_a_candidate_that_cannot_run_a_scenario_regresses():
    r = compare_runs([report()], [report(error="s1.yaml: line 3: tab 'main' is not open")])
    assert r.regressed and "could not run" in r.scenarios[0].regressions[0]


def test_compare_needs_reports_of_both():
    with pytest.raises(ValueError):
        compare_runs([], [report()])


def test_differing_events_name_ids_that_share_a_timestamp_prefix_apart():
    """Ids a build starts with a timestamp share their first 8 characters: each event differing
    between the builds must still be named by a prefix only it has."""
    base = report(fates=(("mmkdq63s.19", "delivered", "ok"), ("mmkdq63s.20", "delivered", "ok")))
    cand = report(fails=("no_loss",), lost=2, fates=(("mmkdq63s.19", "lost", "removed_unsent"),
                                                     ("mmkdq63s.20", "lost", "removed_unsent")))
    lines = compare_runs([base], [cand]).scenarios[0].differing_events
    shown = [line.split()[0] for line in lines]
    assert len(set(shown)) == 2 and "mmkdq63s.19".startswith(shown[0]) and "mmkdq63s.20".startswith(shown[1])


def test_browser_copies_are_shown_beside_duplicates_and_never_regress():
    """Copies the browser re-sent by itself (1 to 3 per held answer, by real time) are not the
    build's: more of them in the candidate is shown, not a regression; more duplicates still is."""
    r = compare_runs([report(dup=3, copies=1)], [report(dup=3, copies=4)])
    assert not r.regressed and r.scenarios[0].counts["browser_copies"] == (1, 4)
    r = compare_runs([report(dup=3, copies=1)], [report(dup=4, copies=1)])
    assert r.regressed and any("duplicated: 4" in x for x in r.scenarios[0].regressions)


def test_the_gate_says_browser_copies_are_not_the_builds() -> None:
    buf = io.StringIO()
    render_gate(compare_runs([report(copies=1)], [report(copies=4)]), Console(file=buf, width=200, color_system=None))
    out = buf.getvalue()
    assert "browser_copies: baseline 1, candidate 4 (re-sent by the browser itself: not the build's, never a regression)" in out
    assert "gate: no regression" in out
