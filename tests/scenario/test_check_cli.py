"""`tankharness check` validates without a browser; `tankharness schema` prints the JSON Schema."""
from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from harness.cli import cli
from harness.scenario.schema import schema_text

ROOT = Path(__file__).resolve().parents[2]


def test_check_accepts_the_bundled_scenarios() -> None:
    result = CliRunner().invoke(cli, ["check", str(ROOT / "scenarios")])
    assert result.exit_code == 0, result.output
    assert result.output.count("\nok ") + result.output.startswith("ok ") == len(list((ROOT / "scenarios").glob("*.yaml")))


def test_check_prints_one_line_per_problem_with_did_you_mean_for_values(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("judges: [no_loss]\nsteps:\n  - open: home\n  - toxic: {add: {type: latancy, stream: dwonstream}}\n"
                   "  - advance: 999999d\n")
    result = CliRunner().invoke(cli, ["check", str(bad)])
    assert result.exit_code == 2
    lines = result.stdout.splitlines()
    assert lines == [
        f"{bad}:4: steps[1].toxic.add.stream: unknown value 'dwonstream' (did you mean 'downstream'?) "
        "(expected one of: upstream, downstream)",
        f"{bad}:4: steps[1].toxic.add.type: unknown value 'latancy' (did you mean 'latency'?) "
        "(expected one of: latency, bandwidth, slow_close, timeout, reset_peer, slicer, limit_data)",
        f"{bad}:5: steps[2].advance: 999999d is longer than the 31d a scenario may ask for",
    ]


def test_schema_command_prints_the_schema() -> None:
    result = CliRunner().invoke(cli, ["schema"])
    assert result.exit_code == 0 and result.output == schema_text()
