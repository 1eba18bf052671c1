"""`tankharness check FILE…` and `tankharness schema`: write scenarios without starting a browser."""
from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def check(files: tuple[Path, ...]) -> None:
    """Validate scenario files (and folders) as `run` would, without a browser.

    Prints one line per problem (file:line: field: message); exit 0 when all are valid, 2 otherwise.
    """
    from harness.scenario import ScenarioError, load_scenarios

    try:
        scenarios = load_scenarios(list(files))
    except ScenarioError as exc:
        for issue in exc.errors:
            click.echo(str(issue))
        click.echo(f"tankharness check: {len(exc.errors)} problem(s)", err=True)
        sys.exit(2)
    for s in scenarios:
        click.echo(f"ok {s.path} ({s.name}: {len(s.steps)} steps, judges {', '.join(s.judges)})")


@click.command()
def schema() -> None:
    """Print the JSON Schema of scenario files (for editors; docs/scenario.schema.json is a copy)."""
    from harness.scenario.schema import schema_text

    click.echo(schema_text(), nl=False)
