"""``--out`` directories owned by one run at a time.

A run writes its journals (appended as requests arrive) and histories into ``--out``. Two runs
sharing the folder would interleave journal lines, and a rerun would append to the previous
run's file. So a run claims the folder: it must be new, empty, or made by this tool and not in
use by a live run; the previous run's journals and histories are removed before anything is
written. A folder holding anything else is refused, never emptied.
"""
from __future__ import annotations

import os
from pathlib import Path

from harness.contract.errors import UsageProblem

MARKER = ".tankharness-out"
PREVIOUS_RUN = ("*.journal.jsonl", "*.history.json")


def claim(out: Path) -> None:
    """Make ``out`` this run's folder or raise :class:`UsageProblem` saying why it cannot be."""
    out.mkdir(parents=True, exist_ok=True)
    marker = out / MARKER
    entries = [p.name for p in out.iterdir()]
    if entries and MARKER not in entries:
        raise UsageProblem(f"--out {out}: not empty and not made by tankharness ({', '.join(sorted(entries)[:3])} …); "
                           "give an empty or new folder")
    owner = _owner(marker)
    if owner is not None and owner != os.getpid() and _alive(owner):
        raise UsageProblem(f"--out {out}: in use by another run (pid {owner}); give each run its own folder")
    for pattern in PREVIOUS_RUN:
        for old in out.glob(pattern):
            old.unlink()
    marker.write_text(f"{os.getpid()}\n")


def _owner(marker: Path) -> int | None:
    try:
        return int(marker.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
