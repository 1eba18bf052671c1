"""Scenario files become pytest items (one per file, named after the scenario, marked by its tags),
only where asked; a broken file is a collection error that says what is wrong. No browser starts."""
from __future__ import annotations

import tomllib

import pytest

from tests.plugin.support import PLUGIN, ROOT, copy_scenarios


def test_the_package_registers_the_plugin() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    entry = project["project"]["entry-points"]["pytest11"]
    assert entry == {"harness.pytest_plugin": "harness.pytest_plugin"}
    import harness.pytest_plugin as plugin

    assert callable(plugin.pytest_collect_file) and callable(plugin.pytest_addoption)


def test_a_folder_gives_one_item_per_scenario(pytester: pytest.Pytester) -> None:
    copy_scenarios(pytester, "happy_path", "retry_503", "two_tabs")
    (pytester.path / "scenarios" / "notes.yaml").write_text("just: some config\n")  # not a scenario
    result = pytester.runpytest(*PLUGIN, "scenarios", "--collect-only", "-q")
    result.stdout.fnmatch_lines(["scenarios/happy_path.yaml::happy_path", "scenarios/retry_503.yaml::retry_503",
                                 "scenarios/two_tabs.yaml::two_tabs", "3 tests collected*"])


def test_k_and_markers_by_tag(pytester: pytest.Pytester) -> None:
    copy_scenarios(pytester, "happy_path", "retry_503", "unload_beacon_close")
    unload = pytester.runpytest(*PLUGIN, "scenarios", "--collect-only", "-q", "-m", "unload", "--strict-markers")
    unload.stdout.fnmatch_lines(["scenarios/unload_beacon_close.yaml::unload_beacon_close", "*1/3 tests collected*"])
    by_name = pytester.runpytest(*PLUGIN, "scenarios", "--collect-only", "-q", "-k", "retry")
    by_name.stdout.fnmatch_lines(["scenarios/retry_503.yaml::retry_503", "*1/3 tests collected*"])


def test_testpaths_are_not_scanned_for_scenarios(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ntestpaths = tests\n")
    copy_scenarios(pytester, "happy_path", folder="tests/fixtures")
    pytester.makepyfile(**{"tests/test_x": "def test_x():\n    pass\n"})
    for args in ((), ("tests",)):
        result = pytester.runpytest(*PLUGIN, *args, "--collect-only", "-q")
        result.stdout.fnmatch_lines(["tests/test_x.py::test_x", "1 test collected*"])
    # named explicitly, or listed in the tank_scenarios ini, it is collected
    explicit = pytester.runpytest(*PLUGIN, "tests/fixtures/happy_path.yaml", "--collect-only", "-q")
    explicit.stdout.fnmatch_lines(["tests/fixtures/happy_path.yaml::happy_path", "1 test collected*"])
    pytester.makeini("[pytest]\ntestpaths = tests\ntank_scenarios = tests/fixtures\n")
    listed = pytester.runpytest(*PLUGIN, "--collect-only", "-q")
    listed.stdout.fnmatch_lines(["*2 tests collected*"])


def test_a_broken_scenario_is_a_collection_error_naming_the_line(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", broken="judges: [no_loss]\nsteps:\n  - open: hme\n")
    result = pytester.runpytest(*PLUGIN, "broken.yaml")
    result.stdout.fnmatch_lines(["*ERROR collecting broken.yaml*", "*broken.yaml:3*hme*"])
    assert "Traceback" not in result.stdout.str()
    assert result.ret == pytest.ExitCode.INTERRUPTED


def test_options_have_ini_equivalents(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ntank_tracker = mutant:no_beacon\ntank_ingest = memory\ntank_strict = true\n")
    pytester.makepyfile(test_settings="""
        from harness.pytest_plugin.runtime import runtime

        def test_settings(pytestconfig):
            s = runtime(pytestconfig).settings
            assert (s.tracker, s.ingest, s.strict) == ("reference", "memory", True)
    """)
    pytester.runpytest(*PLUGIN, "--tank-tracker", "reference").assert_outcomes(passed=1)  # the option wins


def test_a_build_profile_drives_the_build_and_lists_its_deviations(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_profile="""
        def test_profile(tank_build):
            assert tank_build.name == "mutant:timeout_15s" and tank_build.profile.name == "timeout_15s"
            assert tank_build.profile.policy["timeout_ms"] == 15000
    """)
    profile = str(ROOT / "tracker_js" / "profiles" / "timeout_15s.yaml")
    result = pytester.runpytest(*PLUGIN, "--tank-tracker", "mutant:timeout_15s", "--tank-profile", profile,
                                "--tank-deviations", "warn")
    result.assert_outcomes(passed=2)  # and the declarations' own test (tests/plugin/test_deviations.py)
    result.stdout.fnmatch_lines(["*DEVIATIONS declared by profile timeout_15s*", "*timeout 15 s (contract 5 s)*"])
    pytester.makefile(".yaml", bad_profile="timeout: soon\n")
    bad = pytester.runpytest(*PLUGIN, "--tank-profile", "bad_profile.yaml")
    bad.stderr.fnmatch_lines(["*--tank-profile*bad_profile.yaml*timeout*"])
    assert bad.ret == pytest.ExitCode.USAGE_ERROR
