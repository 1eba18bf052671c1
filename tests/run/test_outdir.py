"""--out belongs to one run: a stranger's folder is refused, a live run's folder is refused, and a
rerun starts from a clean journal instead of appending to the previous one."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.contract.errors import UsageProblem
from harness.run.outdir import MARKER, claim


def test_new_and_empty_folders_are_claimed(tmp_path: Path) -> None:
    claim(tmp_path / "new")
    assert (tmp_path / "new" / MARKER).read_text().strip() == str(os.getpid())


def test_a_stranger_s_folder_is_refused_and_left_alone(tmp_path: Path) -> None:
    (tmp_path / "thesis.tex").write_text("precious")
    with pytest.raises(UsageProblem, match="not made by tankharness"):
        claim(tmp_path)
    assert (tmp_path / "thesis.tex").read_text() == "precious"


def test_a_rerun_removes_the_previous_journal(tmp_path: Path) -> None:
    claim(tmp_path)
    (tmp_path / "happy_path.journal.jsonl").write_text('{"seq": 1}\n')
    (tmp_path / "happy_path.history.json").write_text("{}")
    claim(tmp_path)
    assert not (tmp_path / "happy_path.journal.jsonl").exists()
    assert not (tmp_path / "happy_path.history.json").exists()


def test_a_folder_in_use_by_a_live_run_is_refused(tmp_path: Path) -> None:
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        (tmp_path / MARKER).write_text(f"{other.pid}\n")
        with pytest.raises(UsageProblem, match="in use by another run"):
            claim(tmp_path)
    finally:
        other.kill()
        other.wait()
    claim(tmp_path)  # the run ended: the folder is free again
