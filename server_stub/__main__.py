"""``python -m server_stub --site-id X --tracker tracker_js/tracker.js``: run the stub alone.

For engineers poking at a build by hand: prints the URLs, runs until Ctrl-C / SIGTERM.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
from pathlib import Path

import click

from harness.contract.adapter import Adapter
from harness.contract.control import TOKEN_HEADER
from server_stub.app import StubServer
from server_stub.site_app import DEFAULT_SITE_DIR


@click.command()
@click.option("--site-id", required=True, help="Public site id the store knows (and pages send).")
@click.option("--tracker", "tracker", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Tracker build to serve as /tracker.js.")
@click.option("--site-dir", type=click.Path(exists=True, file_okay=False, path_type=Path), default=DEFAULT_SITE_DIR,
              show_default=True, help="Folder with home.html, page2.html, observer.html.")
@click.option("--journal", "journal_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Append every request to this JSONL file.")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of random faults.")
@click.option("--json", "as_json", is_flag=True, help="Print the URLs as one JSON line.")
def main(site_id: str, tracker: Path, site_dir: Path, journal_path: Path | None, seed: int, as_json: bool) -> None:
    """Run the Sync stub, test site and control app on 127.0.0.1 ephemeral ports."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        source = tracker.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise click.BadParameter(f"cannot read {tracker}: {exc}", param_hint="--tracker") from None
    asyncio.run(_serve(StubServer(tracker_source=source, site_id=site_id, adapter=Adapter(), seed=seed,
                                  journal_path=journal_path, site_dir=site_dir), as_json))


async def _serve(stub: StubServer, as_json: bool) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with stub:
        urls = {"site": stub.site_url + "/", "sync": stub.sync_url, "sync_port": stub.sync_port,
                "control": stub.control_url + "/__control/health",
                "control_header": f"{TOKEN_HEADER}: {stub.control_token}"}
        if as_json:
            click.echo(json.dumps(urls))
        else:
            for name, url in urls.items():
                click.echo(f"{name:<10}{url}")
        await stop.wait()


if __name__ == "__main__":
    main()
