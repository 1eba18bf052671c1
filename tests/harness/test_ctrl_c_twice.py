"""Two Ctrl-C in quick succession (the second while the first one's cleanup runs) leave no
Playwright profile or artifacts folder behind: the driver and Chromium keep them in a folder of
the world's, which a reaper removes once they are gone. Before, Playwright's driver deleted the
profile while Chromium still wrote to it, and the folder stayed in the temp dir."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.cli.common import ROOT
from tests.harness.test_no_orphans import run_tmp  # noqa: F401 - the fixture

WORLD = """
import asyncio
from harness.world.world import World, WorldOptions

async def main() -> None:
    async with World(WorldOptions(ingest="memory", proxy=False)) as world:
        page = await world.browser.new_page()
        await page.goto("about:blank")
        print("ready", flush=True)
        await asyncio.sleep(600)

asyncio.run(main())
"""


@pytest.mark.browser
def test_two_quick_ctrl_c_leave_no_browser_folder(run_tmp: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-c", WORLD], cwd=ROOT, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True,
                            env={**os.environ, "TMPDIR": str(run_tmp), "PYTHONPATH": str(ROOT)},
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        assert list(run_tmp.iterdir()), "the world keeps its browser folder in TMPDIR"
        os.killpg(proc.pid, signal.SIGINT)  # a terminal's Ctrl-C reaches the whole group
        time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    deadline = time.monotonic() + 30  # the reaper runs once the harness is gone
    while list(run_tmp.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [p.name for p in run_tmp.rglob("*")] == []
