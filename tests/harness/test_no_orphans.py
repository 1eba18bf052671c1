"""A run leaves no browser, proxy, driver or database process behind: on success and on SIGTERM."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.harness.procs import descendants, suspects

TANK = [sys.executable, "-m", "harness"]


def _leftovers(before: dict[int, str], watched: set[int]) -> dict[int, str]:
    """New suspect processes, and any process we saw as the run's descendant that still lives."""
    deadline = time.monotonic() + 10
    while True:
        now = suspects()
        left = {p: c for p, c in now.items() if p not in before or p in watched}
        left = {p: c for p, c in left.items() if p in watched or "tank" in c or "playwright" in c or "headless" in c}
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.2)


@pytest.mark.browser
def test_successful_run_leaves_nothing() -> None:
    before = suspects()
    proc = subprocess.Popen([*TANK, "run", "--only", "happy_path", "--ingest", "memory"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    watched: set[int] = set()
    while proc.poll() is None:
        watched |= descendants(proc.pid)
        time.sleep(0.05)
    out = proc.stdout.read() if proc.stdout else ""
    assert proc.returncode == 0, out
    assert watched, "the run started no child process at all?"
    assert _leftovers(before, watched) == {}


@pytest.mark.browser
@pytest.mark.postgres
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_mid_run_stops_everything(sig: signal.Signals) -> None:
    before = suspects()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([*TANK, "run", "--ingest", "postgres"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env)
    watched: set[int] = set()
    deadline = time.monotonic() + 60
    assert proc.stdout is not None
    # Wait until the browser and the database are both up (a scenario is running), then signal.
    for line in proc.stdout:
        watched |= descendants(proc.pid)
        if "running" in line or time.monotonic() > deadline:
            break
    time.sleep(0.5)
    watched |= descendants(proc.pid)
    pg_before_signal = {p for p, c in suspects().items() if "postgres" in c and p not in before}
    proc.send_signal(sig)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("the harness did not stop within 30 s of the signal")
    assert pg_before_signal, "the run had not started PostgreSQL when signalled"
    assert proc.returncode in (130, 143, 1, 2), proc.returncode
    assert _leftovers(before, watched | pg_before_signal) == {}
