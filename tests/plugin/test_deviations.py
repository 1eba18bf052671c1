"""A build profile's declared deviations in pytest, as ``tankharness run`` judges them: each scenario
keeps its own verdict, and one more test, ``declared_deviations``, fails under
``--tank-deviations fail`` (the default, as ``run --deviations``'s) and passes under ``warn``, in
``run``'s words. Before, the plugin listed them in the summary and every test passed (exit 0) where
``run`` exits 1. The world is replaced by one returning a hand-made verdict: no browser starts."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest

from harness.builds.profile import load_profile
from harness.pytest_plugin.judged import Judged
from harness.pytest_plugin.worlds import WorldPool
from harness.run.scenario import ScenarioResult
from harness.scenario import parse_scenario
from tests.plugin.support import PLUGIN, ROOT
from tests.plugin.test_strict import STEPS, verdict

PROFILE = str(ROOT / "tracker_js" / "profiles" / "timeout_15s.yaml")
BUILD = ("--tank-tracker", "mutant:timeout_15s", f"--tank-profile={PROFILE}")  # one token: not a path for rootdir
FAILURE = "deviations: 1 declared deviation(s) of profile timeout_15s, --tank-deviations fail:"


class HoldingWorld:
    """Every guarantee of every scenario held."""

    def run(self, build: Any, scenario: Any, adapter: Any) -> ScenarioResult:
        return ScenarioResult(scenario, None, verdict(scenario.name, pending=0), 0.0, 0)  # type: ignore[arg-type]


@pytest.fixture
def scenario(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(WorldPool, "get", lambda self, kind: HoldingWorld())
    pytester.makefile(".yaml", happy=f"name: happy\n{STEPS}")
    return "happy.yaml"


def test_declared_deviations_fail_the_session_by_default_as_run_does(pytester: pytest.Pytester, scenario: str) -> None:
    result = pytester.runpytest(*PLUGIN, *BUILD, scenario, "--tank-ingest", "memory", "--junitxml", "junit.xml")
    result.assert_outcomes(passed=1, failed=1)  # the scenario passed; the run fails for the declarations
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([f"*{FAILURE}*", "*• timeout 15 s (contract 5 s)*",
                                 "*DEVIATIONS declared by profile timeout_15s (*timeout_15s.yaml), --tank-deviations "
                                 "fail: the run fails (exit 1; --tank-deviations warn lists them without failing)*",
                                 "FAILED tank-profile::declared_deviations*"])
    cases = {c.get("name"): c for c in ET.parse(pytester.path / "junit.xml").getroot().iter("testcase")}
    assert set(cases) == {"happy", "declared_deviations"}
    assert cases["happy"].find("failure") is None
    failure = cases["declared_deviations"].find("failure")
    assert failure is not None and (failure.get("message") or "").startswith(FAILURE)
    # which declarations the scenario was judged against
    props = {p.get("name"): p.get("value") for p in cases["happy"].iter("property")}
    assert (props["profile"] or "").startswith("timeout_15s (") and (props["profile"] or "").endswith("timeout_15s.yaml)")


@pytest.mark.parametrize("how", [("--tank-deviations", "warn"), ("-o", "tank_deviations=warn")])
def test_under_warn_they_are_listed_and_pass(pytester: pytest.Pytester, scenario: str, how: tuple[str, str]) -> None:
    result = pytester.runpytest(*PLUGIN, *BUILD, scenario, "--tank-ingest", "memory", "-rP", *how)
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*judged against build profile timeout_15s (*timeout_15s.yaml): 1 declared deviation(s)*",
                                 "*--tank-deviations warn: listed, not failing the run*",
                                 "*DEVIATIONS declared by profile timeout_15s (*), --tank-deviations warn*"])


def test_tests_using_the_fixtures_count_and_others_do_not(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_uses="def test_build(tank_build):\n    assert tank_build.name == 'mutant:timeout_15s'\n",
                        test_plain="def test_plain():\n    pass\n")
    pytester.runpytest(*PLUGIN, *BUILD, "test_uses.py").assert_outcomes(passed=1, failed=1)
    plain = pytester.runpytest(*PLUGIN, *BUILD, "test_plain.py")  # the harness never ran: nothing to judge
    plain.assert_outcomes(passed=1)
    no_profile = pytester.runpytest(*PLUGIN, "--tank-tracker", "mutant:timeout_15s", "test_uses.py")
    no_profile.assert_outcomes(passed=1)


def test_every_shard_says_it(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(**{f"test_{i}": "def test_build(tank_build):\n    pass\n" for i in range(3)})
    for shard in ("1/2", "2/2"):
        result = pytester.runpytest(*PLUGIN, *BUILD, "--tank-shard", shard, "--collect-only", "-q")
        assert "tank-profile::declared_deviations" in result.stdout.lines


def test_the_default_is_runs() -> None:
    from click.testing import CliRunner

    from harness.cli import cli
    from harness.pytest_plugin.options import DEVIATION_MODES, DEVIATIONS_DEFAULT

    run_help = " ".join(CliRunner().invoke(cli, ["run", "--help"], terminal_width=200).output.split())
    assert f"[default: {DEVIATIONS_DEFAULT}]" in run_help[run_help.index("--deviations"):]
    assert f"--deviations [{'|'.join(DEVIATION_MODES)}]" in run_help


def test_a_result_says_which_declarations_it_was_judged_against() -> None:
    sc = parse_scenario(f"name: s\n{STEPS}", "s.yaml")
    result = ScenarioResult(sc, None, verdict("s", pending=0), 0.0, 0)  # type: ignore[arg-type]
    assert "judged against the contract (no build profile)" in Judged(result).explain()
    judged = Judged(result, profile=load_profile(PROFILE))
    assert "judged against build profile timeout_15s (" in judged.explain()
    assert ("profile", f"timeout_15s ({load_profile(PROFILE).path})") in judged.properties()
