"""Hook steps: the shape is checked at load time; the import happens only when the step runs."""
from __future__ import annotations

from harness.scenario import Hook, parse_scenario

from .helpers import one_issue, steps


def test_loading_does_not_import_the_hook() -> None:
    sc = parse_scenario(steps("- hook: surely_not_installed.mod:fn\n- hook: {target: 'a.b:c', args: {n: 1}}"), "x.yaml")
    assert sc.steps[1:] == (Hook(line=4, target="surely_not_installed.mod:fn"), Hook(line=5, target="a.b:c", args={"n": 1}))


def test_hook_target_needs_module_and_function() -> None:
    line, field, message = one_issue(steps("- hook: {target: 'a.b', args: {}}"))
    assert (line, field) == (4, "steps[1].hook.target") and "'package.module:function'" in message
