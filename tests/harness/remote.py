"""Remote browser endpoints started by a test: a Playwright server and a Chromium DevTools port."""
from __future__ import annotations

import contextlib
import os
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path


def _first_match(proc: subprocess.Popen[str], stream: object, pattern: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    while time.monotonic() < deadline:
        ready, _, _ = select.select([stream], [], [], 0.2)
        if ready:
            line = stream.readline()  # type: ignore[attr-defined]
            seen.append(line)
            if m := re.search(pattern, line):
                return m.group(1)
        if proc.poll() is not None:
            break
    raise RuntimeError(f"no {pattern!r} within {timeout}s: {''.join(seen)[-500:]}")


@contextlib.contextmanager
def _group(cmd: list[str], stream: str, pattern: str) -> Iterator[tuple[str, int]]:
    """Start ``cmd`` in a process group of its own, yield (the match, the group id), stop the group."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE if stream == "out" else subprocess.DEVNULL,
                            stderr=subprocess.PIPE if stream == "err" else subprocess.DEVNULL,
                            text=True, start_new_session=True)
    try:
        yield _first_match(proc, proc.stdout if stream == "out" else proc.stderr, pattern, 60), proc.pid
    finally:
        _stop_group(proc)


def _stop_group(proc: subprocess.Popen[str]) -> None:
    """SIGTERM the whole group (the Python launcher and the Node server it runs), then SIGKILL
    whatever of the group is still there after 10 s: no member may outlive the test."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            proc.poll()  # reap the leader, or the group never looks empty
            try:
                os.killpg(proc.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)


def playwright_server() -> contextlib.AbstractContextManager[tuple[str, int]]:
    """``playwright run-server`` (shipped by the pip package) on a free loopback port; --unsafe lets
    it launch the executable the harness names (Debian's Chromium here). Yields (ws URL, group id)."""
    cmd = [sys.executable, "-m", "playwright", "run-server", "--port", "0", "--host", "127.0.0.1", "--unsafe"]
    return _group(cmd, "out", r"Listening on (ws://\S+)")


def devtools_chromium(executable: str, profile: Path) -> contextlib.AbstractContextManager[tuple[str, int]]:
    """A headless Chromium with a DevTools port; yields (its host:port, group id)."""
    cmd = [executable, "--headless", "--no-sandbox", "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1",
           f"--user-data-dir={profile}", "--disable-gpu", "--no-first-run", "--disable-background-networking",
           "about:blank"]
    return _group(cmd, "err", r"DevTools listening on ws://(127\.0\.0\.1:\d+)/")
