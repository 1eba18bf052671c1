"""``tankharness``: run scenarios against a tracker build and show the verdicts.

Exit codes: 0 every judged guarantee held; 1 a guarantee failed (or a step could not run);
2 usage or environment error, with a one-line reason.
"""
from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import click

from harness.contract.adapter import Adapter
from harness.contract.errors import EnvironmentProblem, HarnessError, UsageProblem

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SCENARIOS = ROOT / "scenarios"


def _adapter_options(f):  # noqa: ANN001, ANN202
    options = [
        click.option("--site-attr", default="data-site-id", show_default=True, help="script attribute carrying the site id"),
        click.option("--api-attr", default="data-api", show_default=True, help="script attribute carrying the Sync URL"),
        click.option("--outbox-key", default="opsmantik_outbox_v2", show_default=True),
        click.option("--deadletter-key", default="opsmantik_deadletter_v2", show_default=True,
                     help="dead-letter key; 'none' for builds without one"),
        click.option("--api-name", default="opmantik", show_default=True, help="window.<name>.send(...)"),
        click.option("--attr", "attrs", multiple=True, metavar="NAME=VALUE", help="extra script attribute (repeatable)"),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def make_adapter(site_attr: str, api_attr: str, outbox_key: str, deadletter_key: str, api_name: str,
                 attrs: tuple[str, ...]) -> Adapter:
    extra: dict[str, str] = {}
    for item in attrs:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise UsageProblem(f"--attr {item!r}: expected NAME=VALUE")
        extra[name] = value
    return Adapter(site_attr=site_attr, api_attr=api_attr, outbox_key=outbox_key,
                   deadletter_key=None if deadletter_key.lower() == "none" else deadletter_key,
                   api_name=api_name, extra_attrs=extra)


def resolve_ingest(ingest: str, database_url: str | None) -> str:
    """``auto``: PostgreSQL when a URL is given or the server binaries are installed."""
    if ingest != "auto":
        return ingest
    from harness.world.postgres import PostgresUnavailable, find_binaries

    if database_url or os.environ.get("DATABASE_URL"):
        return "postgres"
    try:
        find_binaries()
    except PostgresUnavailable:
        return "memory"
    return "postgres"


def run_async(coro) -> int:  # noqa: ANN001
    """Run the main coroutine; SIGTERM cancels it like Ctrl-C, so every process is stopped.

    Exit codes: the coroutine's own, 130 after Ctrl-C, 143 after SIGTERM, 2 for usage and
    environment problems and for internal errors (one line; TANK_DEBUG=1 shows the traceback).
    """
    terminated = False

    async def guarded() -> int:
        nonlocal terminated
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None

        def on_sigterm() -> None:
            nonlocal terminated
            terminated = True
            task.cancel()

        loop.add_signal_handler(signal.SIGTERM, on_sigterm)
        try:
            return await coro
        finally:
            loop.remove_signal_handler(signal.SIGTERM)

    try:
        return asyncio.run(guarded())
    except (KeyboardInterrupt, asyncio.CancelledError):
        click.echo("tankharness: interrupted; everything it started has been stopped", err=True)
        return 143 if terminated else 130
    except HarnessError as exc:
        click.echo(f"tankharness: {exc}", err=True)
        return 2
    except Exception as exc:  # noqa: BLE001 - a bug of ours: say it in one line, not 60
        if os.environ.get("TANK_DEBUG"):
            raise
        first = str(exc).splitlines()[0] if str(exc) else ""
        click.echo(f"tankharness: internal error: {type(exc).__name__}: {first} (TANK_DEBUG=1 for the traceback)",
                   err=True)
        return 2


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Resilience harness for the outbox_v2 browser tracker."""


@cli.command()
@click.option("--tracker", default="reference", show_default=True,
              help="a tracker build: a JS file path, 'reference' or 'mutant:NAME'")
@click.option("--scenarios", "scenario_paths", multiple=True, type=click.Path(path_type=Path),
              help="scenario files or folders (default: the bundled scenarios/)")
@click.option("--only", multiple=True, help="run only these scenario names (repeatable)")
@click.option("--tag", multiple=True, help="run only scenarios with this tag (repeatable)")
@_adapter_options
@click.option("--ingest", type=click.Choice(["auto", "memory", "postgres", "tap"]), default="auto", show_default=True,
              help="where accepted events are stored: the stub's memory, a real PostgreSQL ingest, or a tap to --tap-url")
@click.option("--database-url", default=None, help="use this PostgreSQL instead of a throwaway cluster")
@click.option("--tap-url", default=None, help="tap mode: forward every Sync request to this upstream URL")
@click.option("--tap-query", default=None, help="tap mode: SQL returning the rows at rest (needs --database-url)")
@click.option("--site-id", default=None,
              help="site id the tracker reports (tap mode: one the upstream knows); default: a fresh one per scenario")
@click.option("--no-proxy", is_flag=True, help="connect the page straight to the stub (no Toxiproxy)")
@click.option("--seed", type=int, default=None, help="override every scenario's seed")
@click.option("--report-json", type=click.Path(path_type=Path), default=None)
@click.option("--junit", type=click.Path(path_type=Path), default=None)
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="folder for each scenario's Sync journal (JSONL) and recorded history (JSON)")
@click.option("--timeline", "timelines", multiple=True, help="print the timeline of this envelope id (prefix)")
def run(tracker: str, scenario_paths: tuple[Path, ...], only: tuple[str, ...], tag: tuple[str, ...],
        site_attr: str, api_attr: str, outbox_key: str, deadletter_key: str, api_name: str, attrs: tuple[str, ...],
        ingest: str, database_url: str | None, tap_url: str | None, tap_query: str | None, site_id: str | None,
        no_proxy: bool,
        seed: int | None, report_json: Path | None, junit: Path | None, out: Path | None,
        timelines: tuple[str, ...]) -> None:
    """Run scenarios against a tracker build and print the verdict table."""
    from harness.run.suite import RunRequest, run_request

    try:
        adapter = make_adapter(site_attr, api_attr, outbox_key, deadletter_key, api_name, attrs)
        ingest = resolve_ingest(ingest, database_url)
        if ingest == "tap" and not tap_url:
            raise UsageProblem("--ingest tap needs --tap-url")
        request = RunRequest(tracker=tracker, scenario_paths=list(scenario_paths) or [DEFAULT_SCENARIOS],
                             only=list(only), tags=list(tag), adapter=adapter, ingest=ingest,
                             database_url=database_url, tap_url=tap_url, tap_query=tap_query,
                             proxy=not no_proxy, seed=seed, report_json=report_json, junit=junit, out=out,
                             timelines=list(timelines), site_id=site_id)
    except HarnessError as exc:
        click.echo(f"tankharness: {exc}", err=True)
        sys.exit(2)
    sys.exit(run_async(run_request(request)))


@cli.command()
@click.option("--scenarios", "scenario_paths", multiple=True, type=click.Path(path_type=Path))
@click.option("--only", multiple=True, help="only these mutants")
@click.option("--report-json", type=click.Path(path_type=Path), default=None)
def mutants(scenario_paths: tuple[Path, ...], only: tuple[str, ...], report_json: Path | None) -> None:
    """Prove the checks can fail: every mutant must break the guarantee it declares."""
    from harness.run.mutants import mutation_matrix

    sys.exit(run_async(mutation_matrix(list(scenario_paths) or [DEFAULT_SCENARIOS], list(only), report_json)))


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8474, show_default=True)
@click.option("--seed", type=int, default=None)
def proxy(host: str, port: int, seed: int | None) -> None:
    """Run the embedded Toxiproxy-compatible server in the foreground."""
    from harness.toxiproxy.server import serve

    sys.exit(run_async(_serve(serve, host, port, seed)))


async def _serve(serve, host: str, port: int, seed: int | None) -> int:  # noqa: ANN001
    try:
        await serve(host, port, seed)
    except OSError as exc:  # port in use, address not available
        raise EnvironmentProblem(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    return 0


@cli.command()
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


@cli.command(name="list")
@click.option("--scenarios", "scenario_paths", multiple=True, type=click.Path(path_type=Path))
def list_(scenario_paths: tuple[Path, ...]) -> None:
    """List scenarios (with the guarantees they judge) and mutants (with what they break)."""
    from harness.builds import list_mutants
    from harness.scenario import load_scenarios

    try:
        for s in load_scenarios(list(scenario_paths) or [DEFAULT_SCENARIOS]):
            click.echo(f"scenario {s.name:32} judges {', '.join(s.judges)}")
        for mt in list_mutants():
            click.echo(f"mutant   {mt.name:32} breaks {', '.join(mt.breaks)}")
    except Exception as exc:  # noqa: BLE001
        click.echo(f"tankharness: {exc}", err=True)
        sys.exit(2)


def main() -> None:
    try:
        cli(standalone_mode=True)
    except EnvironmentProblem as exc:
        click.echo(f"tankharness: {exc}", err=True)
        sys.exit(2)
