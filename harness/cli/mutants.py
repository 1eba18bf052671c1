"""`tankharness mutants`: every mutant must break the guarantee it declares."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from harness.cli.common import run_async, scenarios_option

@click.command()
@scenarios_option
@click.option("--only", multiple=True, help="only these mutants")
@click.option("--report-json", type=click.Path(path_type=Path), default=None)
def mutants(scenario_paths: list[Path], only: tuple[str, ...], report_json: Path | None) -> None:
    """Prove the checks can fail: every mutant must break the guarantee it declares."""
    from harness.run.mutants import mutation_matrix

    sys.exit(run_async(mutation_matrix(scenario_paths, list(only), report_json)))
