"""Last resort against orphans: a tiny process that cleans up after a harness that was killed.

SIGKILL gives the harness no chance to stop the PostgreSQL it started (a daemon: nobody's child).
The harness starts this reaper with a pipe on its stdin and sends it, as one JSON line, the
commands that stop what it started and the folder to remove. The reaper then blocks until the
pipe closes — which happens however the harness ends — and runs them. After a normal cleanup
they find nothing to do.

    python -m harness.world.reaper   (stdin: {"commands": [[argv…], …], "remove": "/tmp/dir"})
"""
from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path


def start(commands: list[list[str]], remove: Path) -> subprocess.Popen[bytes]:
    """Start a reaper for these commands and folder; close its stdin (or exit) to trigger it."""
    proc = subprocess.Popen([sys.executable, "-m", "harness.world.reaper"], stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    assert proc.stdin is not None
    proc.stdin.write(json.dumps({"commands": commands, "remove": str(remove)}).encode() + b"\n")
    proc.stdin.flush()
    return proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    """After a normal cleanup: let the reaper run (it finds nothing) and collect it."""
    if proc.stdin is not None and not proc.stdin.closed:
        proc.stdin.close()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a terminal's Ctrl-C is for the harness
    spec = json.loads(sys.stdin.buffer.readline() or b"{}")
    sys.stdin.buffer.read()  # until the harness closes the pipe or dies
    for argv in spec.get("commands", []):
        try:
            subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=30)
        except (OSError, subprocess.SubprocessError):
            pass
    if spec.get("remove"):
        shutil.rmtree(spec["remove"], ignore_errors=True)


if __name__ == "__main__":
    main()
