"""Commands that pick scenarios declare --scenarios/--only/--tag once (harness/cli/common.py)."""
from __future__ import annotations

import click
import pytest

from harness.cli.common import DEFAULT_SCENARIOS
from harness.cli.gate import gate
from harness.cli.lookup import list_
from harness.cli.mutants import mutants
from harness.cli.run import run

PICKED = ("scenario_paths", "only", "tag")


def _params(command: click.Command) -> dict[str, click.Parameter]:
    return {p.name: p for p in command.params if p.name}


def test_run_and_gate_pick_scenarios_with_the_same_options() -> None:
    run_params, gate_params = _params(run), _params(gate)
    for name in PICKED:
        assert run_params[name].to_info_dict() == gate_params[name].to_info_dict()
        assert run_params[name].callback is gate_params[name].callback


@pytest.mark.parametrize("command", [run, gate, mutants, list_], ids=["run", "gate", "mutants", "list"])
def test_no_scenarios_given_means_the_bundled_folder(command: click.Command) -> None:
    ctx = command.make_context(command.name, ["--baseline", "a", "--candidate", "b"] if command is gate else [])
    assert ctx.params["scenario_paths"] == [DEFAULT_SCENARIOS]
    ctx = command.make_context(command.name, ["--scenarios", "x.yaml", "--scenarios", "d"]
                               + (["--baseline", "a", "--candidate", "b"] if command is gate else []))
    assert [str(p) for p in ctx.params["scenario_paths"]] == ["x.yaml", "d"]
