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
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="mutant runs at once, each in its own contexts, stub and proxy listener "
                   "[default: 2 per CPU core, at most 6]")
def mutants(scenario_paths: list[Path], only: tuple[str, ...], report_json: Path | None,
            workers: int | None) -> None:
    """Prove the checks can fail: every mutant must break the guarantee it declares."""
    from harness.run.mutants import mutation_matrix
    from harness.run.pool import default_workers

    sys.exit(run_async(mutation_matrix(scenario_paths, list(only), report_json,
                                       workers if workers is not None else default_workers())))
