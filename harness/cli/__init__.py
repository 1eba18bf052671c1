"""``tankharness``: run scenarios against a tracker build and show the verdicts.

Exit codes: 0 every judged guarantee held; 1 a guarantee failed (or a step could not run, or the
build's profile declares deviations from the contract and ``--deviations`` is ``fail``, the default
of ``run``); 2 usage or environment error, with a one-line reason. One module per command (or family).
"""
from __future__ import annotations

import sys

import click

from harness.cli import authoring, gate, judge, lookup, merge, mutants, proxy, run
from harness.cli.common import own_process
from harness.contract.errors import EnvironmentProblem


class _Commands(click.Group):
    """Ctrl-C while a command still loads what it needs (before its run handles the signal) exits
    130 with one line — click alone would print "Aborted!" and exit 1, the code of a failed
    guarantee."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            click.echo("tankharness: interrupted", err=True)
            ctx.exit(130)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Resilience harness for the outbox_v2 browser tracker.

    Exit codes: 0 every judged guarantee held; 1 a guarantee failed, a scenario could not run to its
    end, or the build's profile declares deviations under --deviations fail (run's default); 2 usage
    or environment error; 130/143 after Ctrl-C/SIGTERM."""


for _command in (run.run, judge.judge, mutants.mutants, proxy.proxy, lookup.timeline, lookup.list_, gate.gate, gate.compare,
                 authoring.check, authoring.schema):
    cli.add_command(_command)
cli.add_command(merge.merge)


def main() -> None:
    try:
        with own_process():
            cli(standalone_mode=True)
    except EnvironmentProblem as exc:
        click.echo(f"tankharness: {exc}", err=True)
        sys.exit(2)
