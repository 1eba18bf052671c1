"""`tankharness mutants`: every mutant must break the guarantee it declares."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from harness.cli.common import DEFAULT_SCENARIOS, run_async

@click.command()
@click.option("--scenarios", "scenario_paths", multiple=True, type=click.Path(path_type=Path))
@click.option("--only", multiple=True, help="only these mutants")
@click.option("--report-json", type=click.Path(path_type=Path), default=None)
def mutants(scenario_paths: tuple[Path, ...], only: tuple[str, ...], report_json: Path | None) -> None:
    """Prove the checks can fail: every mutant must break the guarantee it declares."""
    from harness.run.mutants import mutation_matrix

    sys.exit(run_async(mutation_matrix(list(scenario_paths) or [DEFAULT_SCENARIOS], list(only), report_json)))
