"""Scenario items and fixtures in a real session: a mutant's guarantee failure shows in pytest's own
output and in JUnit (one testcase per scenario, the guarantees as its properties) and keeps its
trace (``--tank-trace retain-on-failure``); a test written
in Python (the example of docs/pytest.md, as written) runs scenarios given as a dict and a file."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from tests.plugin.support import PLUGIN, ROOT, copy_scenarios

DOCS = ROOT / "docs" / "pytest.md"


def docs_python_example() -> str:
    """The Python-style example of docs/pytest.md (its first ```python block), run as written."""
    text = DOCS.read_text()
    start = text.index("```python\n") + len("```python\n")
    return text[start:text.index("```", start)]



@pytest.mark.browser
def test_mutant_failure_in_output_and_junit(pytester: pytest.Pytester) -> None:
    copy_scenarios(pytester, "happy_path", "unload_beacon_close")
    pytester.makepyfile(test_docs_example=docs_python_example())
    junit = pytester.path / "junit.xml"
    result = pytester.runpytest(*PLUGIN, "scenarios", "test_docs_example.py", "--tank-tracker", "mutant:no_beacon",
                                "--tank-ingest", "memory", f"--junitxml={junit}",
                                "--tank-trace", "retain-on-failure", "--tank-output", "kept")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines([
        "*scenario: unload_beacon_close*",
        "failed: last_gasp (1 violation(s))",
        "*last_gasp: FAIL*", "*no beacon carried them*",
        "FAILED scenarios/unload_beacon_close.yaml::unload_beacon_close*",
    ])
    cases = {c.get("name"): c for c in ET.parse(junit).getroot().iter("testcase")}
    assert set(cases) == {"happy_path", "unload_beacon_close", "test_calls_survive_a_flaky_network",
                          "test_the_bundled_smoke_scenario"}
    failed = cases["unload_beacon_close"]
    props = {p.get("name"): p.get("value") for p in failed.iter("property")}
    assert props["guarantee.last_gasp"].startswith("fail") and props["guarantee.no_loss"].startswith("pass")
    assert "last_gasp" in failed.find("failure").get("message")
    assert cases["happy_path"].find("failure") is None
    # --tank-trace retain-on-failure: the failing scenario's trace, screenshots and console are kept
    kept = pytester.path / "kept"
    assert props["artifacts"] == str(kept / "unload_beacon_close")
    assert list((kept / "unload_beacon_close").glob("trace-*.zip")) and (kept / "unload_beacon_close" / "console.txt").exists()
    assert not (kept / "happy_path").exists()


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
