"""SIGINT, SIGTERM and SIGKILL at any moment of a run — setup included — leave no process and
no temporary directory behind.

The default suite sweeps a coarse grid (a few instants of the first 3 s, with PostgreSQL being
set up, plus mid-scenario and settle); ``TANK_FULL_SWEEP=1`` sweeps every 0.1 s over the first
3 s for each signal (about 90 runs: a few minutes).
"""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from harness.pytest_plugin.worlds import postgres_available
from tests.harness.procs import descendants
from tests.harness.test_no_orphans import TANK, _env, _leftovers, run_tmp  # noqa: F401 - the fixture

FULL = os.environ.get("TANK_FULL_SWEEP") == "1"
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGKILL)
COARSE = [(signal.SIGKILL, 0.4), (signal.SIGKILL, 1.0), (signal.SIGKILL, 1.6), (signal.SIGKILL, 2.2),
          (signal.SIGINT, 0.7), (signal.SIGTERM, 1.3), (signal.SIGINT, 2.5), (signal.SIGTERM, 2.8)]
GRID = [(sig, round(0.1 * i, 1)) for sig in SIGNALS for i in range(1, 31)] if FULL else COARSE


def interrupted_run(tmp: Path, sig: signal.Signals, after_s: float, scenario: str = "happy_path",
                    ingest: str = "postgres") -> tuple[set[int], str]:
    """Start a run, send ``sig`` after ``after_s`` seconds, wait for it to end; its processes seen."""
    proc = subprocess.Popen([*TANK, "run", "--only", scenario, "--ingest", ingest],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=_env(tmp))
    watched: set[int] = set()
    deadline = time.monotonic() + after_s
    while time.monotonic() < deadline and proc.poll() is None:
        watched |= descendants(proc.pid)
        time.sleep(0.02)
    if proc.poll() is None:
        proc.send_signal(sig)
    try:
        out, _ = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        raise AssertionError(f"{sig.name} after {after_s}s: the run did not end within 30 s\n{out[-2000:]}")
    return watched, out


def leftover_files(tmp: Path) -> list[str]:
    """What the run left in its private TMPDIR (the reaper gets a few seconds to finish)."""
    deadline = time.monotonic() + 10
    while True:
        left = sorted(p.name for p in tmp.iterdir())
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.2)


@pytest.mark.browser
@pytest.mark.postgres
@pytest.mark.parametrize("sig,after_s", GRID, ids=[f"{s.name}-{t}s" for s, t in GRID])
def test_a_signal_during_setup_leaves_nothing(sig: signal.Signals, after_s: float, run_tmp: Path) -> None:
    if not postgres_available():
        pytest.skip("PostgreSQL server binaries not found")
    watched, out = interrupted_run(run_tmp, sig, after_s)
    assert _leftovers(run_tmp, watched) == {}, out[-2000:]
    assert leftover_files(run_tmp) == [], out[-2000:]
    assert "Future exception was never retrieved" not in out, out[-2000:]
