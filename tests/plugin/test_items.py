"""Scenario items and fixtures in a real session: a mutant's guarantee failure shows in pytest's own
output and in JUnit (one testcase per scenario, the guarantees as its properties); a test written
in Python runs a scenario given as a dict."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from tests.plugin.support import PLUGIN, ROOT, copy_scenarios

PY_TEST = '''
def test_inline_scenario(tank_run, tank_build):
    assert tank_build.name == "mutant:no_beacon"
    result = tank_run({"name": "inline_calls", "judges": ["no_loss", "exactly_once"],
                       "steps": [{"open": "home"}, {"click": "tel"}, {"advance": "10s"}]}, build="reference")
    assert result.passed, result.explain()
    assert result.verdict.counts["delivered"] >= 2 and result.statuses() == {"no_loss": "pass", "exactly_once": "pass"}
'''


@pytest.mark.browser
def test_mutant_failure_in_output_and_junit(pytester: pytest.Pytester) -> None:
    copy_scenarios(pytester, "happy_path", "unload_beacon_close")
    pytester.makepyfile(test_inline=PY_TEST)
    junit = pytester.path / "junit.xml"
    result = pytester.runpytest(*PLUGIN, "scenarios", "test_inline.py", "--tank-tracker", "mutant:no_beacon",
                                "--tank-ingest", "memory", f"--junitxml={junit}")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines([
        "*scenario: unload_beacon_close*",
        "failed: last_gasp (1 violation(s))",
        "*last_gasp: FAIL*", "*no beacon carried them*",
        "FAILED scenarios/unload_beacon_close.yaml::unload_beacon_close*",
    ])
    cases = {c.get("name"): c for c in ET.parse(junit).getroot().iter("testcase")}
    assert set(cases) == {"happy_path", "unload_beacon_close", "test_inline_scenario"}
    failed = cases["unload_beacon_close"]
    props = {p.get("name"): p.get("value") for p in failed.iter("property")}
    assert props["guarantee.last_gasp"].startswith("fail") and props["guarantee.no_loss"].startswith("pass")
    assert "last_gasp" in failed.find("failure").get("message")
    assert cases["happy_path"].find("failure") is None


@pytest.mark.browser
def test_xdist_workers_and_reruns_give_the_same_verdicts(pytester: pytest.Pytester,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """``-n 2``: one world per worker, the same verdicts as the serial run above; ``--reruns`` reruns
    a failing scenario item like any test."""
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # the workers import this checkout's harness
    copy_scenarios(pytester, "happy_path", "unload_beacon_close")
    result = pytester.runpytest_subprocess(*PLUGIN, "scenarios", "-n", "2", "--reruns", "1",
                                           "--tank-tracker", "mutant:no_beacon", "--tank-ingest", "memory")
    outcomes = result.parseoutcomes()
    assert (outcomes.get("passed"), outcomes.get("failed"), outcomes.get("rerun")) == (1, 1, 1), outcomes
    result.stdout.fnmatch_lines(["*last_gasp: FAIL*",
                                 "FAILED scenarios/unload_beacon_close.yaml::unload_beacon_close*"])
