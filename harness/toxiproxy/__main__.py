"""``python -m harness.toxiproxy --port 8474 --seed 1``: the embedded server, standalone."""
from __future__ import annotations

import argparse
import asyncio

from .server import serve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m harness.toxiproxy",
        description="Toxiproxy-compatible fault proxy (HTTP API on HOST:PORT).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8474, help="API port (0 = any free port)")
    parser.add_argument("--seed", type=int, default=None, help="seed for toxicity and jitter")
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error(f"--port must be 0..65535, got {args.port}")
    try:
        asyncio.run(serve(args.host, args.port, args.seed))
    except OSError as exc:
        parser.exit(1, f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}\n")
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
