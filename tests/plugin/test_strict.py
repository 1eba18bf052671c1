"""``--tank-strict`` judges as ``tankharness run --strict`` does (one rule, ``ScenarioEntry``):
vacuous guarantees fail, and so do events pending after settle unless the scenario declares
``expect_pending: true``. The world is replaced by one that returns a hand-made verdict, so the
plugin's own path (item → runtime → judged result) runs without a browser."""
from __future__ import annotations

from typing import Any

import pytest

from harness.checker.verdict import GuaranteeResult, ScenarioVerdict
from harness.pytest_plugin.judged import Judged
from harness.pytest_plugin.worlds import WorldPool
from harness.run.scenario import ScenarioResult
from harness.scenario import parse_scenario
from tests.plugin.support import PLUGIN

STEPS = "judges: [no_loss]\nsteps:\n  - open: home\n  - click: tel\n"


def verdict(name: str, pending: int, retry: str = "pass") -> ScenarioVerdict:
    return ScenarioVerdict(name, counts={"delivered": 1, "pending": pending}, guarantees={
        "no_loss": GuaranteeResult("no_loss", "pass", 1), "retry": GuaranteeResult("retry", retry, 0)})


class PendingWorld:
    """Every scenario ends with two events still pending after settle; nothing else is wrong."""

    def run(self, build: Any, scenario: Any, adapter: Any) -> ScenarioResult:
        return ScenarioResult(scenario, None, verdict(scenario.name, pending=2), 0.0, 0)  # type: ignore[arg-type]


def judged(strict: bool, *, pending: int = 0, expect: bool = False, retry: str = "pass") -> Judged:
    sc = parse_scenario(f"name: s\n{'expect_pending: true' if expect else ''}\n{STEPS}", "s.yaml")
    return Judged(ScenarioResult(sc, None, verdict("s", pending, retry), 0.0, 0), strict=strict)  # type: ignore[arg-type]


@pytest.mark.parametrize(("strict", "expect", "passes"), [(False, False, True), (True, False, False), (True, True, True)])
def test_pending_after_settle(strict: bool, expect: bool, passes: bool) -> None:
    j = judged(strict, pending=2, expect=expect)
    assert j.passed is passes
    assert j.failing() == [] and j.passed is j.entry().passed
    if not passes:
        assert "strict: 2 event(s) still pending after settle" in j.summary()
        assert "expect_pending: true" in j.explain()


def test_vacuous_fails_only_strict() -> None:
    assert judged(False, retry="vacuous").passed
    strict = judged(True, retry="vacuous")
    assert not strict.passed and strict.summary() == "failed: strict: vacuous (not exercised): retry"


def test_scenario_items_fail_pending_under_tank_strict(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(WorldPool, "get", lambda self, kind: PendingWorld())
    pytester.makefile(".yaml", ends_offline=f"name: ends_offline\n{STEPS}",
                      declared=f"name: declared\nexpect_pending: true\n{STEPS}")
    args = (*PLUGIN, "ends_offline.yaml", "declared.yaml", "--tank-ingest", "memory")
    pytester.runpytest(*args).assert_outcomes(passed=2)
    strict = pytester.runpytest(*args, "--tank-strict")
    strict.assert_outcomes(passed=1, failed=1)
    strict.stdout.fnmatch_lines(["*strict: 2 event(s) still pending after settle*",
                                 "FAILED ends_offline.yaml::ends_offline*"])
