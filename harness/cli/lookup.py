"""`tankharness timeline` and `tankharness list`: look at saved reports and what is bundled."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from harness.cli.common import scenarios_option


@click.command()
@click.argument("report", type=click.Path(exists=True, path_type=Path))
@click.argument("envelope_id")
def timeline(report: Path, envelope_id: str) -> None:
    """Print one envelope's timeline from a saved JSON report (id or unique prefix)."""
    from harness.report.timeline import print_timeline_from_report

    try:
        print_timeline_from_report(report, envelope_id)
    except (KeyError, ValueError) as exc:
        click.echo(f"tankharness: {exc}", err=True)
        sys.exit(2)


@click.command(name="list")
@scenarios_option
def list_(scenario_paths: list[Path]) -> None:
    """List scenarios (with the guarantees they judge) and mutants (with what they break)."""
    from harness.builds import list_mutants
    from harness.scenario import load_scenarios

    try:
        for s in load_scenarios(scenario_paths):
            click.echo(f"scenario {s.name:32} judges {', '.join(s.judges)}")
        for mt in list_mutants():
            click.echo(f"mutant   {mt.name:32} breaks {', '.join(mt.breaks)}")
    except Exception as exc:  # noqa: BLE001
        click.echo(f"tankharness: {exc}", err=True)
        sys.exit(2)
