"""Which Toxiproxy a run uses: ``TOXIPROXY_URL``, else a ``toxiproxy-server`` binary, else embedded.

A real Toxiproxy is preferred when one is at hand, so the harness's faults are the ones teams
know; the embedded server keeps the harness self-contained everywhere else. A binary we start is
ours to stop: it runs on a free port and is terminated (then killed) on exit — no orphan.
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Literal

from harness.contract.control import Refusal, new_token
from harness.world import reaper

from .client import ToxiproxyClient, ToxiproxyError
from .server import EmbeddedToxiproxy

BINARY = "toxiproxy-server"
START_TIMEOUT = 10.0


class ToxiproxyUnavailable(RuntimeError):
    """The configured or found Toxiproxy could not be used (message says which and why)."""


@dataclass(frozen=True)
class ToxiproxyService:
    url: str
    kind: Literal["real", "embedded"]
    version: str
    token: str | None = None  # the embedded server answers only clients sending it
    refusals: list[Refusal] | None = None  # what the embedded server refused (None: not observable)
    embedded: EmbeddedToxiproxy | None = None  # in-process: takes a page clock (attach_page_clock)

    def client(self) -> ToxiproxyClient:
        return ToxiproxyClient(self.url, token=self.token)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_binary(path: str, seed: int | None) -> tuple[subprocess.Popen[bytes], str, str]:
    """Start the binary on a free port and wait until its API answers."""
    last = ""
    for _ in range(3):  # the free port may be taken between probe and bind: retry
        port = _free_port()
        cmd = [path, "-host", "127.0.0.1", "-port", str(port)]
        if seed is not None:
            cmd += ["-seed", str(seed)]
        # Logs go to a file, never a pipe: an unread pipe would block a chatty server.
        with tempfile.TemporaryFile() as log:
            # Armed before the server starts: a SIGKILLed harness leaves no toxiproxy-server behind.
            guard = reaper.start([], None, kill_mentioning=" ".join(cmd[1:]))
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
            proc.reaper = guard  # type: ignore[attr-defined]
            url = f"http://127.0.0.1:{port}"
            client = ToxiproxyClient(url, timeout=2.0)
            deadline = time.monotonic() + START_TIMEOUT
            while time.monotonic() < deadline and proc.poll() is None:
                try:
                    return proc, url, client.version()
                except ToxiproxyError:
                    time.sleep(0.05)
            _stop_binary(proc)
            log.seek(0)
            err = log.read().decode("utf-8", "replace").strip()
        last = err.splitlines()[-1] if err else f"no answer on port {port}"
    raise ToxiproxyUnavailable(f"{path} did not start: {last}")


def _stop_binary(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    guard = getattr(proc, "reaper", None)
    if guard is not None:
        reaper.stop(guard)


@contextlib.asynccontextmanager
async def toxiproxy_service(seed: int | None = None) -> AsyncIterator[ToxiproxyService]:
    """Yield a running Toxiproxy for the duration of the block; stop what we started."""
    url = os.environ.get("TOXIPROXY_URL", "").strip()
    if url:
        try:
            version = await asyncio.to_thread(ToxiproxyClient(url).version)
        except (ToxiproxyError, ValueError) as exc:
            raise ToxiproxyUnavailable(f"TOXIPROXY_URL={url} is not usable: {exc}") from None
        yield ToxiproxyService(url=url, kind="real", version=version)
        return
    binary = shutil.which(BINARY)
    if binary:
        proc, url, version = await asyncio.to_thread(_start_binary, binary, seed)
        try:
            yield ToxiproxyService(url=url, kind="real", version=version)
        finally:
            await asyncio.to_thread(_stop_binary, proc)
        return
    embedded = EmbeddedToxiproxy(seed=seed, token=new_token())
    async with embedded:
        version = await asyncio.to_thread(ToxiproxyClient(embedded.url, token=embedded.token).version)
        yield ToxiproxyService(url=embedded.url, kind="embedded", version=version, token=embedded.token,
                               refusals=embedded.refusals, embedded=embedded)
