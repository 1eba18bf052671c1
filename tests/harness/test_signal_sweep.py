"""SIGINT, SIGTERM and SIGKILL at any moment of a run — setup included — leave no process and
no temporary directory behind.

The default suite sweeps a coarse grid (a few instants of the first 3 s, with PostgreSQL being
set up) and signals a run in the middle of a step and in settle (hooks print when it gets there);
``TANK_FULL_SWEEP=1`` sweeps every 0.1 s over the first 3 s for each signal (90 runs) and each
signal mid-scenario and in settle: a quarter of an hour on a busy 2-core machine.
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
from tests.harness.test_no_orphans import _leftovers, run_tmp, start_run  # noqa: F401 - the fixture

FULL = os.environ.get("TANK_FULL_SWEEP") == "1"
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGKILL)
COARSE = [(signal.SIGKILL, 0.4), (signal.SIGKILL, 1.0), (signal.SIGKILL, 1.6), (signal.SIGKILL, 2.2),
          (signal.SIGINT, 0.7), (signal.SIGTERM, 1.3), (signal.SIGINT, 2.5), (signal.SIGTERM, 2.8)]
GRID = [(sig, round(0.1 * i, 1)) for sig in SIGNALS for i in range(1, 31)] if FULL else COARSE


MARK = "tank-sweep-mark: "
# A page timer that takes real time every page second makes the 30 min step (mid-scenario) or
# the 30 min settle last seconds of wall time: a signal sent just after the mark lands inside it.
MARKED = """
name: sweep_marked
judges: [no_loss]
settle: 30m
steps:
  - open: home
  - click: tel
  - hook: {{target: "tests.harness.test_signal_sweep:{first}", args: {{say: mid-scenario}}}}
  - advance: {advance}
  - click: form
  - hook: {{target: "tests.harness.test_signal_sweep:busy_timer", args: {{say: settle}}}}
"""
PHASES = [(sig, phase) for sig in SIGNALS for phase in ("mid-scenario", "settle")] if FULL else [
    (signal.SIGTERM, "mid-scenario"), (signal.SIGKILL, "settle")]
# Idle, a signalled run ends in well under a second; at load average ~20 on 2 cores SIGTERM in
# settle took 13 s to end (5 s until it reported everything stopped, 8 s more until its output closed).
ENDED_S = 60.0
EXIT = {signal.SIGTERM: 143, signal.SIGINT: 130, signal.SIGKILL: -signal.SIGKILL}


def mark(run: object, say: str) -> None:
    """Hook: tell the test (on stdout) where the scenario is."""
    print(f"{MARK}{say}", flush=True)


async def busy_timer(run, say: str) -> None:  # noqa: ANN001 - a ScenarioRun
    """Hook: a page timer taking ~1 ms of real time every page second, then the mark."""
    for session in run.live_sessions():
        for page in session.live_tabs():
            await page.evaluate("setInterval(() => { for (let i = 0; i < 1e6; i++); }, 1000)")
    mark(run, say)


def _ended(proc: subprocess.Popen[str], what: str) -> str:
    """Wait for a signalled run to end (ENDED_S at most); its output."""
    try:
        out, _ = proc.communicate(timeout=ENDED_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        raise AssertionError(f"{what}: the run did not end within {ENDED_S:g} s\n{out[-2000:]}")
    return out


def interrupted_run(tmp: Path, sig: signal.Signals, after_s: float, scenario: str = "happy_path",
                    ingest: str = "postgres") -> tuple[set[int], str]:
    """Start a run, send ``sig`` after ``after_s`` seconds, wait for it to end; its processes seen."""
    proc = start_run(["run", "--only", scenario, "--ingest", ingest], tmp)
    watched: set[int] = set()
    deadline = time.monotonic() + after_s
    while time.monotonic() < deadline and proc.poll() is None:
        watched |= descendants(proc.pid)
        time.sleep(0.02)
    if proc.poll() is None:
        proc.send_signal(sig)
    return watched, _ended(proc, f"{sig.name} after {after_s}s")


def signalled_at_mark(tmp: Path, scenario: Path, sig: signal.Signals, phase: str) -> tuple[set[int], str, int]:
    """Start a run of ``scenario``, send ``sig`` 0.5 s after its hook prints ``phase``; its processes
    seen, its output (up to the mark, then after the signal) and its exit code."""
    proc = start_run(["run", "--scenarios", str(scenario), "--ingest", "postgres"], tmp)
    assert proc.stdout is not None
    watched: set[int] = set()
    before = []
    for line in proc.stdout:  # ends at the mark, or when the run ends without printing it
        before.append(line)
        watched |= descendants(proc.pid)
        if line.startswith(f"{MARK}{phase}"):
            break
    else:
        proc.wait()
        raise AssertionError(f"the run ended before {phase}:\n{''.join(before)[-2000:]}")
    deadline = time.monotonic() + 0.5
    while time.monotonic() < deadline:
        watched |= descendants(proc.pid)
        time.sleep(0.02)
    proc.send_signal(sig)
    out = "".join(before) + _ended(proc, f"{sig.name} {phase}")
    return watched, out, proc.returncode


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


@pytest.mark.browser
@pytest.mark.postgres
@pytest.mark.parametrize("sig,phase", PHASES, ids=[f"{s.name}-{p}" for s, p in PHASES])
def test_a_signal_mid_scenario_or_in_settle_leaves_nothing(sig: signal.Signals, phase: str, run_tmp: Path,
                                                            tmp_path: Path) -> None:
    if not postgres_available():
        pytest.skip("PostgreSQL server binaries not found")
    scenario = tmp_path / "sweep_marked.yaml"
    mid = phase == "mid-scenario"
    scenario.write_text(MARKED.format(first="busy_timer" if mid else "mark", advance="30m" if mid else "1m"))
    watched, out, code = signalled_at_mark(run_tmp, scenario, sig, phase)
    # Signalled where meant: mid-scenario before settle was reached, in settle before the verdict.
    assert phase == "settle" or f"{MARK}settle" not in out, out[-2000:]
    assert "sweep_marked  page" not in out, out[-2000:]
    assert code == EXIT[sig], out[-2000:]
    assert _leftovers(run_tmp, watched) == {}, out[-2000:]
    assert leftover_files(run_tmp) == [], out[-2000:]
    assert "Future exception was never retrieved" not in out, out[-2000:]
