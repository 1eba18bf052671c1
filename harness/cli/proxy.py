"""`tankharness proxy`: the embedded Toxiproxy-compatible server in the foreground."""
from __future__ import annotations

import sys

import click

from harness.cli.common import run_async
from harness.contract.errors import EnvironmentProblem


@click.command()
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
