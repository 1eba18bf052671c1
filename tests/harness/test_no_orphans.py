"""A run leaves no browser, proxy, driver or database process behind: on success, on SIGTERM and
Ctrl-C, and even on SIGKILL (Playwright's driver takes the browser down when its pipe closes; a
reaper process stops the daemonised PostgreSQL)."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.pytest_plugin.options import Settings
from harness.pytest_plugin.worlds import postgres_available
from tests.harness.procs import descendants, suspects

TANK = [sys.executable, "-m", "harness"]


def _leftovers(tmp: Path, watched: set[int]) -> dict[int, str]:
    """Processes of this run still alive: ones seen as its descendants, or ones working in its
    private TMPDIR (a daemonised PostgreSQL is nobody's child). Other runs on the machine are
    not mistaken for ours."""
    deadline = time.monotonic() + 10
    while True:
        left = {p: c for p, c in suspects().items() if p in watched or str(tmp) in c}
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.2)


@pytest.fixture
def run_tmp() -> Iterator[Path]:
    """A TMPDIR the ``postgres`` user can enter (pytest's own tmp folders are root-only)."""
    path = Path(tempfile.mkdtemp(prefix="tank-orphans-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _env(tmp: Path) -> dict[str, str]:
    """The run gets its own TMPDIR: its browser profiles and database live there."""
    return {**os.environ, "PYTHONUNBUFFERED": "1", "TMPDIR": str(tmp)}


def _ctrl_c_as_in_a_terminal() -> None:
    """A run started from a shell's background job (``pytest … &``) inherits SIGINT ignored and
    would sit out the test's Ctrl-C; the run under test gets it as a terminal would deliver it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_run(args: list[str], tmp: Path) -> subprocess.Popen[str]:
    """``tankharness ARGS`` with its own TMPDIR, output piped, Ctrl-C deliverable."""
    return subprocess.Popen([*TANK, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=_env(tmp), preexec_fn=_ctrl_c_as_in_a_terminal)


@pytest.mark.browser
def test_successful_run_leaves_nothing(run_tmp: Path) -> None:
    proc = start_run(["run", "--only", "happy_path", "--ingest", "memory"], run_tmp)
    watched: set[int] = set()
    while proc.poll() is None:
        watched |= descendants(proc.pid)
        time.sleep(0.05)
    out = proc.stdout.read() if proc.stdout else ""
    assert proc.returncode == 0, out
    assert watched, "the run started no child process at all?"
    assert _leftovers(run_tmp, watched) == {}


@pytest.mark.browser
@pytest.mark.postgres
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL], ids=["SIGTERM", "SIGINT", "SIGKILL"])
def test_signal_mid_run_stops_everything(sig: signal.Signals, run_tmp: Path, request: pytest.FixtureRequest) -> None:
    if "postgres" not in Settings.from_config(request.config).allowed_ingests() or not postgres_available():
        pytest.skip("needs PostgreSQL (the run it signals uses --ingest postgres)")
    proc = start_run(["run", "--ingest", "postgres"], run_tmp)
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
    pg_before_signal = {p for p, c in suspects().items() if "postgres" in c and str(run_tmp) in c}
    proc.send_signal(sig)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("the harness did not stop within 30 s of the signal")
    assert pg_before_signal, "the run had not started PostgreSQL when signalled"
    assert proc.returncode == {signal.SIGTERM: 143, signal.SIGINT: 130, signal.SIGKILL: -signal.SIGKILL}[sig], proc.returncode
    assert _leftovers(run_tmp, watched | pg_before_signal) == {}
