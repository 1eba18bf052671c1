"""--trace retain-on-failure: a failed scenario leaves a Playwright trace per context (a zip the
trace viewer reads, listing the scenario's actions), end screenshots and its page console; a
passing one leaves nothing."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest


@pytest.mark.browser
def test_failed_scenario_leaves_trace_screenshot_and_console(tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-m", "harness", "run", "--tracker", "mutant:no_timeout",
                        "--only", "hung_request_timeout", "--only", "happy_path", "--ingest", "memory",
                        "--trace", "retain-on-failure", "--out", str(out)],
                       capture_output=True, text=True, timeout=300, env={**os.environ, "COLUMNS": "80"})
    assert r.returncode == 1, r.stdout + r.stderr
    kept = out / "hung_request_timeout"
    assert f"trace, screenshots, console: {kept}" in r.stdout
    assert not (out / "happy_path").exists()  # passed: its trace was not retained
    trace = kept / "trace-main-0.zip"
    with zipfile.ZipFile(trace) as z:
        names = set(z.namelist())
        assert {"trace.trace", "trace.network"} <= names
        events = [json.loads(line) for line in z.read("trace.trace").decode().splitlines() if line.strip()]
    actions = [(e.get("class"), e.get("method")) for e in events if e.get("type") == "before"]
    # open, click: tel (a trusted mouse click at the target, harness/driver/pointer.py)
    assert ("Frame", "goto") in actions and ("Page", "mouseClick") in actions
    gotos = [e["params"]["url"] for e in events if e.get("type") == "before" and e.get("method") == "goto"]
    assert any(u.endswith("/") and "__tank" not in u for u in gotos), gotos  # the scenario's `open: home`
    assert (kept / "main-main.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (kept / "console.txt").exists()
    assert "hung_request_timeout" in (out / "report.html").read_text()
