"""The ``tankharness`` entry point (and ``python -m harness``).

Importing the commands takes a noticeable moment (Playwright, aiohttp, psycopg …); a Ctrl-C in it
used to print a KeyboardInterrupt traceback. Here the import itself is guarded: Ctrl-C before the
command runs exits 130 with one line, as it does during a run (``harness.cli.common.run_async``).
"""
from __future__ import annotations

import sys


def main() -> None:
    try:
        from harness.cli import main as run_command
    except KeyboardInterrupt:
        sys.stderr.write("tankharness: interrupted\n")
        raise SystemExit(130) from None
    run_command()
