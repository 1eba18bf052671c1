"""Options shared by commands (harness/cli/common.py): --scenarios/--only/--tag declared once; adapter
options beside --profile refused rather than silently ignored."""
from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from harness.cli.common import DEFAULT_SCENARIOS, ROOT, make_adapter, refuse_adapter_flags_with
from harness.cli.gate import gate
from harness.cli.lookup import list_
from harness.cli.mutants import mutants
from harness.cli.run import run
from harness.contract.adapter import Adapter
from harness.contract.errors import UsageProblem
from harness.report.rerun import adapter_args

PICKED = ("scenario_paths", "only", "tag", "database_url", "no_proxy", "seed")
PROFILE = ROOT / "tracker_js" / "profiles" / "timeout_15s.yaml"


def _params(command: click.Command) -> dict[str, click.Parameter]:
    return {p.name: p for p in command.params if p.name}


def test_run_and_gate_share_their_scenario_and_world_options() -> None:
    run_params, gate_params = _params(run), _params(gate)
    for name in PICKED:
        assert run_params[name].to_info_dict() == gate_params[name].to_info_dict()
        assert run_params[name].callback is gate_params[name].callback
    assert run_params["ingest"].type.choices == ("auto", "memory", "postgres", "tap")  # type: ignore[attr-defined]
    assert gate_params["ingest"].type.choices == ("auto", "memory", "postgres")  # type: ignore[attr-defined]
    assert (run_params["ingest"].default, gate_params["ingest"].default) == ("auto", "memory")


@pytest.mark.parametrize("command", [run, gate, mutants, list_], ids=["run", "gate", "mutants", "list"])
def test_no_scenarios_given_means_the_bundled_folder(command: click.Command) -> None:
    ctx = command.make_context(command.name, ["--baseline", "a", "--candidate", "b"] if command is gate else [])
    assert ctx.params["scenario_paths"] == [DEFAULT_SCENARIOS]
    ctx = command.make_context(command.name, ["--scenarios", "x.yaml", "--scenarios", "d"]
                               + (["--baseline", "a", "--candidate", "b"] if command is gate else []))
    assert [str(p) for p in ctx.params["scenario_paths"]] == ["x.yaml", "d"]


def _refusal(command: click.Command, args: list[str]) -> str | None:
    base = ["--baseline", "a", "--candidate", "b"] if command is gate else []
    ctx = command.make_context(command.name, base + args)
    with ctx:
        try:
            refuse_adapter_flags_with(ctx.params["profile"])
        except UsageProblem as exc:
            return str(exc)
    return None


@pytest.mark.parametrize("command", [run, gate], ids=["run", "gate"])
def test_adapter_flags_beside_a_profile_are_refused_by_name(command: click.Command) -> None:
    said = _refusal(command, ["--profile", "p.yaml", "--outbox-key", "q", "--attr", "a=b"])
    assert said is not None and "--outbox-key" in said and "--attr" in said and "--site-attr" not in said
    assert _refusal(command, ["--profile", "p.yaml", "--deadletter-key", "none"]) is not None  # given, even if default
    assert _refusal(command, ["--profile", "p.yaml"]) is None
    assert _refusal(command, ["--outbox-key", "q"]) is None


def test_gate_takes_adapter_options_for_a_baseline_driven_by_the_contract() -> None:
    """``--baseline-profile contract`` drives the baseline by the adapter options, so they are used."""
    args = ["--baseline", "a", "--candidate", "b", "--profile", "p.yaml", "--site-attr", "data-x",
            "--repeat", "1", "--require", "2"]  # stops with a usage error after the adapter check
    contract = CliRunner().invoke(gate, [*args, "--baseline-profile", "contract"])
    assert contract.exit_code == 2 and "--require 2 is more than --repeat 1" in contract.output
    own = CliRunner().invoke(gate, [*args, "--baseline-profile", "base.yaml"])
    assert own.exit_code == 2 and "so --site-attr would be ignored" in own.output


def test_run_refuses_before_starting_anything() -> None:
    result = CliRunner().invoke(run, ["--profile", str(PROFILE), "--site-attr", "data-x"])
    assert result.exit_code == 2
    assert f"--profile {PROFILE} declares the adapter, so --site-attr would be ignored" in result.output


def test_a_rerun_commands_adapter_flags_parse_back_to_the_same_adapter() -> None:
    adapter = Adapter(site_attr="data-s", api_attr="data-u", outbox_key="ob", deadletter_key=None,
                      api_name="trk", extra_attrs={"data-x": "1"})
    ctx = run.make_context("run", adapter_args(adapter))
    p = ctx.params
    assert make_adapter(p["site_attr"], p["api_attr"], p["outbox_key"], p["deadletter_key"], p["api_name"],
                        p["attrs"]) == adapter
