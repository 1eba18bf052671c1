"""Ctrl-C while ``tankharness`` still imports what it needs — its commands at start-up, or what a
command loads lazily — exits 130 with one line, no traceback. The SIGINT is a real signal, sent
by the process to itself from an import hook at the chosen module, so the moment is exact."""
from __future__ import annotations

import subprocess
import sys

import pytest

from harness.cli.common import ROOT

CODE = """
import importlib.abc, os, signal, sys
target = sys.argv[1]
class Interrupt(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target_=None):
        if name == target:
            os.kill(os.getpid(), signal.SIGINT)
        return None
sys.meta_path.insert(0, Interrupt())
sys.argv = ["tankharness"] + sys.argv[2:]
from harness.entry import main
main()
"""


@pytest.mark.parametrize(("module", "args"), [
    ("harness.cli.run", ["--help"]),  # importing the commands
    ("harness.run.suite", ["run", "--ingest", "memory", "--only", "none"]),  # a command's own imports
])
def test_ctrl_c_while_loading_exits_130_quietly(module: str, args: list[str]) -> None:
    done = subprocess.run([sys.executable, "-c", CODE, module, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 130, (done.returncode, done.stderr[-2000:])
    assert "Traceback" not in done.stderr and done.stderr.strip() == "tankharness: interrupted", done.stderr[-2000:]
