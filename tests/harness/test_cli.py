"""The command line: exit codes 0/1/2, one-line reasons, machine reports. Through a real process
where the process is what is tested (the entry point, a browser run); in-process otherwise (an
interpreter start with the harness's imports costs 5–25 s on a loaded 2-core box)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli import cli

TANK = [sys.executable, "-m", "harness"]


def tank(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*TANK, *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


def tank_here(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``tank`` in this process: the same commands, exit code and stderr."""
    r = CliRunner().invoke(cli, list(args), env=env)
    return subprocess.CompletedProcess(["tankharness", *args], r.exit_code, r.stdout, r.stderr)


def test_bad_option_is_usage_error() -> None:
    r = tank("run", "--no-such-option")
    assert r.returncode == 2


def test_unknown_scenario_is_usage_error() -> None:
    r = tank_here("run", "--only", "no_such_scenario")
    assert r.returncode == 2
    assert "no scenario named no_such_scenario" in r.stderr


def test_missing_browser_is_environment_error() -> None:
    r = tank_here("run", "--only", "happy_path", "--ingest", "memory", env={"TANK_BROWSER": "/nonexistent/chromium"})
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0, r.stderr
    assert "TANK_BROWSER" in r.stderr


def test_malformed_scenario_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\njudges: [no_loss]\nsteps:\n  - open: home\n  - click: tell\n")
    r = tank_here("run", "--scenarios", str(bad), "--ingest", "memory")
    assert r.returncode == 2
    assert "bad.yaml:5" in r.stderr and "click" in r.stderr


@pytest.mark.browser
def test_reference_passes_and_writes_reports(tmp_path: Path) -> None:
    j, x = tmp_path / "r.json", tmp_path / "r.xml"
    r = tank("run", "--only", "retry_503", "--ingest", "memory", "--report-json", str(j), "--junit", str(x))
    assert r.returncode == 0, r.stdout + r.stderr
    report = json.loads(j.read_text())
    assert report["meta"]["browser"]["version"]
    assert report["meta"]["proxy"]["kind"] in ("embedded", "real")
    cases = ET.parse(x).getroot().iter("testcase")
    assert any("retry" in (c.get("name") or "") for c in cases)


@pytest.mark.browser
def test_mutant_fails_with_exit_1() -> None:
    r = tank("run", "--tracker", "mutant:no_beacon", "--only", "unload_beacon_close", "--ingest", "memory")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "last_gasp" in r.stdout


def test_proxy_on_a_busy_port_is_environment_error() -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        r = tank_here("proxy", "--port", str(busy.getsockname()[1]))
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "cannot listen" in r.stderr


@pytest.mark.browser
def test_out_folder_keeps_journal_and_history(tmp_path: Path) -> None:
    r = tank("run", "--only", "process_then_fail", "--ingest", "memory", "--out", str(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    journal = [json.loads(line) for line in (tmp_path / "process_then_fail.journal.jsonl").read_text().splitlines()]
    assert any(e["status"] == 500 and e["processed"] for e in journal)  # the process-then-fail answer
    history = json.loads((tmp_path / "process_then_fail.history.json").read_text())
    assert history["writes"] and history["attempts"] and history["ops"]
