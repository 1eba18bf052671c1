"""What every command shares: scenario and adapter options, ingest choice, running the main coroutine."""
from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click
from click.core import ParameterSource

from harness.contract.adapter import Adapter
from harness.contract.errors import HarnessError, UsageProblem
from harness.report.rerun import ADAPTER_OPTIONS

ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_SCENARIOS = ROOT / "scenarios"
F = TypeVar("F", bound=Callable[..., Any])


def _or_bundled(_ctx: click.Context, _param: click.Parameter, paths: tuple[Path, ...]) -> list[Path]:
    return list(paths) or [DEFAULT_SCENARIOS]


scenarios_option = click.option(
    "--scenarios", "scenario_paths", multiple=True, type=click.Path(path_type=Path), callback=_or_bundled,
    help="scenario files or folders (default: the bundled scenarios/)")


def scenario_options(f: F) -> F:
    """Which scenarios a command runs: ``--scenarios`` (a list, the bundled folder when none is
    given), ``--only`` names and ``--tag``s."""
    return _stack(f, [
        scenarios_option,
        click.option("--only", multiple=True, help="only these scenario names (repeatable)"),
        click.option("--tag", multiple=True, help="only scenarios with this tag (repeatable)"),
    ])


INGESTS = {"auto": "PostgreSQL when a URL (or $DATABASE_URL) is given or the server is installed, else memory",
           "memory": "the stub's memory", "postgres": "a real PostgreSQL ingest", "tap": "a tap to --tap-url"}


def world_options(*ingests: str, default: str) -> Callable[[F], F]:
    """Where accepted events are stored (``--ingest``, of these choices; ``--database-url``), whether
    the page reaches the stub through the fault proxy, and ``--seed``."""
    def decorate(f: F) -> F:
        return _stack(f, [
            click.option("--ingest", type=click.Choice(ingests), default=default, show_default=True,
                         help="where accepted events are stored: " + "; ".join(f"{i}: {INGESTS[i]}" for i in ingests)),
            click.option("--database-url", default=None, help="use this PostgreSQL instead of a throwaway cluster"),
            click.option("--no-proxy", is_flag=True, help="connect the page straight to the stub (no Toxiproxy)"),
            click.option("--seed", type=int, default=None, help="override every scenario's seed"),
        ])
    return decorate


def adapter_options(f: F) -> F:
    """The adapter's options; their defaults are ``Adapter``'s own, and their flag names those a
    rerun command writes (``ADAPTER_OPTIONS``), each declared once there."""
    d, flag = Adapter(), ADAPTER_OPTIONS
    options = [
        click.option(flag["site_attr"], default=d.site_attr, show_default=True, help="script attribute carrying the site id"),
        click.option(flag["api_attr"], default=d.api_attr, show_default=True, help="script attribute carrying the Sync URL"),
        click.option(flag["outbox_key"], default=d.outbox_key, show_default=True),
        click.option(flag["deadletter_key"], default=d.deadletter_key or "none", show_default=True,
                     help="dead-letter key; 'none' for builds without one"),
        click.option(flag["api_name"], default=d.api_name, show_default=True, help="window.<name>.send(...)"),
        click.option("--attr", "attrs", multiple=True, metavar="NAME=VALUE", help="extra script attribute (repeatable)"),
    ]
    return _stack(f, options)


def _stack(f: F, options: Sequence[Callable[[F], F]]) -> F:
    """Apply decorators so they show in ``--help`` in the order listed."""
    for option in reversed(options):
        f = option(f)
    return f


ADAPTER_PARAMS = frozenset(p.name for p in adapter_options(click.Command("adapter")).params)


def refuse_adapter_flags_with(profile: Path | None) -> None:
    """A profile declares the adapter whole; adapter options given beside it would be silently
    dropped, so the combination is refused, naming them (call inside the command)."""
    if profile is None:
        return
    ctx = click.get_current_context()
    given = [p.opts[0] for p in ctx.command.params
             if p.name in ADAPTER_PARAMS and ctx.get_parameter_source(p.name) is not ParameterSource.DEFAULT]
    if given:
        raise UsageProblem(f"--profile {profile} declares the adapter, so {', '.join(given)} would be ignored: "
                           f"put them under `adapter:` in the profile, or drop --profile")


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


_OWN_PROCESS = False


@contextmanager
def own_process() -> Iterator[None]:
    """Said by the entry point: the process is the command's own, so a SIGTERM ends the command
    with exit code 143. Called from anything else (pytest, a library), the command cleans up and
    then hands the signal on to whoever handled it before — a CI runner's SIGTERM must stop the
    whole run, not one test's command."""
    global _OWN_PROCESS
    before, _OWN_PROCESS = _OWN_PROCESS, True
    try:
        yield
    finally:
        _OWN_PROCESS = before


def _hand_on_sigterm(previous: Any) -> None:
    """Deliver a SIGTERM the command caught (and cleaned up after) as the caller set it: the default
    ends the process by the signal, a Python handler is called, an ignored signal stays ignored."""
    if previous is None or previous is signal.SIG_IGN:
        return
    signal.signal(signal.SIGTERM, previous)
    signal.raise_signal(signal.SIGTERM)


def run_async(coro) -> int:  # noqa: ANN001
    """Run the main coroutine; SIGTERM cancels it like Ctrl-C, so every process is stopped.

    Exit codes: the coroutine's own, 130 after Ctrl-C, 143 after SIGTERM, 2 for usage and
    environment problems and for internal errors (one line; TANK_DEBUG=1 shows the traceback).
    Outside its own process (``own_process``) a SIGTERM is handed on after the clean-up instead of
    becoming exit 143, and the caller's SIGTERM handler is put back either way.
    """
    terminated = False
    previous = signal.getsignal(signal.SIGTERM)

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
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)

    try:
        return asyncio.run(guarded())
    except (KeyboardInterrupt, asyncio.CancelledError):
        click.echo("tankharness: interrupted; everything it started has been stopped", err=True)
        if terminated and not _OWN_PROCESS:
            _hand_on_sigterm(previous)
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
