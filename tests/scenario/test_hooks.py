"""Hook steps: imported and resolved at load time, before any browser starts."""
from __future__ import annotations

from harness.scenario import Hook, parse_scenario

from .helpers import issues, one_issue, steps


def test_hooks_are_resolved_when_the_scenario_loads() -> None:
    sc = parse_scenario(steps("- hook: tests.scenario.hook_fixture:fn\n- hook: {target: 'json:dumps', args: {n: 1}}"),
                        "x.yaml")
    assert sc.steps[1:] == (Hook(line=4, target="tests.scenario.hook_fixture:fn"),
                            Hook(line=5, target="json:dumps", args={"n": 1}))


def test_a_hook_that_cannot_be_imported_or_found_is_a_load_error() -> None:
    found = issues(steps("- hook: surely_not_installed.mod:fn\n- hook: json:dump_it\n- hook: tests.scenario.hook_fixture:fnn"))
    assert found == [
        (4, "steps[1].hook", "cannot import 'surely_not_installed.mod': ModuleNotFoundError: "
                             "No module named 'surely_not_installed'"),
        (5, "steps[2].hook", "'json' has no function 'dump_it' (did you mean 'dump'?)"),
        (6, "steps[3].hook", "'tests.scenario.hook_fixture' has no function 'fnn' (did you mean 'fn'?)"),
    ]


def test_a_hook_naming_a_tab_that_is_not_open_is_a_load_error() -> None:
    line, field, message = one_issue(steps("- hook: {target: 'json:dumps'}\n  tab: nope"))
    assert (line, field) == (4, "steps[1].hook") and "tab 'nope' in context 'main' is not open yet" in message


def test_hook_target_needs_module_and_function() -> None:
    line, field, message = one_issue(steps("- hook: {target: 'a.b', args: {}}"))
    assert (line, field) == (4, "steps[1].hook.target") and "'package.module:function'" in message
